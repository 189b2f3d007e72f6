"""``nbopen analytics …``: the OpenRank tool, imports, the monthly job and the export."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``analytics`` verb group to the top-level ``nbopen`` parser."""
    group = subparsers.add_parser("analytics", help="ecosystem analytics").add_subparsers(
        dest="verb", required=True
    )
    rank = group.add_parser("openrank", help="run the OpenRank kernel on a graph JSON file")
    rank.add_argument(
        "graph", help='{"nodes":[{id,init,retention}],"edges":[{source,target,weight}]}'
    )
    rank.add_argument("--tolerance", type=float, default=None)
    rank.add_argument("--max-iterations", type=int, default=None)

    imp = group.add_parser("import-gharchive", help="import GH Archive hour files (.json.gz)")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--force", action="store_true", help="re-import files already done")

    reg = group.add_parser("registry", help="the city registry").add_subparsers(
        dest="registry_verb", required=True
    )
    add = reg.add_parser("add", help="register a GitHub/Gitee account or owner/repo")
    add.add_argument("--platform", required=True, choices=["github", "gitee"])
    add.add_argument("--login", required=True)
    add.add_argument("--organization", default=None, help="NBopen organization it belongs to")
    reg.add_parser("list", help="list registry entries as JSON lines")

    comp = group.add_parser("compute", help="(re)compute monthly metrics")
    comp.add_argument("--month", default=None, help="YYYY-MM (default: every month with events)")
    comp.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit")
    comp.add_argument(
        "--tolerance", type=float, default=0.01, help="OpenRank tolerance (OpenDigger: 0.01)"
    )
    comp.add_argument(
        "--engine",
        default=None,
        choices=["duckdb", "spark"],
        help="engine for the event-sized aggregations (default: NBOPEN_ANALYTICS_ENGINE)",
    )

    exp = group.add_parser("export", help="write OpenDigger-compatible JSON files")
    exp.add_argument("dir")

    cost = group.add_parser("value", help="rebuild cost (COCOMO) and cost saved by reuse, JSON")
    cost.add_argument("--monthly-cost", type=float, default=None, help="CNY per person-month")


def run(args: argparse.Namespace) -> int:
    """Dispatch ``nbopen analytics <verb>``; called by :mod:`nbopen.cli.admin`."""
    from nbopen.cli.common import CommandError

    if args.verb == "openrank":
        return _openrank(args, CommandError)
    from nbopen.cli.common import migrate

    migrate()
    if args.verb == "import-gharchive":
        from nbopen.analytics import services
        from nbopen.analytics.models import ImportedFile
        from nbopen.core.tasks import wait_idle

        paths = [Path(p).resolve() for p in args.files]
        services.import_gharchive(paths=paths, force=args.force)
        wait_idle(timeout=24 * 3600)
        failed = 0
        for row in ImportedFile.objects.filter(name__in=[p.name for p in paths]).order_by("name"):
            print(
                json.dumps(
                    {"file": row.name, "status": row.status, "lines": row.lines, "kept": row.kept}
                )
            )
            failed += row.status != ImportedFile.Status.DONE
        return 1 if failed else 0
    if args.verb == "registry":
        from nbopen.analytics import services

        if args.registry_verb == "add":
            entry = services.registry_add(
                platform=args.platform, login=args.login, organization=args.organization
            )
            print(f"registered {entry.platform}:{entry.login}", file=sys.stderr)
        else:
            for e in services.registry_list():
                org = e.organization.name if e.organization else None
                print(json.dumps({"platform": e.platform, "login": e.login, "organization": org}))
        return 0
    if args.verb == "compute":
        from nbopen.analytics import pipeline

        try:
            result = pipeline.compute_months(
                month=args.month,
                memory_limit=args.memory_limit,
                tolerance=args.tolerance,
                engine=args.engine,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        print(json.dumps(result))
        return 0
    if args.verb == "export":
        from nbopen.analytics import export

        count = export.export(Path(args.dir))
        print(f"wrote {count} files to {args.dir}", file=sys.stderr)
        return 0
    if args.verb == "value":
        from nbopen.analytics import value

        report = value.city_value(monthly_cost=args.monthly_cost)
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    raise CommandError(f"unknown analytics verb {args.verb}")


def _openrank(args: argparse.Namespace, error: type[Exception]) -> int:
    from nbopen.analytics.openrank import (
        DEFAULT_MAX_ITERATIONS,
        DEFAULT_TOLERANCE,
        GraphError,
        openrank,
        parse_graph,
    )

    try:
        with open(args.graph, encoding="utf-8") as fh:
            document = json.load(fh)
        if not isinstance(document, dict):
            raise GraphError("the graph file must hold a JSON object")
        nodes, edges = parse_graph(document)
        values = openrank(
            nodes,
            edges,
            tolerance=args.tolerance if args.tolerance is not None else DEFAULT_TOLERANCE,
            max_iterations=(
                args.max_iterations if args.max_iterations is not None else DEFAULT_MAX_ITERATIONS
            ),
        )
    except (OSError, ValueError) as exc:
        raise error(f"{args.graph}: {exc}") from exc
    print(json.dumps(values))
    return 0
