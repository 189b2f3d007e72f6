"""The dataset viewer tab (rows, search, filter builder, column charts) and the versions tab.

Server-rendered so both work without JavaScript; charts are drawn by ``web/js/charts.js``
from JSON blocks. Reading goes through :mod:`nbopen.datasets.viewer`; who may look is decided
by the policy in :func:`repo_access` (a private dataset is a 404 for anyone who cannot read).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, QueryDict

from nbopen.core.errors import NotFound
from nbopen.datasets import images, viewer
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.datasets.query import MAX_LENGTH
from nbopen.datasets.wherelang import FilterError
from nbopen.repos.models import Repository
from nbopen.web import labels
from nbopen.web.column_charts import column_summaries
from nbopen.web.messages import translated
from nbopen.web.views.base import RepoAccess, page, repo_access
from nbopen.web.views.browse import repo_context

BUILDER_ROWS = 3  # condition rows offered by the no-JS filter form
MAX_OFFSET = 10**12  # far beyond any split; keeps SQLite/DuckDB integer binding in range


def _dataset(request: HttpRequest, owner: str, name: str) -> RepoAccess:
    access = repo_access(request, owner, name, content=True)
    if access.repo.type != Repository.Type.DATASET:
        raise Http404("not a dataset")
    return access


def _int(raw: str | None, default: int, lo: int, hi: int | None = None) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    value = max(lo, value)
    return min(hi, value) if hi is not None else value


def _conditions(query: QueryDict) -> list[viewer.Condition]:
    cols, ops, vals = query.getlist("col"), query.getlist("op"), query.getlist("val")
    out = []
    for i, col in enumerate(cols):
        op = ops[i] if i < len(ops) else "="
        if col:
            out.append(viewer.Condition(col, op, vals[i] if i < len(vals) else ""))
    return out


def _rows_page(split: SplitResult, query: QueryDict) -> tuple[viewer.RowsPage, str]:
    """The page of rows the query asks for, and the ``where`` the builder compiled."""
    offset = _int(query.get("offset"), 0, 0, MAX_OFFSET)
    length = _int(query.get("length"), MAX_LENGTH, 1, MAX_LENGTH)
    text = query.get("q", "").strip()
    if text:
        return viewer.search_page(split, text, offset, length), ""
    conditions = _conditions(query)
    where = query.get("where", "").strip()
    sort = query.get("sort", "")
    if not (conditions or where or sort):
        return viewer.rows_page(split, offset, length), ""
    try:
        built = viewer.compile_conditions(split, conditions, query.get("join", "AND"))
        orderby = viewer.compile_orderby(split, sort, query.get("dir") == "desc")
    except FilterError as exc:
        return viewer.RowsPage("filter", [], 0, offset, length, str(exc), where, problem=exc), ""
    if built and where:
        where = f"({where}) AND ({built})"
    return viewer.filter_page(split, where or built, orderby, offset, length), built


def _link(query: QueryDict, **changes: Any) -> str:
    q = query.copy()
    for key, value in changes.items():
        if value is None:
            q.pop(key, None)
        else:
            q[key] = str(value)
    return "?" + q.urlencode()


def _columns(split: SplitResult) -> list[dict[str, Any]]:
    summaries = column_summaries(split.statistics)
    out = []
    for i, feature in enumerate(split.features):
        ftype = feature["type"]
        dtype = ftype.get("dtype") or ftype.get("_type", "") if isinstance(ftype, dict) else ""
        summary = summaries.get(feature["name"], {})
        kind = summary.get("kind", "")
        out.append(
            {
                "name": feature["name"],
                "dtype": dtype or "struct",
                "kind": kind,
                "type_label": labels.column_type(dtype or "struct", kind),
                "image": dtype == "Image",
                "stats": summary.get("stats", {}),
                "chart": summary.get("chart"),
                "chart_id": f"col-chart-{i}",
            }
        )
    return out


def _licence(repo: Repository, conversion: Conversion | None) -> str:
    card = (conversion.manifest.get("card", {}) if conversion else {}) or {}
    lic = card.get("license") or repo.license or repo.card_data.get("license", "")
    return ", ".join(map(str, lic)) if isinstance(lic, list) else str(lic or "")


def dataset_viewer(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = _dataset(request, owner, name)
    repo = access.repo
    query = request.GET
    sel = viewer.select(repo, query.get("config"), query.get("split"))
    ctx = repo_context(access, rev=repo.default_branch, sha=None, tab="viewer")
    conversion = sel.conversion
    ctx.update(
        {
            "conversion": conversion,
            "converting": conversion is not None
            and conversion.status in {Conversion.Status.PENDING, Conversion.Status.RUNNING},
            "progress_pct": round((conversion.progress if conversion else 0) * 100),
            "splits": sel.splits,
            "failed": sel.failed,
            "split": sel.split,
            "licence": _licence(repo, conversion),
            "croissant_url": "/datasets-server/croissant?" + urlencode({"dataset": repo.full_name}),
            "operators": viewer.OPERATORS,
            "total_rows": sum(s.num_rows for s in sel.splits),
            "bytes_original": sum(s.bytes_original for s in sel.splits),
            "bytes_parquet": sum(s.bytes_parquet for s in sel.splits),
        }
    )
    if sel.split is not None:
        rows, built = _rows_page(sel.split, query)
        if rows.problem is not None:
            rows = replace(rows, error=translated(rows.problem) or rows.error)
        base = QueryDict(mutable=True)
        base.update({"config": sel.split.config, "split": sel.split.split})
        conditions = _conditions(query)
        columns = _columns(sel.split)
        thumb_base = (
            f"{repo.web_path}/viewer/thumbnail?"
            + urlencode({"rev": conversion.revision if conversion else ""})
            + "&"
        )
        ctx.update(
            {
                "columns": columns,
                "display_rows": _display_rows(rows, columns, thumb_base),
                "thumb_box": images.THUMB_BOX // 2,
                "rows": rows,
                "built_where": built,
                "row_query": query.get("q", ""),
                "where_text": query.get("where", ""),
                "sort": query.get("sort", ""),
                "sort_desc": query.get("dir") == "desc",
                "join": "OR" if query.get("join") == "OR" else "AND",
                "builder": conditions
                + [viewer.Condition("", "=")] * max(1, BUILDER_ROWS - len(conditions)),
                "previous_link": None
                if rows.previous_offset is None
                else _link(query, offset=rows.previous_offset),
                "next_link": None
                if rows.next_offset is None
                else _link(query, offset=rows.next_offset),
                "clear_link": "?" + base.urlencode(),
                "split_links": [
                    (s, "?" + urlencode({"config": s.config, "split": s.split})) for s in sel.splits
                ],
            }
        )
    return page(request, "web/dataset_viewer.html", ctx)


def _display_rows(
    rows: viewer.RowsPage, columns: list[dict[str, Any]], thumb_base: str
) -> list[dict[str, Any]]:
    """Rows for the table: an image column's cell carries its thumbnail's URL."""
    out = []
    for row in rows.rows:
        cells = []
        for column, cell in zip(columns, row.cells, strict=False):
            thumb = None
            if column["image"] and not cell.null and not cell.truncated:
                thumb = thumb_base + urlencode({"path": cell.text})
            cells.append({"cell": cell, "thumb": thumb})
        out.append({"index": row.index, "cells": cells})
    return out


def thumbnail(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """``…/viewer/thumbnail?rev=<sha>&path=<image>``: a re-encoded, size-capped WebP, read
    with the viewer's own permission (the policy through :func:`repo_access`)."""
    access = _dataset(request, owner, name)
    try:
        data = images.repo_thumbnail(
            access.repo, request.GET.get("rev", ""), request.GET.get("path", "")
        )
    except NotFound:
        raise Http404("no such image") from None
    except images.ThumbnailError:
        return HttpResponse(status=415)
    response = HttpResponse(data, content_type="image/webp")
    # The URL names a commit: its image never changes. Private repositories stay private.
    scope = "private" if access.repo.private else "public"
    response["Cache-Control"] = f"{scope}, max-age=31536000, immutable"
    return response


def dataset_versions(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = _dataset(request, owner, name)
    repo = access.repo
    query = request.GET
    from_rev, to_rev = query.get("from", "").strip(), query.get("to", "").strip()
    key = query.get("key", "").strip()
    comparison = viewer.compare(repo, from_rev, to_rev, key)
    ctx = repo_context(access, rev=repo.default_branch, sha=None, tab="versions")
    shared_columns: list[str] = []
    if comparison.new is not None and comparison.new.status == Conversion.Status.DONE:
        first = comparison.new.splits.filter(status=SplitResult.Status.DONE).first()
        shared_columns = viewer.columns(first) if first else []
    ctx.update(
        {
            "revisions": viewer.converted_revisions(repo),
            "comparison": comparison,
            "from_rev": comparison.old.revision if comparison.old else from_rev,
            "to_rev": comparison.new.revision if comparison.new else to_rev,
            "key": key,
            "key_columns": shared_columns,
        }
    )
    return page(request, "web/dataset_versions.html", ctx)
