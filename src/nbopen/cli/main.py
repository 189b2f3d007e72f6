"""``nbopen <resource> <verb>``: stdout is data, stderr is talk.

Options that choose the deployment (``--data-dir``) are turned into ``NBOPEN_*`` environment
variables *before* Django is imported, because configuration is read once at import time.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nbopen.cli import search as search_cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nbopen", description="NBopen platform and client")
    parser.add_argument("--data-dir", help="data directory (default: $NBOPEN_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then serve web, API and git")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--data-dir", dest="data_dir_sub", help=argparse.SUPPRESS)
    serve.add_argument("--no-demo", action="store_true", help="do not load demo content")
    serve.add_argument(
        "--ssh-port",
        type=int,
        default=None,
        help="also serve git over SSH on this port (default: $NBOPEN_SSH_PORT, else off)",
    )

    worker = sub.add_parser("worker", help="run queued background jobs (NBOPEN_TASKS=celery)")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    worker.add_argument("--loglevel", default="info")

    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("demo", help="load clearly-labelled demo organizations, users and repositories")

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="verb", required=True)
    uc = user.add_parser("create", help="create a user")
    uc.add_argument("name")
    uc.add_argument("--email", required=True)
    uc.add_argument("--password", required=True)
    uc.add_argument("--admin", action="store_true")

    org = sub.add_parser("org", help="manage organizations").add_subparsers(
        dest="verb", required=True
    )
    oc = org.add_parser("create", help="create an organization")
    oc.add_argument("name")
    oc.add_argument(
        "--kind",
        required=True,
        choices=["enterprise", "university", "institute", "government", "community"],
    )
    oc.add_argument("--owner", required=True)
    oc.add_argument("--display-name", default="")
    oc.add_argument("--region", default="")
    om = org.add_parser("add-member", help="add a member or change their role")
    om.add_argument("org")
    om.add_argument("user")
    om.add_argument("--role", required=True, choices=["owner", "admin", "write", "read"])

    token = sub.add_parser("token", help="manage access tokens").add_subparsers(
        dest="verb", required=True
    )
    tc = token.add_parser("create", help="create a token; prints it alone on stdout")
    tc.add_argument("user")
    tc.add_argument("--name", default="cli")
    tc.add_argument("--scope", default="write", choices=["read", "write"])
    tc.add_argument("--expires-days", type=int, default=None)

    from nbopen.cli import backup as backup_cli
    from nbopen.cli import bundle as bundle_cli
    from nbopen.cli import mirror as mirror_cli
    from nbopen.cli import scan as scan_cli
    from nbopen.cli import xet as xet_cli

    xet_cli.register(sub)
    backup_cli.register(sub)
    bundle_cli.register(sub)
    scan_cli.register(sub)
    mirror_cli.register(sub)
    from nbopen.client.cli import register as register_client

    register_client(sub)
    from nbopen.cli.analytics import register as register_analytics

    register_analytics(sub)
    search_cli.register(sub)
    from nbopen.cli.libraries import register as register_libraries

    register_libraries(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    client_handler = getattr(args, "client_handler", None)
    if client_handler is not None:
        return int(client_handler(args))  # client verbs: no Django, no data dir
    data_dir = getattr(args, "data_dir_sub", None) or args.data_dir
    if data_dir:
        os.environ["NBOPEN_DATA_DIR"] = os.path.abspath(data_dir)
    if args.command == "serve" and not os.environ.get("NBOPEN_PUBLIC_URL"):
        host = "127.0.0.1" if args.host in {"0.0.0.0", "::"} else args.host  # noqa: S104
        os.environ["NBOPEN_PUBLIC_URL"] = f"http://{host}:{args.port}"
    if args.command == "serve" and args.ssh_port is not None:
        # Through the environment, so the web pages (granian's workers) know it too.
        os.environ["NBOPEN_SSH_PORT"] = str(args.ssh_port)
    from nbopen.cli import admin
    from nbopen.cli.common import CommandError

    try:
        return admin.run(args)
    except CommandError as exc:
        print(f"nbopen: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
