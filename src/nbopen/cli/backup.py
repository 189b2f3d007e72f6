"""``nbopen backup DIR``, ``nbopen restore DIR [--force]`` and ``nbopen gc``.

The work is in :mod:`nbopen.ops`; this module parses and prints (a JSON summary on stdout,
progress on stderr). Imports stay lazy: the parser is built before Django is configured.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

COMMANDS = ("backup", "restore", "gc")


def register(sub: Any) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy database, repositories, LFS/Xet objects and conversions into DIR "
        "(consistent while the server runs; prints the manifest)",
    )
    backup.add_argument("dir", type=Path, help="a new or empty directory")
    restore = sub.add_parser(
        "restore",
        help="verify the backup in DIR, then restore it into this data dir, database and "
        "storage (stop the server first)",
    )
    restore.add_argument("dir", type=Path)
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a non-empty target; what is there is kept in DATA/pre-restore-TIME/",
    )
    gc = sub.add_parser(
        "gc",
        help="remove temp files and trash that interrupted writes left, queue again or fail "
        "competition submissions a stopped worker left (prints JSON)",
    )
    gc.add_argument(
        "--grace-seconds",
        type=int,
        default=None,
        help="only files untouched for this long (default: 86400)",
    )


def run(args: argparse.Namespace) -> int:
    from nbopen.cli.common import CommandError
    from nbopen.ops.manifest import BackupError

    try:
        if args.command == "backup":
            from nbopen.ops.backup import backup

            print(json.dumps(backup(args.dir), indent=2))
        elif args.command == "restore":
            from nbopen.ops.restore import restore

            print(json.dumps(restore(args.dir, force=args.force), indent=2))
        elif args.command == "gc":
            from nbopen.ops.cleanup import DEFAULT_GRACE_SECONDS, collect_deployment

            grace = DEFAULT_GRACE_SECONDS if args.grace_seconds is None else args.grace_seconds
            if grace < 0:
                raise CommandError("--grace-seconds must not be negative")
            from nbopen.audit.services import prune

            report = collect_deployment(grace_seconds=grace).as_json()
            report["audit_entries_pruned"] = prune()
            from nbopen.challenges.recovery import recover_stuck

            report["submissions_recovered"] = recover_stuck().as_json()
            from nbopen.mirrors.eviction import evict

            trimmed = evict()  # the on-demand mirror cache back within NBOPEN_MIRROR_CACHE_MB
            report["mirror_cache_evicted_bytes"] = trimmed.evicted_bytes
            print(json.dumps(report))
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    return 0
