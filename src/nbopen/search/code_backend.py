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
repository search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from nbopen.search.analysis import Group
from nbopen.search.backends import _pg_quote, fts5_expression, tsquery_expression, vendor

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


def store(rows: Sequence[tuple[int, str, str]]) -> None:
    """Index rows (id, path_text, body_text) whose terms were just written to the table."""
    if not rows:
        return
    with connection.cursor() as cur:
        if vendor() == "postgresql":
            cur.executemany(
                "UPDATE search_code_file SET tsv = %s::tsvector WHERE id = %s",
                [(tsvector_literal(f"{p} {b}".split()), i) for i, p, b in rows],
            )
        else:
            cur.executemany(
                "INSERT INTO code_fts (rowid, path_text, body_text) VALUES (%s, %s, %s)",
                [list(r) for r in rows],
            )


def match(groups: Sequence[Group]) -> tuple[str, str, str, list[Any]]:
    """(FROM, WHERE, relevance, params) restricting ``c`` (search_code_file) to matches.

    The relevance expression takes no parameters of its own on either engine.
    """
    if vendor() == "postgresql":
        return (
            "search_code_file c",
            "c.tsv @@ %s::tsquery",
            "1.0",  # ranked afterwards, over the window only (see code_search)
            [tsquery_expression(groups)],
        )
    return (
        "code_fts JOIN search_code_file c ON c.id = code_fts.rowid",
        "code_fts MATCH %s",
        "1.0",  # ranked afterwards (see relevance): bm25 per walked row cost 25–40 µs
        [fts5_expression(groups)],
    )


def relevance(ids: Sequence[int], groups: Sequence[Group]) -> dict[int, float]:
    """Text relevance of the given matching rows only.

    PostgreSQL: ``ts_rank``. SQLite: whether the path matches too (``PATH_WEIGHT``) or only
    the text (1.0), from one FTS5 column-filtered match over the same ids; FTS5's bm25
    reads each row's term statistics and cost more than the rest of the query together at
    500,000 files (bench/code_search.py), so ties are left in newest-first order.
    """
    if not ids:
        return {}
    with connection.cursor() as cur:
        if vendor() == "postgresql":
            cur.execute(
                "SELECT id, ts_rank(tsv, %s::tsquery) FROM search_code_file WHERE id = ANY(%s)",
                [tsquery_expression(groups), list(ids)],
            )
            return {int(i): float(r) for i, r in cur.fetchall()}
        # A rowid range, which FTS5 seeks to (an IN list would be checked per match).
        cur.execute(
            "SELECT rowid FROM code_fts WHERE code_fts MATCH %s AND rowid BETWEEN %s AND %s",
            ["path_text : (" + fts5_expression(groups) + ")", min(ids), max(ids)],
        )
        in_path = {int(r[0]) for r in cur.fetchall()}
    return {i: PATH_WEIGHT if i in in_path else 1.0 for i in ids}


def clear() -> None:
    if vendor() == "sqlite":
        with connection.cursor() as cur:
            cur.execute("INSERT INTO code_fts (code_fts) VALUES ('delete-all')")
