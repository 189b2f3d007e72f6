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

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

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

    ``truncated`` says whether there are more matches than were returned. ``rows`` holds,
    per returned id, the document's repository id and static rank (read with the match, so
    callers need no second lookup).
    """

    hits: list[tuple[int, float]]
    truncated: bool
    groups: Sequence[Group] = ()
    any_group: bool = False
    rows: dict[int, tuple[int | None, float]] = field(default_factory=dict)


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


def ranked(
    groups: Sequence[Group], *, any_group: bool = False, limit: int, min_id: int | None = None
) -> Ranked:
    """The ``limit`` best matches by text relevance, computed inside the engine.

    No join, no privacy: callers filter these ids (see ``services``). On SQLite, FTS5 sorts
    by ``rank`` itself when asked ``ORDER BY rank`` (here bm25 with the field weights); on
    PostgreSQL the GIN index finds the matches and ``ts_rank`` orders them in a top-N heap.

    ``min_id`` bounds the work: only documents with an id at least this large are scored
    (both engines seek to the id range instead of scoring every match). The result is then
    marked truncated, because matches below the bound were not looked at.
    """
    floor_sql, floor_params = "", []
    # Only PostgreSQL's planner hint needs a transaction (SET LOCAL lasts until its end).
    hinted = vendor() == "postgresql" and min_id is not None
    with transaction.atomic() if hinted else nullcontext(), connection.cursor() as cur:
        if vendor() == "postgresql":
            if min_id is not None:
                floor_sql, floor_params = " AND d.id >= %s", [min_id]
                # Intersect the GIN matches with the id range (BitmapAnd), so only rows in
                # both are read; a plain index scan of the range would read every row in it.
                cur.execute("SET LOCAL enable_indexscan = off")
            weights = f"ts_rank('{PG_WEIGHTS}', d.tsv, q.q, 1)"
            cur.execute(
                f"SELECT d.id, {weights} AS rel, d.repository_id, d.static_rank"  # noqa: S608
                f" FROM search_document d, (SELECT %s::tsquery AS q) q"
                f" WHERE d.tsv @@ q.q{floor_sql} ORDER BY rel DESC, d.id DESC LIMIT %s",
                [tsquery_expression(groups, any_group=any_group), *floor_params, limit + 1],
            )
            rows = cur.fetchall()
            if hinted:  # an enclosing transaction must not inherit the hint
                cur.execute("RESET enable_indexscan")
        else:
            if min_id is not None:
                floor_sql, floor_params = " AND rowid >= %s", [min_id]
            weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
            cur.execute(
                "SELECT r.id, r.rel, d.repository_id, d.static_rank FROM"  # noqa: S608
                " (SELECT rowid AS id, -rank AS rel FROM search_fts WHERE search_fts MATCH %s"
                f"{floor_sql} AND rank MATCH 'bm25({weights})' ORDER BY rank LIMIT %s) r"
                " JOIN search_document d ON d.id = r.id ORDER BY r.rel DESC, r.id DESC",
                [fts5_expression(groups, any_group=any_group), *floor_params, limit + 1],
            )
            rows = cur.fetchall()
    truncated = len(rows) > limit or min_id is not None
    rows = rows[:limit]
    return Ranked(
        [(int(i), float(r)) for i, r, _, _ in rows],
        truncated,
        groups,
        any_group,
        {int(i): (None if rid is None else int(rid), float(sr)) for i, _, rid, sr in rows},
    )


def score_budget() -> int:
    """How many matches one query may score before ``scoring_window`` narrows it.

    A work budget of roughly 10–15 ms on this machine kind (bench/search.py): FTS5 scores a
    match in about 1.2 µs, PostgreSQL (heap visit plus ts_rank) in about 4 µs.
    """
    return 4_000 if vendor() == "postgresql" else 10_000


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
