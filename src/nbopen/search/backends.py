"""The two full-text engines behind one small interface.

Both receive pre-analysed terms, so they agree on what a term is; they differ only in how
they store and score them:

* SQLite (embedded default): an FTS5 table ``search_fts`` whose rowid is the document id,
  four columns (name, meta, descr, body) scored with ``bm25`` and per-column weights.
* PostgreSQL: a ``tsv`` column on ``search_document`` built as a tsvector *literal* with
  weights A–D for the same four fields (no text-search parser runs, so Chinese terms survive
  exactly), a GIN index, and ``ts_rank`` with matching weights.

Raw relevance is squashed to [0, 1) with ``r / (r + k)`` so the ranking formula that blends
it with popularity and freshness is the same on both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from nbopen.search.analysis import Group

FIELDS = ("name", "meta", "descr", "body")
# Per-field importance: a hit in the name counts most, a hit deep in the README least.
SQLITE_WEIGHTS = (10.0, 4.0, 3.0, 1.0)
PG_WEIGHTS = "{0.1, 0.4, 0.6, 1.0}"  # PostgreSQL order is D, C, B, A
PG_LETTERS = ("A", "B", "C", "D")
MAX_POSITION = 16383
MAX_POSITIONS_PER_TERM = 200


@dataclass(frozen=True)
class Ranked:
    """The engine's best matches by text relevance alone: (document id, relevance), best first.

    ``truncated`` says whether there are more matches than were returned.
    """

    hits: list[tuple[int, float]]
    truncated: bool
    groups: Sequence[Group] = ()
    any_group: bool = False


@dataclass(frozen=True)
class Match:
    """SQL pieces that restrict ``d`` (search_document) to matching rows and score them."""

    from_sql: str
    where_sql: str
    relevance_sql: str
    params: list[Any]


def vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


_FTS_INSERT = "INSERT INTO search_fts (rowid, name, meta, descr, body) VALUES (%s, %s, %s, %s, %s)"


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _pg_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def fts5_expression(groups: Sequence[Group], *, any_group: bool = False) -> str:
    parts = []
    for group in groups:
        alts = [_fts5_quote(t) + ("*" if prefix else "") for t, prefix in group.alternatives]
        parts.append("(" + " OR ".join(alts) + ")")
    return (" OR " if any_group else " AND ").join(parts)


def tsquery_expression(groups: Sequence[Group], *, any_group: bool = False) -> str:
    parts = []
    for group in groups:
        alts = [_pg_quote(t) + (":*" if prefix else "") for t, prefix in group.alternatives]
        parts.append("(" + " | ".join(alts) + ")")
    return (" | " if any_group else " & ").join(parts)


def tsvector_literal(fields: Sequence[Sequence[str]]) -> str:
    """A tsvector literal with positions and one weight letter per field."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for letter, terms in zip(PG_LETTERS, fields, strict=True):
        for term in terms:
            pos = min(pos + 1, MAX_POSITION)
            slots = positions.setdefault(term, [])
            if len(slots) < MAX_POSITIONS_PER_TERM:
                slots.append(f"{pos}{letter}")
        pos = min(pos + 1, MAX_POSITION)
    return " ".join(f"{_pg_quote(t)}:{','.join(p)}" for t, p in positions.items())


def match(groups: Sequence[Group], *, any_group: bool = False) -> Match:
    if vendor() == "postgresql":
        return Match(
            from_sql="search_document d",
            where_sql="d.tsv @@ %s::tsquery",
            relevance_sql=f"ts_rank('{PG_WEIGHTS}', d.tsv, %s::tsquery, 1)",
            params=[tsquery_expression(groups, any_group=any_group)],
        )
    weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
    return Match(
        from_sql="search_fts JOIN search_document d ON d.id = search_fts.rowid",
        where_sql="search_fts MATCH %s",
        relevance_sql=f"(-bm25(search_fts, {weights}))",
        params=[fts5_expression(groups, any_group=any_group)],
    )


def ranked(groups: Sequence[Group], *, any_group: bool = False, limit: int) -> Ranked:
    """The ``limit`` best matches by text relevance, computed inside the engine.

    No join, no privacy: callers filter these ids (see ``services``). On SQLite, FTS5 sorts
    by ``rank`` itself when asked ``ORDER BY rank`` (here bm25 with the field weights); on
    PostgreSQL the GIN index finds the matches and ``ts_rank`` orders them in a top-N heap.
    """
    with connection.cursor() as cur:
        if vendor() == "postgresql":
            weights = f"ts_rank('{PG_WEIGHTS}', d.tsv, q.q, 1)"
            cur.execute(
                f"SELECT d.id, {weights} AS rel FROM search_document d,"  # noqa: S608
                " (SELECT %s::tsquery AS q) q WHERE d.tsv @@ q.q"
                " ORDER BY rel DESC, d.id DESC LIMIT %s",
                [tsquery_expression(groups, any_group=any_group), limit + 1],
            )
        else:
            weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
            cur.execute(
                "SELECT rowid, -rank FROM search_fts WHERE search_fts MATCH %s"  # noqa: S608
                f" AND rank MATCH 'bm25({weights})' ORDER BY rank LIMIT %s",
                [fts5_expression(groups, any_group=any_group), limit + 1],
            )
        rows = [(int(i), float(r)) for i, r in cur.fetchall()]
    return Ranked(rows[:limit], len(rows) > limit, groups, any_group)


def ids_in(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``column IN (ids)`` with one parameter however many ids (no bound-variable limit)."""
    if vendor() == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    in_json = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - column is ours
    return in_json, [json.dumps(list(ids))]


def relevance_scale() -> float:
    """The ``k`` in ``r / (r + k)``: where raw relevance counts as half of the maximum."""
    return 0.1 if vendor() == "postgresql" else 6.0


def write(doc_id: int, fields: Sequence[Sequence[str]]) -> None:
    """Store (or replace) one document's terms in the full-text structure."""
    with connection.cursor() as cur:
        if vendor() == "postgresql":
            cur.execute(
                "UPDATE search_document SET tsv = %s::tsvector WHERE id = %s",
                [tsvector_literal(fields), doc_id],
            )
        else:
            cur.execute("DELETE FROM search_fts WHERE rowid = %s", [doc_id])
            cur.execute(
                _FTS_INSERT,
                [doc_id, *(" ".join(f) for f in fields)],
            )


def write_many(rows: Sequence[tuple[int, Sequence[Sequence[str]]]]) -> None:
    """Bulk variant of :func:`write` for rebuilds."""
    with connection.cursor() as cur:
        if vendor() == "postgresql":
            cur.executemany(
                "UPDATE search_document SET tsv = %s::tsvector WHERE id = %s",
                [(tsvector_literal(f), i) for i, f in rows],
            )
        else:
            cur.executemany("DELETE FROM search_fts WHERE rowid = %s", [(i,) for i, _ in rows])
            cur.executemany(
                _FTS_INSERT,
                [(i, *(" ".join(t) for t in f)) for i, f in rows],
            )


def delete(doc_ids: Sequence[int]) -> None:
    """Forget documents in the full-text structure (PostgreSQL's column goes with the row)."""
    if not doc_ids or vendor() == "postgresql":
        return
    with connection.cursor() as cur:
        cur.executemany("DELETE FROM search_fts WHERE rowid = %s", [(i,) for i in doc_ids])


def clear() -> None:
    if vendor() == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DELETE FROM search_fts")
