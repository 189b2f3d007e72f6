"""Operator commands that act on the database through the domain services."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import timedelta

from nbopen.cli.common import CommandError, migrate, setup_django


def run(args: argparse.Namespace) -> int:
    setup_django()
    if args.command == "serve":
        return serve(args)
    if args.command == "worker":
        return worker(args)
    from nbopen.core import tasks

    try:
        return _run_command(args)
    finally:
        # Work a command deferred (dataset conversion, search indexing) must finish before
        # the process exits, or it dies half-done at interpreter shutdown.
        tasks.wait_idle(timeout=900)


def _run_command(args: argparse.Namespace) -> int:
    from nbopen.core.errors import DomainError

    try:
        if args.command == "search":
            from nbopen.cli import search as search_cli

            return search_cli.run(args)
        if args.command == "migrate":
            migrate(verbosity=1)
            return 0
        if args.command == "demo":
            return demo()
        if args.command == "xet":
            from nbopen.cli import xet as xet_cli

            return xet_cli.run(args)
        if args.command == "scan":
            from nbopen.cli import scan as scan_cli

            return scan_cli.run(args)
        if args.command == "mirror":
            from nbopen.cli import mirror as mirror_cli

            return mirror_cli.run(args)
        if args.command == "bundle":
            from nbopen.cli import bundle as bundle_cli

            return bundle_cli.run(args)
        if args.command in {"backup", "restore", "gc"}:
            from nbopen.cli import backup as backup_cli

            return backup_cli.run(args)
        if args.command == "libraries":
            from nbopen.cli.libraries import run as libraries_run

            return libraries_run(args)
        if args.command == "analytics":
            from nbopen.cli.analytics import run as analytics_run

            return analytics_run(args)
        handler = {
            ("user", "create"): user_create,
            ("org", "create"): org_create,
            ("org", "add-member"): org_add_member,
            ("token", "create"): token_create,
        }[(args.command, args.verb)]
        handler(args)
        _audit_command(args)
        return 0
    except DomainError as exc:
        raise CommandError(str(exc)) from exc


def _audit_command(args: argparse.Namespace) -> None:
    """Operators' commands are admin actions in the audit log (never the password)."""
    from nbopen.audit import services as audit

    detail = {
        k: v
        for k, v in vars(args).items()
        if k not in {"password", "func", "command", "verb"} and isinstance(v, str | int | bool)
    }
    audit.record(f"admin.{args.command}.{args.verb}", detail={"via": "cli", **detail})


def user_create(args: argparse.Namespace) -> None:
    from nbopen.accounts.services import user_create as create

    migrate()
    user = create(username=args.name, email=args.email, password=args.password, is_admin=args.admin)
    print(f"created user {user.username}", file=sys.stderr)


def org_create(args: argparse.Namespace) -> None:
    from nbopen.accounts.services import user_get
    from nbopen.orgs.services import org_create as create

    migrate()
    org = create(
        name=args.name,
        kind=args.kind,
        owner=user_get(args.owner),
        display_name=args.display_name,
        region=args.region,
    )
    print(f"created organization {org.name}", file=sys.stderr)


def org_add_member(args: argparse.Namespace) -> None:
    from nbopen.accounts.services import user_get
    from nbopen.orgs.services import member_set, org_get

    migrate()
    member_set(organization=org_get(args.org), user=user_get(args.user), role=args.role, actor=None)
    print(f"{args.user} is now {args.role} of {args.org}", file=sys.stderr)


def token_create(args: argparse.Namespace) -> None:
    from django.utils import timezone

    from nbopen.accounts.services import token_create as create
    from nbopen.accounts.services import user_get

    migrate()
    expires = None
    if args.expires_days is not None:
        if args.expires_days <= 0:
            raise CommandError("--expires-days must be positive")
        expires = timezone.now() + timedelta(days=args.expires_days)
    issued = create(user=user_get(args.user), name=args.name, scope=args.scope, expires_at=expires)
    print(issued.secret)


def demo() -> int:
    from nbopen.demo.loader import load_demo

    migrate()
    loaded = load_demo()
    print("demo content loaded" if loaded else "demo content already present", file=sys.stderr)
    if loaded:
        from nbopen.core import tasks

        tasks.wait_idle(timeout=900)
        _compute_demo_analytics()
    return 0


def _compute_demo_analytics() -> None:
    """Fill the dashboards from the demo's events at once, as the monthly job would later:
    a first visit to /insights should show the platform, not "nothing computed yet"."""
    from nbopen.analytics.pipeline import compute_months

    try:
        compute_months(memory_limit="1GB")
    except Exception as exc:  # the demo must start even if analytics cannot run here
        print(f"analytics for the demo were not computed: {exc}", file=sys.stderr)


def worker(args: argparse.Namespace) -> int:
    """Consume the broker queue (``NBOPEN_TASKS=celery``); run one or many, on any machine.

    The thread pool is the default because jobs spend their time in git, DuckDB and Arrow,
    which release the GIL, and because threads share one SQLite-safe process; ``--pool
    prefork`` suits CPU-heavy deployments on PostgreSQL.
    """
    from nbopen.config.env import CONFIG

    if CONFIG.task_backend != "celery":
        raise CommandError(
            "nbopen worker consumes a broker queue: set NBOPEN_TASKS=celery and NBOPEN_BROKER_URL"
        )
    from nbopen.core.queue import app

    print(
        f"NBopen worker: queue {CONFIG.task_queue!r} on {_redact(CONFIG.broker_url)}",
        file=sys.stderr,
    )
    app.worker_main(
        [
            "worker",
            f"--loglevel={args.loglevel}",
            f"--concurrency={args.concurrency}",
            f"--pool={args.pool}",
            f"--queues={CONFIG.task_queue}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
    return 0


def _require_free_port(host: str, port: int) -> None:
    """Refuse to start on a port another process already serves.

    granian binds with SO_REUSEPORT, so a second ``nbopen serve`` on the same port would
    start without error and the kernel would split connections between two deployments
    (possibly with different data directories). A plain bind first makes that an error.
    """
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR still refuses an active listener but not a restart's TIME_WAIT sockets.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise CommandError(f"cannot serve on {host}:{port}: {exc.strerror}") from exc


def _redact(url: str) -> str:
    """A broker URL without its password, for logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _remove_leftovers() -> None:
    """Temp files of uploads a crash interrupted (the same rule as ``nbopen gc``)."""
    from nbopen.audit.services import prune
    from nbopen.ops.cleanup import collect_deployment

    prune()
    removed = collect_deployment()
    if removed.files or removed.directories:
        print(
            f"removed {removed.files} stale temp files and {removed.directories} directories"
            f" ({removed.bytes} bytes; see nbopen gc)",
            file=sys.stderr,
        )


def serve(args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    from nbopen.accounts.models import User
    from nbopen.config.env import CONFIG

    _require_free_port(args.host, args.port)
    ssh_port = CONFIG.ssh_port  # --ssh-port or NBOPEN_SSH_PORT (cli.main)
    if ssh_port:
        _require_free_port(args.host, ssh_port)
    migrate()
    _remove_leftovers()
    if CONFIG.task_backend != "celery":
        from nbopen.datasets.services import release_interrupted

        release_interrupted()  # their jobs were queued in the process that is gone
        from nbopen.challenges.recovery import recover_at_start

        recover_at_start()  # the same for competition submissions being scored
    if not args.no_demo and not User.objects.exists():
        # A brand-new data dir: show a living platform instead of an empty page.
        from nbopen.demo.loader import load_demo

        load_demo()
        # Finish the demo's background jobs before granian forks its workers: a fork while
        # a task thread holds a lock (SQLite, jieba) can leave the worker deadlocked.
        from nbopen.core import tasks

        tasks.wait_idle(timeout=900)
        _compute_demo_analytics()
        print("loaded demo content (empty data dir; --no-demo to skip)", file=sys.stderr)
    print(f"NBopen serving {CONFIG.public_url} (data: {CONFIG.data_dir})", file=sys.stderr)
    # granian forks its workers from this process: none may inherit an open database
    # connection (SQLite handles and PostgreSQL sockets are not shareable across processes).
    from django.db import connections

    connections.close_all()
    sshd = _start_sshd(args.host, ssh_port) if ssh_port else None
    try:
        Granian(
            "nbopen.config.asgi:application",
            address=args.host,
            port=args.port,
            interface=Interfaces.ASGI,
            workers=args.workers,
            log_access=False,
            websockets=False,
        ).serve()
    finally:
        if sshd is not None:
            sshd.terminate()
            try:
                sshd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sshd.kill()
                sshd.wait()
    return 0


def _start_sshd(host: str, port: int) -> subprocess.Popen[bytes]:
    """git over SSH in its own process (``python -m nbopen.hubapi.gitssh``): granian forks
    its workers from this one, which must hold no event loop or database connection."""
    return subprocess.Popen(
        [sys.executable, "-m", "nbopen.hubapi.gitssh", "--host", host, "--port", str(port)]
    )
