"""``nbopen xet …``: operator and test access to the CAS without the Hub API.

``xet token`` prints what the Hub's xet-read-token / xet-write-token routes will return
(``{"accessToken", "exp", "casUrl"}``), issued through the same policy; ``xet usage`` prints
a repository's or an owner's storage accounting (before and after dedup). Imports stay
lazy: the parser is built before Django is configured.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    xet = sub.add_parser("xet", help="Xet chunk storage").add_subparsers(dest="verb", required=True)
    tok = xet.add_parser("token", help="issue a CAS token for a repository (prints JSON)")
    tok.add_argument("repo", help="OWNER/NAME")
    tok.add_argument("--user", default=None, help="act as this user (default: anonymous)")
    tok.add_argument("--write", action="store_true", help="a write token (default: read)")
    tok.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    usage = xet.add_parser(
        "usage",
        help="Xet storage accounting, bytes before/after dedup (prints JSON): of one "
        "repository (OWNER/NAME) or of all repositories of an organization or user (OWNER)",
    )
    usage.add_argument("repo", help="OWNER/NAME or OWNER")
    gc = xet.add_parser("gc", help="delete unreferenced Xet files and xorbs (prints JSON)")
    gc.add_argument("--grace-seconds", type=int, default=24 * 3600)
    gc.add_argument(
        "--possession-seconds",
        type=int,
        default=None,
        help="keep xorbs a user proved they hold for this long (default: 28 days)",
    )


def _repo(text: str) -> Any:
    from nbopen.core.errors import NotFound
    from nbopen.repos.services import repo_find

    owner, sep, name = text.partition("/")
    repo = repo_find(owner, name) if sep else None
    if repo is None:
        raise NotFound(f"No repository {text!r}")
    return repo


def _owner(text: str) -> Any:
    from nbopen.accounts.models import Namespace
    from nbopen.core.errors import NotFound

    owner = Namespace.objects.filter(name_lower=text.lower()).first()
    if owner is None:
        raise NotFound(f"No user or organization {text!r}")
    return owner


def run(args: argparse.Namespace) -> int:
    from nbopen.access.policy import Principal
    from nbopen.accounts.services import user_get
    from nbopen.core.errors import PermissionDenied
    from nbopen.xet import services

    if args.verb == "gc":
        kept = args.possession_seconds
        print(
            json.dumps(
                services.collect_garbage(
                    grace_seconds=args.grace_seconds,
                    possession_seconds=services.POSSESSION_TTL if kept is None else kept,
                )
            )
        )
        return 0
    if args.verb == "usage" and "/" not in args.repo:
        print(json.dumps(services.owner_usage(owner=_owner(args.repo))))
        return 0
    repo = _repo(args.repo)
    if args.verb == "token":
        principal = Principal(user=user_get(args.user)) if args.user else Principal.anonymous()
        try:
            issued = services.issue_cas_token(
                repo=repo, principal=principal, write=args.write, ttl=args.ttl
            )
        except services.CasError as exc:
            raise PermissionDenied(f"{exc} (HTTP {exc.status})") from exc
        print(json.dumps(issued.as_json()))
    elif args.verb == "usage":
        print(json.dumps(services.repo_usage(repo=repo)))
    return 0
