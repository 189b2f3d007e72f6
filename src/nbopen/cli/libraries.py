"""``nbopen libraries …``: operators define the domains of the vertical data libraries.

:func:`register` only declares arguments (Django is not imported when the parser is built);
:func:`run` is called by ``cli.admin`` after Django is set up. The console is trusted as an
operator, like ``nbopen user create --admin``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    libraries = sub.add_parser(
        "libraries", help="domains of the vertical data libraries (垂直开源库)"
    ).add_subparsers(dest="verb", required=True)
    add = libraries.add_parser("add", help="define a domain")
    add.add_argument("slug", help="what cards name: domain: SLUG, or a domain:SLUG tag")
    add.add_argument("--zh", required=True, help="Chinese name, e.g. 智能制造")
    add.add_argument("--en", default="", help='English name, e.g. "Smart manufacturing"')
    add.add_argument("--description-zh", default="")
    add.add_argument("--description-en", default="")
    edit = libraries.add_parser("edit", help="change a domain's names or descriptions")
    edit.add_argument("slug")
    edit.add_argument("--zh")
    edit.add_argument("--en")
    edit.add_argument("--description-zh")
    edit.add_argument("--description-en")
    ls = libraries.add_parser("list", help="list domains with their public counts")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from nbopen.access.policy import Principal
    from nbopen.cli.common import migrate
    from nbopen.libraries import services

    migrate()
    if args.verb == "add":
        domain = services.domain_create(
            principal=None,
            slug=args.slug,
            name_zh=args.zh,
            name_en=args.en,
            description_zh=args.description_zh,
            description_en=args.description_en,
        )
        print(f"created domain {domain.slug}", file=sys.stderr)
        return 0
    if args.verb == "edit":
        domain = services.domain_get(args.slug)
        services.domain_update(
            principal=None,
            domain=domain,
            name_zh=domain.name_zh if args.zh is None else args.zh,
            name_en=domain.name_en if args.en is None else args.en,
            description_zh=(
                domain.description_zh if args.description_zh is None else args.description_zh
            ),
            description_en=(
                domain.description_en if args.description_en is None else args.description_en
            ),
        )
        print(f"updated domain {domain.slug}", file=sys.stderr)
        return 0
    # list: counts as an anonymous visitor sees them (public repositories only).
    rows = services.overview(Principal.anonymous())
    if args.json:
        data = [{**services.domain_dict(d), "counts": counts} for d, counts in rows]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    for domain, counts in rows:
        print(
            f"{domain.slug}\t{domain.name_zh}\t{domain.name_en}\t"
            f"{counts['dataset']} datasets\t{counts['model']} models\t{counts['code']} code"
        )
    return 0
