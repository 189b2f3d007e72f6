"""``nbopen mirror upstream add|list|remove``: the hubs this server may fetch from.
``nbopen mirror add|sync|list|remove|evict``: model and dataset mirrors made ahead of time
(prefetched, pinned, re-synced on a schedule) and the on-demand cache's size budget.
``nbopen mirror git …``: git pull mirrors of code repositories.

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
    add.add_argument(
        "--org",
        default=None,
        help="the organization the token is for: private upstream repositories are mirrored "
        "into private repositories only its members read",
    )
    add.add_argument("--allow", action="append", help="OWNER or OWNER/NAME pattern (repeatable)")
    add.add_argument("--deny", action="append", help="OWNER or OWNER/NAME pattern (repeatable)")
    upstream.add_parser("list", help="list upstreams (tokens are never shown)")
    remove = upstream.add_parser("remove", help="remove an upstream (mirrors made stay)")
    remove.add_argument("name")

    padd = mirror.add_parser("add", help="mirror a model or dataset now, pin it, fetch its files")
    padd.add_argument("source", help="OWNER/NAME on the upstream")
    padd.add_argument("--dataset", action="store_true", help="a dataset (default: a model)")
    padd.add_argument(
        "--include", action="append", help="only LFS files matching this pattern (repeatable)"
    )
    padd.add_argument("--interval", type=int, default=0, help="re-sync every N seconds (0: no)")
    psync = mirror.add_parser("sync", help="re-sync one mirror now, or queue the due ones")
    psync.add_argument("source", nargs="?", help="OWNER/NAME (the original id)")
    psync.add_argument("--due", action="store_true", help="for cron: queue the due syncs")
    mirror.add_parser("list", help="model and dataset mirrors with stored bytes and last sync")
    premove = mirror.add_parser("remove", help="unpin: the mirror stays as an evictable cache")
    premove.add_argument("source")
    pevict = mirror.add_parser("evict", help="trim the on-demand cache to its budget now")
    pevict.add_argument("--budget-mb", type=int, default=None, help="NBOPEN_MIRROR_CACHE_MB")

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
    if args.resource != "upstream":
        return _run_prefetch(args)
    from nbopen.mirrors import upstreams

    if args.verb == "add":
        view = upstreams.upstream_add(
            name=args.name,
            url=args.url,
            kind=args.kind,
            token=args.token,
            allow=args.allow,
            deny=args.deny,
            organization=args.org,
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


def _progress_bar() -> Any:
    """A tqdm bar on stderr fed by :mod:`nbopen.mirrors.prefetch`'s progress callback."""
    from tqdm import tqdm

    bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, leave=False, disable=None)

    def update(path: str, done: int, total: int) -> None:
        bar.total = total
        bar.set_postfix_str(path[-40:], refresh=False)
        bar.update(done - bar.n)

    update.close = bar.close  # type: ignore[attr-defined]
    return update


def _report(mirror: Any, report: Any) -> dict[str, Any]:
    return {
        "source": mirror.source_id,
        "type": mirror.source_type,
        "repository": mirror.repository.full_name,
        **dataclasses.asdict(report),
    }


def _run_prefetch(args: argparse.Namespace) -> int:
    from nbopen.cli.common import CommandError
    from nbopen.mirrors import eviction, prefetch

    if args.resource == "add":
        _owner_name(args.source)
        progress = _progress_bar()
        try:
            mirror, report = prefetch.add(
                "dataset" if args.dataset else "model",
                args.source,
                include=args.include,
                interval=args.interval,
                progress=progress,
            )
        finally:
            progress.close()
        print(json.dumps(_report(mirror, report)))
    elif args.resource == "sync" and args.due:
        print(json.dumps({"queued": prefetch.sync_due()}))
    elif args.resource == "sync":
        if not args.source:
            raise CommandError("name a mirror (OWNER/NAME) or pass --due")
        mirror = prefetch.find(args.source)
        progress = _progress_bar()
        try:
            report = prefetch.sync(mirror, progress=progress)
        finally:
            progress.close()
        print(json.dumps(_report(mirror, report)))
    elif args.resource == "list":
        stored = eviction.stored_by_mirror()
        print(json.dumps([_listed(m, stored.get(m.pk, 0)) for m in prefetch.listed()]))
    elif args.resource == "remove":
        prefetch.remove(prefetch.find(args.source))
    else:
        budget = None if args.budget_mb is None else args.budget_mb << 20
        print(json.dumps(dataclasses.asdict(eviction.evict(budget))))
    return 0


def _listed(mirror: Any, stored: int) -> dict[str, Any]:
    return {
        "source": mirror.source_id,
        "type": mirror.source_type,
        "upstream": mirror.upstream.name if mirror.upstream else None,
        "repository": mirror.repository.full_name,
        "pinned": mirror.pinned,
        "include": mirror.include,
        "sync_interval": mirror.sync_interval,
        "stored_bytes": stored,
        "last_sync": mirror.last_sync.isoformat(),
        "last_used": mirror.last_used.isoformat() if mirror.last_used else None,
        "last_error": mirror.last_error,
    }
