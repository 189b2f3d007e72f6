"""``nbopen search …``: operator commands for the search index.

:func:`register` only declares arguments (Django is not imported yet when the parser is
built); :func:`run` is called by ``cli.admin`` after Django is set up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def register(sub: Any) -> None:
    search = sub.add_parser("search", help="search index and queries").add_subparsers(
        dest="verb", required=True
    )
    search.add_parser("reindex", help="rebuild the whole search index from the database")
    search.add_parser(
        "reindex-code", help="rebuild code search from every repository's default branch"
    )
    search.add_parser(
        "reindex-threads", help="rebuild issue and pull request search from every thread"
    )
    search.add_parser("update", help="apply events not yet in the index")
    search.add_parser("trending", help="recompute trending scores from the event log")
    q = search.add_parser("query", help="run a query as anonymous; prints JSON")
    q.add_argument("q")
    q.add_argument("--type", action="append", default=[])
    q.add_argument("--sort", default="relevance")
    q.add_argument("--limit", type=int, default=10)


def run(args: argparse.Namespace) -> int:
    from nbopen.cli.common import migrate
    from nbopen.search import indexer

    migrate()
    if args.verb == "reindex":
        started = time.perf_counter()
        stats = indexer.reindex_all(
            progress=lambda n: print(f"indexed {n} documents", file=sys.stderr)
        )
        seconds = time.perf_counter() - started
        print(
            f"reindexed {stats['documents']} documents, {stats['terms']} terms in {seconds:.1f} s",
            file=sys.stderr,
        )
        return 0
    if args.verb == "reindex-code":
        from nbopen.search import code_index

        started = time.perf_counter()
        code = code_index.reindex_all()
        seconds = time.perf_counter() - started
        print(
            f"indexed {code['files']} files of {code['repositories']} repositories"
            f" in {seconds:.1f} s",
            file=sys.stderr,
        )
        return 0
    if args.verb == "reindex-threads":
        from nbopen.search import thread_index

        started = time.perf_counter()
        done = thread_index.reindex_all()
        seconds = time.perf_counter() - started
        print(f"indexed {done['threads']} threads in {seconds:.1f} s", file=sys.stderr)
        return 0
    if args.verb == "update":
        n = indexer.index_pending()
        print(f"applied {n} events", file=sys.stderr)
        return 0
    if args.verb == "trending":
        from nbopen.search import trending

        print(f"{trending.refresh()} repositories trending", file=sys.stderr)
        return 0
    from nbopen.access.policy import Principal
    from nbopen.search.services import search

    result = search(
        principal=Principal.anonymous(),
        q=args.q,
        types=args.type,
        sort=args.sort,
        per_page=max(1, min(args.limit, 100)),
        with_facets=False,
    )
    print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    return 0
