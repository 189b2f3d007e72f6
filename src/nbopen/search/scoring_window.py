"""Bounded work for broad queries: score the newest matches only.

Both engines compute text relevance (FTS5 bm25, PostgreSQL ts_rank) for *every* matching
document before they can return the best ones, so a query term found in 40 % of 100,000
repositories costs 40,000 scorings — about 50 ms on SQLite and more on PostgreSQL, however
few results are shown. Search engines bound this with early termination over a static
document order; this module does the same with the order we already have: document ids.

The highest ids are the newest documents: a document keeps its id when it is rewritten
(so a concurrent search never loses it), and a rebuild numbers documents in order of last
change (``indexer.reindex_all``).
When a query is estimated to match more than the engine's budget
(``backends.score_budget()``: 10,000 on SQLite, 4,000 on PostgreSQL, whose scoring costs
more per match), only documents in the top id range expected to hold about that many of its
matches are scored; the
estimate comes from the terms' document frequencies (``SearchTerm.df``), assuming the terms
of an all-terms query occur independently. When the range turns out to hold too few
matches for the page, the caller scores everything (``services._window``).

What a user sees: a query so broad that it matches more documents than the budget
ranks the newest of them (the blend then adds popularity and freshness);
``total`` is reported as a lower bound (``total_relation: "gte"``), as it already was for
any query with more matches than the rescoring window. A query of ordinary selectivity is
ranked over all of its matches, exactly as before.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

from django.db import connection

from nbopen.search import backends
from nbopen.search.analysis import Group

CORPUS_SECONDS = 30.0

_lock = threading.Lock()
_count: tuple[float, int] | None = None  # (loaded at, number of documents)


def documents() -> int:
    """The number of documents, cached briefly (it only feeds estimates)."""
    global _count
    with _lock:
        now = time.monotonic()
        if _count is None or now - _count[0] > CORPUS_SECONDS:
            with connection.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM search_document")
                _count = (now, int(cur.fetchone()[0] or 0))
        return _count[1]


def top_id() -> int:
    """The highest document id, read fresh (one index lookup): the window hangs from it."""
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(id) FROM search_document")
        return int(cur.fetchone()[0] or 0)


def invalidate() -> None:
    global _count
    with _lock:
        _count = None


def _group_frequencies(groups: Sequence[Group]) -> list[int]:
    """Per group, the documents containing any of its alternatives (an upper bound: the sum
    of their document frequencies), in one query."""
    parts: list[str] = []
    params: list[int | str] = []
    for index, group in enumerate(groups):
        for term, prefix in group.alternatives:
            if prefix:
                parts.append(
                    "SELECT %s AS g, df AS n FROM search_term WHERE term >= %s AND term < %s"
                )
                params += [index, term, term + "\U0010ffff"]
            else:
                parts.append("SELECT %s AS g, df AS n FROM search_term WHERE term = %s")
                params += [index, term]
    sums = [0] * len(groups)
    if not parts:
        return sums
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT g, SUM(n) FROM ({' UNION ALL '.join(parts)}) t GROUP BY g",  # noqa: S608
            params,
        )
        for index, total in cur.fetchall():
            sums[int(index)] = int(total or 0)
    return sums


def estimated_matches(groups: Sequence[Group], *, any_group: bool, documents: int) -> float:
    """How many documents the query is expected to match."""
    if not groups or documents <= 0:
        return 0.0
    frequencies = [min(documents, f) for f in _group_frequencies(groups)]
    if any_group:
        return float(min(documents, sum(frequencies)))
    return documents * math.prod(f / documents for f in frequencies)


def floor(groups: Sequence[Group], *, any_group: bool) -> int | None:
    """The lowest document id worth scoring for this query, or None to score every match."""
    count = documents()
    expected = estimated_matches(groups, any_group=any_group, documents=count)
    budget = backends.score_budget()
    if expected <= budget:
        return None
    width = math.ceil(count * budget / expected)
    return max(1, top_id() - width + 1)


def widen(floor: int, *, found: int, wanted: int) -> int | None:
    """A lower floor expected to hold twice the ``wanted`` matches, given that ``floor``
    held ``found``; None when that would cover (nearly) every document anyway."""
    top = top_id()
    width = max(1, top - floor + 1)
    wider = math.ceil(width * 2 * wanted / max(found, 1))
    if wider * 2 >= documents() or top - wider + 1 <= 1:
        return None
    return top - wider + 1
