"""Code search's full-text structure on the two engines (the same split as ``backends``).

* SQLite: an FTS5 table ``code_fts`` with *external content* (the analysed terms live once,
  in ``search_code_file.path_text``/``body_text``) and ``detail=column``: bm25 needs per-column
  counts, not every position, and positions of every word of every file would be most of
  the index. External content means a row's old terms must be handed back to FTS5 to
  delete it (the ``'delete'`` command), so rows are always changed through this module.
* PostgreSQL: a ``tsv`` column on ``search_code_file`` built as a tsvector literal of the
  distinct terms, without positions (no phrase queries, and a file's tsvector stays small,
  so a match reads little), with a GIN index.

Queries use ``backends.fts5_expression``/``tsquery_expression``: the same analysed groups as
repository search. Rows are inserted once with their terms (``create``), never written and
then updated.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from nbopen.search.analysis import Group
from nbopen.search.backends import _pg_quote, fts5_expression, vendor
from nbopen.search.models import CodeFile

# A hit in the path counts like several in the text (bm25 column weights on SQLite).
PATH_WEIGHT = 6.0
MAX_PG_TERMS = 20_000  # distinct terms per file (the tsvector limit is 1 MB)


def tsvector_literal(terms: Sequence[str]) -> str:
    """Distinct terms, no positions: what a match needs and nothing more."""
    unique = list(dict.fromkeys(t for t in terms if t))[:MAX_PG_TERMS]
    return " ".join(_pg_quote(t) for t in unique)


def forget(rows: Sequence[tuple[int, str, str]]) -> None:
    """Take rows (id, path_text, body_text) out of the full-text structure, before the rows
    themselves are deleted or rewritten (PostgreSQL's column goes with the row)."""
    if not rows or vendor() == "postgresql":
        return
    with connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO code_fts (code_fts, rowid, path_text, body_text)"
            " VALUES ('delete', %s, %s, %s)",
            [list(r) for r in rows],
        )


def create(files: Sequence[CodeFile]) -> list[CodeFile]:
    """Insert new rows and index them; the rows come back with their ids.

    PostgreSQL: one ``INSERT … RETURNING id`` that carries the tsvector, so each row is
    written once. Writing the row and then ``UPDATE``-ing its ``tsv`` left a dead copy of
    every row (the GIN-indexed column rules out a HOT update): the heap was twice its live
    size at 500,000 files, and a query's walk read twice the pages. SQLite: ``bulk_create``
    (ids read back before RETURNING), then the terms into FTS5.
    """
    if not files:
        return []
    if vendor() == "postgresql":
        fields = [f for f in CodeFile._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ", %s::tsvector)"
        params: list[Any] = []
        for file in files:
            params += [f.get_db_prep_save(getattr(file, f.attname), connection) for f in fields]
            params.append(tsvector_literal(f"{file.path_text} {file.body_text}".split()))
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO search_code_file ({columns}, tsv)"  # noqa: S608 (model columns)
                f" VALUES {', '.join([row] * len(files))} RETURNING id",
                params,
            )
            for file, (pk,) in zip(files, cur.fetchall(), strict=True):
                file.pk = pk
        return list(files)
    created = CodeFile.objects.bulk_create(files)
    if created[0].pk is None:  # SQLite before RETURNING: read the ids back
        by_path = dict(
            CodeFile.objects.filter(
                repository_id=created[0].repository_id, path__in=[c.path for c in created]
            ).values_list("path", "id")
        )
        for file in created:
            file.pk = by_path[file.path]
    with connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO code_fts (rowid, path_text, body_text) VALUES (%s, %s, %s)",
            [[c.pk, c.path_text, c.body_text] for c in created],
        )
    return created


def match(groups: Sequence[Group]) -> tuple[str, str, str, list[Any]]:
    """SQLite: (FROM, WHERE, relevance, params) restricting ``c`` (search_code_file) to
    matches. PostgreSQL's statement is ``code_search._pg_window``'s (its plan depends on
    the expected number of matches). The relevance expression takes no parameters."""
    return (
        "code_fts JOIN search_code_file c ON c.id = code_fts.rowid",
        "code_fts MATCH %s",
        "1.0",  # ranked afterwards (see relevance): bm25 per walked row cost 25–40 µs
        [fts5_expression(groups)],
    )


def relevance(ids: Sequence[int], groups: Sequence[Group]) -> dict[int, float]:
    """SQLite: text relevance of the given matching rows only (PostgreSQL's ``ts_rank`` is
    taken in the window's own statement).

    Whether the path matches too (``PATH_WEIGHT``) or only the text (1.0), from one FTS5
    column-filtered match over the same ids; FTS5's bm25 reads each row's term statistics
    and cost more than the rest of the query together at 500,000 files
    (bench/code_search.py), so ties are left in newest-first order.
    """
    if not ids or vendor() == "postgresql":
        return {}
    with connection.cursor() as cur:
        # A rowid range, which FTS5 seeks to (an IN list would be checked per match).
        cur.execute(
            "SELECT rowid FROM code_fts WHERE code_fts MATCH %s AND rowid BETWEEN %s AND %s",
            ["path_text : (" + fts5_expression(groups) + ")", min(ids), max(ids)],
        )
        in_path = {int(r[0]) for r in cur.fetchall()}
    return {i: PATH_WEIGHT if i in in_path else 1.0 for i in ids}


@dataclass(frozen=True)
class PgShape:
    """What the PostgreSQL window needs to choose its plan without asking each time: the
    id span of the table and the tsvector column's element statistics (``ANALYZE``'s most
    common terms with the share of files holding each, and the smallest such share)."""

    low: int
    top: int
    shares: dict[str, float]
    floor_share: float
    at: float

    def expected(self, groups: Sequence[Group], rows: float) -> float:
        """Expected matching files: per group the largest share of its exact terms (a term
        below the statistics' smallest share counts half that, as PostgreSQL's own
        estimate does), and the smallest of the groups: a query's words are not
        independent (集装箱 is searched as 集装 & 装箱 & 集装箱, always together; the
        product, as the planner takes it, expected 97 files for 29,000). Prefix
        alternatives are left out (they mostly find the same files); a group of prefixes
        only counts every known term with it."""
        share = 1.0
        for group in groups:
            exact = [t for t, prefix in group.alternatives if not prefix]
            if exact:
                best = max(self.shares.get(t, self.floor_share / 2) for t in exact)
            else:
                starts = tuple(t for t, _ in group.alternatives)
                best = sum(v for k, v in self.shares.items() if k.startswith(starts))
                best = max(best, self.floor_share / 2)
            share = min(share, best)
        return share * rows


_shape: PgShape | None = None
SHAPE_SECONDS = 60.0  # statistics change with ANALYZE (autovacuum), not per write


def pg_shape(cur: Any) -> PgShape:
    """The table's id span and term statistics, read at most once a minute per process.

    A stale span only moves where a range starts (rows above it are always included, and
    the last attempt has no floor), so the answer never depends on it being fresh."""
    global _shape
    now = time.monotonic()
    if _shape is None or now - _shape.at > SHAPE_SECONDS:
        cur.execute(
            "SELECT MIN(id), MAX(id),"
            " (SELECT most_common_elems::text::text[] FROM pg_stats"
            "  WHERE tablename = 'search_code_file' AND attname = 'tsv' LIMIT 1),"
            " (SELECT most_common_elem_freqs FROM pg_stats"
            "  WHERE tablename = 'search_code_file' AND attname = 'tsv' LIMIT 1)"
            " FROM search_code_file"
        )
        low, top, elems, freqs = cur.fetchone()
        elems, freqs = elems or [], freqs or []
        # The frequencies are followed by their minimum, maximum (and null share).
        shares = {str(e): float(f) for e, f in zip(elems, freqs, strict=False)}
        floor_share = float(freqs[len(elems)]) if len(freqs) > len(elems) else 0.0
        _shape = PgShape(int(low or 0), int(top or 0), shares, floor_share, now)
    return _shape


def clear() -> None:
    if vendor() == "sqlite":
        with connection.cursor() as cur:
            cur.execute("INSERT INTO code_fts (code_fts) VALUES ('delete-all')")
