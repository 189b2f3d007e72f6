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


def run(args: argparse.Namespace) -> int:
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
