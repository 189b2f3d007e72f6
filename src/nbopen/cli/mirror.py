"""``nbopen mirror upstream add|list|remove``: the hubs this server may fetch from.

stdout is data (JSON), stderr is talk. A token given to ``add`` is stored encrypted and never
printed again: ``list`` says only ``has_token``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any


def register(sub: Any) -> None:
    mirror = sub.add_parser("mirror", help="mirrors of other hubs").add_subparsers(
        dest="resource", required=True
    )
    upstream = mirror.add_parser("upstream", help="upstream hubs").add_subparsers(
        dest="verb", required=True
    )
    add = upstream.add_parser("add", help="add an upstream, looked up after existing ones")
    add.add_argument("name", help="also the namespace its mirrors live under")
    add.add_argument("url", help="e.g. https://huggingface.co or https://hf-mirror.com")
    add.add_argument("--kind", default="hf", choices=["hf", "modelscope"])
    add.add_argument("--token", default=None, help="stored encrypted, never shown again")
    add.add_argument("--allow", action="append", help="OWNER or OWNER/NAME pattern (repeatable)")
    add.add_argument("--deny", action="append", help="OWNER or OWNER/NAME pattern (repeatable)")
    upstream.add_parser("list", help="list upstreams (tokens are never shown)")
    remove = upstream.add_parser("remove", help="remove an upstream (mirrors made stay)")
    remove.add_argument("name")

    git = mirror.add_parser("git", help="git pull mirrors of code repositories").add_subparsers(
        dest="verb", required=True
    )
    gadd = git.add_parser("add", help="create OWNER/NAME as a pull mirror of URL and sync it")
    gadd.add_argument("repo", help="OWNER/NAME (a new code repository)")
    gadd.add_argument("url", help="http(s) git URL")
    gadd.add_argument(
        "--interval", type=int, default=3600, help="seconds between syncs (0: manual)"
    )
    git.add_parser("list", help="pull mirrors with their last sync and error")
    gsync = git.add_parser("sync", help="sync one mirror now, or queue every due one (--due)")
    gsync.add_argument("repo", nargs="?")
    gsync.add_argument("--due", action="store_true", help="for cron: queue the due syncs")
    gconvert = git.add_parser("convert", help="stop mirroring; the repository accepts pushes")
    gconvert.add_argument("repo")


def run(args: argparse.Namespace) -> int:
    if args.resource == "git":
        return _run_git(args)
    from nbopen.mirrors import upstreams

    if args.verb == "add":
        view = upstreams.upstream_add(
            name=args.name,
            url=args.url,
            kind=args.kind,
            token=args.token,
            allow=args.allow,
            deny=args.deny,
        )
        print(json.dumps(dataclasses.asdict(view)))
    elif args.verb == "list":
        print(json.dumps([dataclasses.asdict(v) for v in upstreams.upstream_list()]))
    else:
        upstreams.upstream_remove(name=args.name)
    return 0


def _owner_name(text: str) -> tuple[str, str]:
    from nbopen.cli.common import CommandError

    owner, _, name = text.partition("/")
    if not owner or not name:
        raise CommandError(f"{text!r} is not OWNER/NAME")
    return owner, name


def _run_git(args: argparse.Namespace) -> int:
    from nbopen.cli.common import CommandError
    from nbopen.mirrors import git_mirrors

    if args.verb == "add":
        owner, name = _owner_name(args.repo)
        view = git_mirrors.git_mirror_add(
            owner=owner, name=name, url=args.url, interval_seconds=args.interval
        )
        print(json.dumps(dataclasses.asdict(view)))
    elif args.verb == "list":
        print(json.dumps([dataclasses.asdict(v) for v in git_mirrors.git_mirror_list()]))
    elif args.verb == "sync" and args.due:
        print(json.dumps({"queued": git_mirrors.sync_due()}))
    elif args.verb == "sync":
        if not args.repo:
            raise CommandError("name a mirror (OWNER/NAME) or pass --due")
        owner, name = _owner_name(args.repo)
        print(json.dumps(dataclasses.asdict(git_mirrors.git_mirror_sync(owner=owner, name=name))))
    else:
        owner, name = _owner_name(args.repo)
        git_mirrors.git_mirror_convert(owner=owner, name=name)
    return 0
