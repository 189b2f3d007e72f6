"""Thread search: issues and pull requests of every repository the caller may read.

Privacy is repository search's (``services._privacy``): the policy's
``visible_repositories``, correlated to each thread's live repository, sits inside the one
statement that finds matches, so results and ``total`` only ever count threads of
repositories the caller may read; a private repository's thread is never counted or
hinted at otherwise.

Cost is bounded as in code search (ADR 0029): matches are walked newest thread first and
the walk stops after ``WINDOW`` visible ones; that window is ranked (title matches first,
then newest) and paginated, and ``total_relation: "gte"`` says when there were more. With
no query the newest visible threads are listed, as Gitea's ``/repos/issues/search`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from nbopen.access.policy import Principal
from nbopen.collab.models import Thread
from nbopen.core.errors import InvalidInput
from nbopen.search import thread_index
from nbopen.search.analysis import query_groups
from nbopen.search.services import MAX_QUERY, _privacy

WINDOW = 1_000
MAX_LIMIT = 50
STATES = ("open", "closed", "all")
TYPES = ("", "issues", "pulls")


@dataclass
class ThreadResult:
    total: int
    threads: list[Thread] = field(default_factory=list)
    page: int = 1
    limit: int = 20
    total_relation: str = "eq"


def _validate(q: str, state: str, type: str, page: int, limit: int) -> str:
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"The query is longer than {MAX_QUERY} characters")
    if state not in STATES:
        raise InvalidInput("state must be one of open, closed, all")
    if type not in TYPES:
        raise InvalidInput("type must be issues or pulls")
    if not 1 <= page <= WINDOW:
        raise InvalidInput(f"page must be between 1 and {WINDOW}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    return q


def search_threads(
    *,
    principal: Principal,
    q: str = "",
    state: str = "open",
    type: str = "",
    page: int = 1,
    limit: int = 20,
) -> ThreadResult:
    """Issues and pull requests matching ``q`` (title, opening text, comments; Chinese
    segmented, pinyin understood) in repositories ``principal`` may read.

    ``state``: open / closed (merged included) / all; ``type``: issues / pulls / both.
    Raises InvalidInput for bad parameters.
    """
    q = _validate(q, state, type, page, limit)
    result = ThreadResult(total=0, page=page, limit=limit)
    groups = query_groups(q)
    if q and not groups:  # only stop words or punctuation: nothing can match
        return result
    where = []
    params: list[Any] = []
    if groups:
        match, match_params = thread_index.match_sql(groups)
        where.append(f"th.id IN ({match})")
        params += match_params
    else:  # browsing: only indexed threads, as a query would see them
        where.append("th.id IN (SELECT thread_id FROM search_thread)")
    if state == "open":
        where.append("th.state = 'open'")
    elif state == "closed":
        where.append("th.state <> 'open'")
    if type:
        where.append("th.kind = %s")
        params.append("pull" if type == "pulls" else "issue")
    privacy_sql, privacy_params = _privacy(principal, probe=True, column="th.repository_id")
    where.append(f"({privacy_sql})")
    params += privacy_params
    sql = (
        "SELECT th.id FROM collab_thread th"  # noqa: S608 (trusted fragments, values bound)
        f" WHERE {' AND '.join(where)} ORDER BY th.id DESC LIMIT %s"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [*params, WINDOW + 1])
        ids = [int(r[0]) for r in cur.fetchall()]
    result.total_relation = "eq" if len(ids) <= WINDOW else "gte"
    ids = ids[:WINDOW]
    result.total = len(ids)
    if groups:
        scores = thread_index.title_hits(ids, groups)
        ids.sort(key=lambda i: (-scores.get(i, 0.0), -i))
    chosen = ids[(page - 1) * limit : page * limit]
    rows = Thread.objects.select_related("repository__owner", "author").in_bulk(chosen)
    result.threads = [rows[i] for i in chosen if i in rows]
    return result


@dataclass(frozen=True)
class RepositoryMatch:
    """What ``QuerySet.extra`` needs to keep only one repository's threads matching a
    query, newest first (``collab_thread`` joined to the full-text structure)."""

    tables: list[str]
    where: list[str]
    params: list[Any]
    order_by: list[str]


def repository_filter(repository_id: int, q: str) -> RepositoryMatch | None:
    """The threads of one repository matching ``q`` (the issue list's search box); None
    when ``q`` has no terms.

    The full-text structure drives the join: on SQLite FTS5 yields the matches of the
    repository's token and the words, newest first (``ORDER BY rowid DESC`` is consumed by
    FTS5, so a page stops early) and each is looked up by primary key; an ``IN (subquery)``
    instead materialised every match before the count and again before the page (p95 at
    50,000 issues: 2–3× slower, bench/collab.py). On PostgreSQL the GIN index does the
    same intersection.
    """
    groups = query_groups((q or "").strip()[:MAX_QUERY])
    if not groups:
        return None
    _, params = thread_index.match_sql(groups, repository_id)
    if thread_index.vendor() == "postgresql":
        # Tried: ids through the GIN index first, then ``id = ANY(array)``: a 50,000-id
        # array is searched per row (p95 0.9 s on a query matching every issue). The join
        # lets the planner hash both sides.
        return RepositoryMatch(
            tables=["search_thread"],
            where=[
                "search_thread.thread_id = collab_thread.id",
                "search_thread.tsv @@ %s::tsquery",
            ],
            params=params,
            order_by=["-collab_thread.id"],
        )
    return RepositoryMatch(
        tables=["thread_fts"],
        # "+ 0": FTS5 must not be offered the row id as a lookup key, or SQLite puts the
        # thread table outside and runs the MATCH once per thread of the repository (10 s
        # at 50,000); so FTS5 drives and each match is one primary-key lookup.
        where=["collab_thread.id = thread_fts.rowid + 0", "thread_fts MATCH %s"],
        params=params,
        order_by=["-thread_fts.rowid"],
    )
