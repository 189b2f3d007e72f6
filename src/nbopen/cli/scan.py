"""``nbopen scan``: scan repositories now (content pushed before scanning existed, or after
an operator turned ClamAV on). Runs in this process and prints JSON; the scan of each
content hash is stored once, so a second run only reads the trees."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    scan = sub.add_parser(
        "scan", help="scan repositories' branch and tag heads for unsafe pickles and secrets"
    )
    scan.add_argument("repos", nargs="*", help="OWNER/NAME (datasets: datasets/OWNER/NAME)")
    scan.add_argument("--all", action="store_true", help="every repository")


def run(args: argparse.Namespace) -> int:
    from nbopen.cli.common import CommandError
    from nbopen.repos.models import Repository
    from nbopen.repos.services import repo_find
    from nbopen.scanning import services

    if args.all:
        repos = list(Repository.objects.select_related("owner").order_by("pk"))
    elif args.repos:
        repos = []
        for text in args.repos:
            kind = Repository.Type.DATASET if text.startswith("datasets/") else None
            owner, _, name = text.removeprefix("datasets/").partition("/")
            if not name:
                raise CommandError(f"{text!r} is not OWNER/NAME")
            repo = repo_find(owner, name, kind)
            if repo is None:
                raise CommandError(f"no repository {text}")
            repos.append(repo)
    else:
        raise CommandError("name repositories (OWNER/NAME) or pass --all")
    scanned = sum(services.scan_repository(repo) for repo in repos)
    print(json.dumps({"repositories": len(repos), "scanned": scanned}))
    return 0
