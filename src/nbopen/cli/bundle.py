"""``nbopen bundle export REPO… FILE`` and ``nbopen bundle import FILE [--owner NAME]``.

Offline bundles for air-gapped sites; the work is in :mod:`nbopen.ops.bundles`. stdout is a
JSON summary, stderr is progress. Imports stay lazy: the parser is built before Django.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    bundle = sub.add_parser(
        "bundle", help="offline bundles of repositories for air-gapped sites"
    ).add_subparsers(dest="verb", required=True)
    export = bundle.add_parser(
        "export",
        help="write REPO… (OWNER/NAME or datasets/OWNER/NAME) with history, LFS/Xet files "
        "and metadata into one tar FILE",
    )
    export.add_argument("repos", nargs="+", metavar="REPO")
    export.add_argument("file", type=Path, metavar="FILE")
    imp = bundle.add_parser(
        "import",
        help="verify every member of FILE, then create its repositories here "
        "(a re-run after an interruption resumes)",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--owner", default=None, help="create every repository under this owner")


def run(args: argparse.Namespace) -> int:
    from nbopen.cli.common import CommandError
    from nbopen.ops import bundles

    try:
        if args.verb == "export":
            print(json.dumps(bundles.export(args.repos, args.file), indent=2))
        else:
            print(json.dumps(bundles.import_bundle(args.file, owner=args.owner), indent=2))
    except bundles.BundleError as exc:
        raise CommandError(str(exc)) from exc
    return 0
