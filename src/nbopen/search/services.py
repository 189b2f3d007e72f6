"""The search service: one query over repositories, organizations and users.

Everything a caller sees — the page of results, ``total`` and every facet number — comes
from SQL that contains the permission policy's own query (:func:`visible_repositories`),
correlated to each document. Nothing is filtered afterwards in Python, so pagination and
counts can never reveal a private repository.

Ranking (sort=relevance) blends, for documents that match the text:

    score = rel / (rel + k) × (0.8 + 0.2 × static_rank)

``rel`` is the engine's field-weighted relevance (FTS5 bm25 or PostgreSQL ts_rank),
squashed to [0, 1); ``static_rank`` (see ``documents.static_rank``) mixes popularity and
freshness. Text relevance dominates; popularity and freshness order near-equals. Without a
query, documents are ordered by ``static_rank``.

Cost at scale (see bench/search.py): the blend is applied to a rescoring window — the engine
returns its best ``CANDIDATES × RAW_FACTOR`` matches by text relevance alone, one indexed
query keeps those the caller may see and that pass the filters, and the best ``CANDIDATES``
of them are blended in Python. Only when too few survive (a selective filter) does ranking
run in SQL over every match. ``total`` is exact when the engine returned every match;
otherwise it is the number of visible matches among those it returned, a lower bound, and
``total_relation`` is "gte" (browsing without a query counts exactly up to ``TRACK_TOTAL``).
Facet counts are exact when all visible matches fit in the window, otherwise counted over
the window and flagged ``facets_relation: "gte"``. Pages
within the first ``CANDIDATES`` results come from one window and so agree with each other;
deeper pages widen the window to reach them.

Broad queries: a query expected to match more documents than ``backends.score_budget()``
is scored over the newest of them only (see ``scoring_window``), so its cost
stays bounded however large the platform grows.

Matching: every query term must match (prefix for the word being typed); a term unknown to
the index is also tried as its closest spelling; if nothing matches, any term may match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal, readable_among, visible_repositories
from nbopen.core.errors import InvalidInput
from nbopen.core.sql import ids_in
from nbopen.search import backends, indexer, scoring_window, spelling
from nbopen.search.analysis import Group, is_cjk, query_groups, stem
from nbopen.search.documents import FACET_FIELDS
from nbopen.search.models import SearchDocument

TYPES = ("model", "dataset", "code", "org", "user")
SORTS = ("relevance", "trending", "downloads", "likes", "updated", "created", "name")
FILTER_FIELDS = tuple(f for f in FACET_FIELDS if f != "type")
MAX_PER_PAGE = 100
MAX_PAGE = 500
MAX_QUERY = 256
MAX_FILTER_VALUES = 20
FACET_VALUES = 20
MAX_LIST_LIMIT = 1001  # listing() asks for one more than a Hub page of 1000
# Relevance ranking is a rescoring window, as in Elasticsearch: the engine ranks matches by
# text relevance alone (FTS5 bm25 / ts_rank, in C), the best CANDIDATES visible ones are
# re-ranked with popularity and freshness, and facets are counted over them.
CANDIDATES = 300
RAW_FACTOR = 2  # raw matches fetched per candidate needed, to survive privacy and filters
RAW_RETRY = 8  # then once more this many per candidate, before ranking in SQL
TRACK_TOTAL = 10_000  # browsing counts exactly up to here, then reports "at least" (gte)


@dataclass(frozen=True)
class Hit:
    type: str
    id: str
    title: str
    description: str
    score: float
    owner: str
    likes: int
    downloads: int
    trending: float
    updated_at: datetime | None
    extra: dict[str, Any]

    @property
    def web_path(self) -> str:
        """Where the hit lives on the web UI (datasets under /datasets/, as on the Hub)."""
        return f"/datasets/{self.id}" if self.type == "dataset" else f"/{self.id}"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.type,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "score": round(self.score, 6),
            "owner": self.owner,
            "likes": self.likes,
            "downloads": self.downloads,
            "trending": round(self.trending, 4),
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
        for key in ("tags", "license", "task", "kind"):
            if key in self.extra:
                data[key] = self.extra[key]
        return data


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 20
    corrected: str | None = None  # the query as spelling-corrected, when that was used
    matched: str = "all"  # "all" terms matched, or "any" (the relaxed fallback)
    total_relation: str = "eq"  # "gte": total is a lower bound (too many matches to count)
    facets_relation: str = "eq"  # "gte": counted over the best CANDIDATES matches only

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "total_relation": self.total_relation,
            "page": self.page,
            "per_page": self.per_page,
            "matched": self.matched,
            "corrected": self.corrected,
            "results": [h.as_json() for h in self.hits],
            "facets": self.facets,
            "facets_relation": self.facets_relation,
        }


@dataclass
class _Where:
    """A WHERE clause kept as named parts, so facet counts can drop one filter at a time."""

    principal: Principal
    base: list[tuple[str, list[Any]]] = field(default_factory=list)
    by_field: dict[str, tuple[str, list[Any]]] = field(default_factory=dict)

    def filters(self, *, without: str | None = None) -> list[tuple[str, list[Any]]]:
        """The conditions besides privacy (``without`` one facet's own filter)."""
        return list(self.base) + [v for k, v in self.by_field.items() if k != without]

    def sql(
        self, *, without: str | None = None, privacy: bool = True, probe: bool = False
    ) -> tuple[str, list[Any]]:
        parts = [_privacy(self.principal, probe=probe)] if privacy else []
        parts += self.filters(without=without)
        return (
            " AND ".join(f"({s})" for s, _ in parts) or "1=1",
            [p for _, ps in parts for p in ps],
        )


def _privacy(
    principal: Principal, *, probe: bool = False, column: str = "d.repository_id"
) -> tuple[str, list[Any]]:
    """The policy's visible-repositories query, correlated to the document row ``d`` (or to
    another row's repository id ``column``, a trusted identifier: code search's files).

    ``probe``: the caller walks an index and stops after a page, so the check should run
    per row. PostgreSQL otherwise hashes every visible repository first (tens of ms at 100k
    repositories, more as the platform grows); ``OFFSET 0`` keeps the EXISTS a per-row
    probe. Queries that look at every match keep the hash, which is cheaper for them.
    """
    if principal.is_site_admin:
        return "1=1", []
    visible = (
        visible_repositories(principal)
        .extra(where=[f"repos_repository.id = {column}"])  # noqa: S610 (trusted column)
        .values("pk")
    )
    sql, params = visible.query.sql_with_params()
    if probe and connection.vendor == "postgresql":
        sql += " OFFSET 0"
    return f"{column} IS NULL OR EXISTS ({sql})", list(params)


def _expand(groups: list[Group]) -> tuple[list[Group], str | None]:
    """Add spelling corrections; drop unknown Chinese words that other terms already cover."""
    vocab = spelling.vocabulary()
    present = spelling.known([t for g in groups for t, p in g.alternatives if not p])
    out: list[Group] = []
    corrected_words: list[str] = []
    changed = False
    for group in groups:
        word = group.alternatives[0][0]
        known = any(t in present for t, p in group.alternatives if not p)
        if not known and is_cjk(word) and len(word) > 2:
            others = "".join(g.alternatives[0][0] for g in groups if g is not group)
            if all(ch in others for ch in word):
                continue
        fix = None
        surface = group.surface or word
        typing = any(p for _, p in group.alternatives)
        if not known and not is_cjk(word) and not (typing and spelling.has_prefix(surface)):
            fix = spelling.correct(surface, vocab)
        if fix is not None:
            group.add(stem(fix))
            corrected_words.append(fix)
            changed = True
        else:
            corrected_words.append(surface)
        out.append(group)
    return out, (" ".join(corrected_words) if changed else None)


def _parse_filters(filters: dict[str, list[str]] | None) -> dict[str, list[str]]:
    clean: dict[str, list[str]] = {}
    for name, values in (filters or {}).items():
        key = "license" if name == "licence" else name
        if key not in FILTER_FIELDS:
            raise InvalidInput(
                gettext_noop("Unknown filter '%(name)s'; use one of %(choices)s"),
                name=name,
                choices=", ".join(FILTER_FIELDS),
            )
        vals = sorted({v.strip().lower()[:128] for v in values if v and v.strip()})
        if len(vals) > MAX_FILTER_VALUES:
            raise InvalidInput(
                gettext_noop("At most %(limit)d values per filter"),
                limit=MAX_FILTER_VALUES,
            )
        if vals:
            clean.setdefault(key, [])
            clean[key] = sorted(set(clean[key]) | set(vals))
    return clean


def _in(values: list[str]) -> str:
    return ", ".join(["%s"] * len(values))


def _validate(q: str, types: list[str] | None, sort: str) -> tuple[str, list[str]]:
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise InvalidInput(
            gettext_noop("The query is longer than %(limit)d characters"), limit=MAX_QUERY
        )
    clean_types = sorted({t.strip().lower() for t in (types or []) if t.strip()})
    if any(t not in TYPES for t in clean_types):
        raise InvalidInput(
            gettext_noop("type must be one of %(choices)s"), choices=", ".join(TYPES)
        )
    if sort not in SORTS:
        raise InvalidInput(
            gettext_noop("sort must be one of %(choices)s"), choices=", ".join(SORTS)
        )
    return q, clean_types


def _build_where(
    principal: Principal,
    types: list[str],
    filters: dict[str, list[str]],
    all_of: list[list[tuple[str, str]]] | None,
) -> _Where:
    where = _Where(principal)
    if types:
        where.by_field["type"] = (f"d.doc_type IN ({_in(types)})", list(types))
    for name, values in filters.items():
        where.by_field[name] = (
            "EXISTS (SELECT 1 FROM search_facet f WHERE f.document_id = d.id"  # noqa: S608
            f" AND f.field = %s AND f.value IN ({_in(values)}))",
            [name, *values],
        )
    for alternatives in all_of or []:
        if not alternatives:
            continue
        ors = " OR ".join(["(f.field = %s AND f.value = %s)"] * len(alternatives))
        where.base.append(
            (
                "EXISTS (SELECT 1 FROM search_facet f WHERE f.document_id = d.id"  # noqa: S608
                f" AND ({ors}))",
                [p for pair in alternatives for p in pair],
            )
        )
    return where


def search(
    *,
    principal: Principal,
    q: str = "",
    types: list[str] | None = None,
    filters: dict[str, list[str]] | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    with_facets: bool = True,
) -> SearchResult:
    """Search what ``principal`` may see. Raises InvalidInput for bad parameters.

    Read-your-writes: events the background job has not applied yet are applied first
    (:func:`indexer.catch_up`, one indexed read when the index is current), so a repository
    pushed a moment ago is found by its author and by those it was just shared with.
    """
    q, types = _validate(q, types, sort)
    indexer.catch_up()
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(gettext_noop("page must be between 1 and %(limit)d"), limit=MAX_PAGE)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            gettext_noop("per_page must be between 1 and %(limit)d"),
            limit=MAX_PER_PAGE,
        )
    where = _build_where(principal, types, _parse_filters(filters), None)
    groups = query_groups(q)
    corrected = None
    if groups:
        groups, corrected = _expand(groups)
    result = SearchResult(total=0, hits=[], page=page, per_page=per_page, corrected=corrected)
    offset = (page - 1) * per_page
    window = _window(groups, False, where, sort, offset, per_page)
    if window.total == 0 and len(groups) > 1:
        # Nothing has every term: fall back to documents with any of them, best first.
        window = _window(groups, True, where, sort, offset, per_page)
        result.matched = "any"
    result.hits = _hits(window.rows)
    result.total, result.total_relation = window.total, window.total_relation
    if with_facets:
        result.facets, result.facets_relation = _facets(window, where)
    return result


def trending_scores(repo_ids: list[int]) -> dict[int, float]:
    """repository id → its trending score as the index holds it (``trendingScore``)."""
    rows = SearchDocument.objects.filter(kind="repo", repository_id__in=repo_ids).values_list(
        "repository_id", "trending"
    )
    return {int(repo_id or 0): round(float(score), 4) for repo_id, score in rows}


def listing(
    *,
    principal: Principal,
    q: str = "",
    types: list[str] | None = None,
    filters: dict[str, list[str]] | None = None,
    all_of: list[list[tuple[str, str]]] | None = None,
    sort: str = "relevance",
    descending: bool = True,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[Hit], bool]:
    """A slice of results and whether more follow, for cursor-paginated lists (the Hub API).

    Stricter than :func:`search`: every query term must match as typed (no spelling
    correction, no "any term" fallback), as a listing filtered by name should be.
    ``all_of`` is a list of conditions that must all hold, each a list of alternative
    ``(facet field, value)`` pairs. ``descending=False`` reverses the sort key (ties keep
    their order).
    """
    q, types = _validate(q, types, sort)
    indexer.catch_up()  # read-your-writes, as in search()
    if offset < 0 or not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidInput(
            gettext_noop("limit must be between 1 and %(limit)d"),
            limit=MAX_LIST_LIMIT,
        )
    where = _build_where(principal, types, _parse_filters(filters), all_of)
    groups = query_groups(q)
    if q and not groups:
        return [], False
    window = _window(
        groups, False, where, sort, offset, limit + 1, descending=descending, want_total=False
    )
    return _hits(window.rows[:limit]), len(window.rows) > limit


@dataclass
class _Window:
    """One page of (document id, score) and what facets need to be counted over."""

    rows: list[tuple[int, float]]
    total: int
    total_relation: str
    text: backends.Match | None
    groups: list[Group]
    any_group: bool
    raw: backends.Ranked | None = None  # the engine's best matches, when the text was ranked
    candidates: list[int] | None = None  # visible best matches by relevance (facet sample)
    complete: bool = True  # candidates hold every visible match


def _window(
    groups: list[Group],
    any_group: bool,
    where: _Where,
    sort: str,
    offset: int,
    limit: int,
    *,
    descending: bool = True,
    want_total: bool = True,
) -> _Window:
    if not groups:
        rows = _sorted_page(None, where, sort, offset, limit, descending)
        total, relation = _count(None, where) if want_total else (0, "eq")
        return _Window(rows, total, relation, None, [], any_group)
    text = backends.match(groups, any_group=any_group)
    if sort != "relevance" and not want_total:  # a listing ordered by a column: SQL alone
        rows = _sorted_page(text, where, sort, offset, limit, descending)
        return _Window(rows, 0, "eq", text, groups, any_group)
    need = max(CANDIDATES, offset + limit)
    raw = _raw_best(groups, any_group, need * RAW_FACTOR)
    visible, complete = _visible_best(raw, text, where, need)
    candidates = visible[:need]
    window = _Window([], 0, "eq", text, groups, any_group, raw, [i for i, _, _ in candidates])
    window.complete = complete and len(visible) <= need
    # Every visible match was seen (exact), or at least these many exist (a lower bound).
    window.total, window.total_relation = len(visible), "eq" if complete else "gte"
    if sort == "relevance":
        window.rows = _blend(candidates, descending)[offset : offset + limit]
    else:
        window.rows = _sorted_page(text, where, sort, offset, limit, descending)
    return window


def _raw_best(groups: list[Group], any_group: bool, limit: int) -> backends.Ranked:
    """The engine's ``limit`` best matches, scoring only the newest ones when the
    query is broad (see ``scoring_window``): a window too narrow for ``limit`` matches is
    widened once by what it lacked, then the whole index is scored."""
    floor = scoring_window.floor(groups, any_group=any_group)
    while floor is not None:
        raw = backends.ranked(groups, any_group=any_group, limit=limit, min_id=floor)
        if len(raw.hits) >= limit:
            return raw
        floor = scoring_window.widen(floor, found=len(raw.hits), wanted=limit)
    return backends.ranked(groups, any_group=any_group, limit=limit)


def _visible_best(
    raw: backends.Ranked, text: backends.Match, where: _Where, need: int, without: str | None = None
) -> tuple[list[tuple[int, float, float]], bool]:
    """At least the ``need`` best visible matches by text relevance (id, relevance, static
    rank), best first, and whether they are every visible match.

    Usually from the engine's best raw matches, filtered here by the facet filters and the
    policy (:func:`_survivors`); if too few survive, from a wider raw window; and when even
    that is not enough (a very selective filter), the ranking runs inside SQL over every
    match. The flag says whether these are all visible matches.
    """
    survivors = _survivors(raw, where, without)
    if len(survivors) >= need or not raw.truncated:
        return survivors, not raw.truncated
    if len(raw.hits) < need * RAW_RETRY:
        wider = backends.ranked(raw.groups, any_group=raw.any_group, limit=need * RAW_RETRY)
        survivors = _survivors(wider, where, without)
        if len(survivors) >= need or not wider.truncated:
            return survivors, not wider.truncated
    rows = _ranked_sql(text, where, need, without)
    return rows, len(rows) < need


def _survivors(
    raw: backends.Ranked, where: _Where, without: str | None
) -> list[tuple[int, float, float]]:
    """Keep the raw hits that pass the filters and that the principal may read.

    Indexed lookups instead of a correlated privacy subquery per row (PostgreSQL turns that
    into a hash of every visible repository): the documents by id with the facet filters
    (skipped when there are none: the engine returned what is needed), then the policy's
    own ``visible_repositories`` restricted to their repositories.
    """
    if not raw.hits:
        return []
    rows: list[tuple[int, int | None, float]]
    if not where.filters(without=without):
        rows = [(i, *raw.rows[i]) for i, _ in raw.hits]
    else:
        wsql, wparams = where.sql(without=without, privacy=False)
        ids_sql, ids_params = ids_in("d.id", [i for i, _ in raw.hits])
        with connection.cursor() as cur:
            cur.execute(
                "SELECT d.id, d.repository_id, d.static_rank FROM search_document d"  # noqa: S608
                f" WHERE {ids_sql} AND {wsql}",
                [*ids_params, *wparams],
            )
            rows = cur.fetchall()
    readable = readable_among(where.principal, [int(r) for _, r, _ in rows if r is not None])
    static = {int(i): float(sr) for i, r, sr in rows if r is None or int(r) in readable}
    return [(i, rel, static[i]) for i, rel in raw.hits if i in static]


def _ranked_sql(
    text: backends.Match, where: _Where, limit: int, without: str | None = None
) -> list[tuple[int, float, float]]:
    sql, params = _from_where(text, where, without=without)
    rel_params = text.params if "%s" in text.relevance_sql else []
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT d.id, {text.relevance_sql} AS rel, d.static_rank {sql}"
            " ORDER BY rel DESC, d.id DESC LIMIT %s",
            [*rel_params, *params, limit],
        )
        return [(int(i), float(r), float(sr)) for i, r, sr in cur.fetchall()]


def _blend(candidates: list[tuple[int, float, float]], descending: bool) -> list[tuple[int, float]]:
    """Relevance squashed to [0, 1) times (0.8 + 0.2 × static rank), best first."""
    k = backends.relevance_scale()
    scored = [(i, (rel / (rel + k)) * (0.8 + 0.2 * sr)) for i, rel, sr in candidates]
    scored.sort(key=lambda p: (p[1], p[0]), reverse=descending)
    return scored


_ORDER = {
    "relevance": "score {d}",
    "trending": "d.trending {d}, score DESC",
    "downloads": "d.downloads {d}, score DESC",
    "likes": "d.likes {d}, score DESC",
    # Dates are never NULL in documents (every source sets them), so these orders match the
    # (date, static_rank, id) indexes and browsing walks them.
    "updated": "d.updated_at {d}, score DESC",
    "created": "d.created_at {d}, score DESC",
    "name": "d.key {d}, score DESC",
}


def _sorted_page(
    text: backends.Match | None,
    where: _Where,
    sort: str,
    offset: int,
    limit: int,
    descending: bool,
) -> list[tuple[int, float]]:
    """A page ordered by a document column, exactly, over every visible match.

    Browsing (no text) walks an index in this order and stops after the page (see the
    indexes on ``SearchDocument``), so privacy is checked per row (``probe``)."""
    sql, params = _from_where(text, where, probe=text is None)
    if text is None:
        score_sql, rel_params = "d.static_rank", []
    else:
        k = backends.relevance_scale()
        rel = text.relevance_sql
        score_sql = f"({rel}) / (({rel}) + {k}) * (0.8 + 0.2 * d.static_rank)"
        rel_params = text.params * 2 if "%s" in rel else []
    order = _ORDER[sort].format(d="DESC" if descending else "ASC")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT d.id, {score_sql} AS score {sql} "
            f"ORDER BY {order}, d.id DESC LIMIT %s OFFSET %s",
            [*rel_params, *params, limit, offset],
        )
        return [(int(i), float(s)) for i, s in cur.fetchall()]


def _from_where(
    text: backends.Match | None, where: _Where, without: str | None = None, *, probe: bool = False
) -> tuple[str, list[Any]]:
    wsql, wparams = where.sql(without=without, probe=probe)
    if text is None:
        return f"FROM search_document d WHERE {wsql}", wparams
    return (
        f"FROM {text.from_sql} WHERE {text.where_sql} AND {wsql}",
        [*text.params, *wparams],
    )


def _count(text: backends.Match | None, where: _Where) -> tuple[int, str]:
    """Visible matches, counted exactly up to ``TRACK_TOTAL``; beyond, (TRACK_TOTAL, "gte")."""
    sql, params = _from_where(text, where)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 {sql} LIMIT %s) m",  # noqa: S608
            [*params, TRACK_TOTAL + 1],
        )
        n = int(cur.fetchone()[0])
    return (TRACK_TOTAL, "gte") if n > TRACK_TOTAL else (n, "eq")


def _hits(rows: list[tuple[int, float]]) -> list[Hit]:
    docs = SearchDocument.objects.defer(
        "name_text", "meta_text", "desc_text", "body_text", "words"
    ).in_bulk([i for i, _ in rows])
    hits = []
    for doc_id, score in rows:
        doc = docs.get(doc_id)
        if doc is None:  # removed between the two queries
            continue
        hits.append(
            Hit(
                type=doc.doc_type,
                id=doc.key,
                title=doc.title,
                description=doc.description,
                score=score,
                owner=doc.owner_name,
                likes=doc.likes,
                downloads=doc.downloads,
                trending=doc.trending,
                updated_at=doc.updated_at,
                extra=doc.extra if isinstance(doc.extra, dict) else {},
            )
        )
    return hits


def _facet_sample(window: _Window, where: _Where, without: str | None) -> tuple[list[int], bool]:
    """The documents one facet is counted over, and whether they are all visible matches."""
    if window.text is not None:
        if window.raw is None:
            window.raw = _raw_best(window.groups, window.any_group, CANDIDATES * RAW_FACTOR)
        if without is None and window.candidates is not None:
            return window.candidates, window.complete
        rows, complete = _visible_best(window.raw, window.text, where, CANDIDATES, without)
        return [i for i, _, _ in rows[:CANDIDATES]], complete and len(rows) <= CANDIDATES
    # Browsing without a query: the best documents by static rank (an index walk).
    sql, params = _from_where(None, where, without=without, probe=True)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT d.id {sql} ORDER BY d.static_rank DESC, d.id DESC LIMIT %s",
            [*params, CANDIDATES + 1],
        )
        ids = [int(r[0]) for r in cur.fetchall()]
    return ids[:CANDIDATES], len(ids) <= CANDIDATES


def _facets(window: _Window, where: _Where) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Counts per facet value over the visible matches (or the best ``CANDIDATES`` of them).

    Disjunctive, as shoppers expect: the counts of a facet that is being filtered on ignore
    that facet's own filter (so the other choices stay visible), but apply all the others.
    When a query has more visible matches than ``CANDIDATES``, counts are taken over the best
    ``CANDIDATES`` matches by relevance (or static rank when browsing) and are lower bounds:
    the relation is then "gte". Privacy holds either way: only visible documents are counted.
    """
    plan: list[tuple[str | None, list[str]]] = []
    unfiltered = [f for f in FACET_FIELDS if f not in where.by_field]
    if unfiltered:
        plan.append((None, unfiltered))
    plan.extend((name, [name]) for name in where.by_field)
    counts: dict[str, list[tuple[str, int]]] = {f: [] for f in FACET_FIELDS}
    relation = "eq"
    with connection.cursor() as cur:
        for without, fields in plan:
            ids, complete = _facet_sample(window, where, without)
            if not complete:
                relation = "gte"
            if not ids:
                continue
            # Every field of the sample's documents is counted and the others dropped here:
            # a field condition in SQL made SQLite walk the (field, value) index over every
            # document instead of the sample's few hundred (120 ms → 3 ms at 100k).
            ids_sql, ids_params = ids_in("f.document_id", ids)
            cur.execute(
                "SELECT f.field, f.value, COUNT(*) FROM search_facet f "  # noqa: S608
                f"WHERE {ids_sql} GROUP BY f.field, f.value",
                ids_params,
            )
            for name, value, n in cur.fetchall():
                if name in fields:
                    counts[name].append((value, int(n)))
    facets = {
        name: [{"value": v, "count": n} for v, n in sorted(pairs, key=lambda p: (-p[1], p[0]))][
            :FACET_VALUES
        ]
        for name, pairs in counts.items()
    }
    return facets, relation


def suggest(*, principal: Principal, q: str, limit: int = 8) -> list[Hit]:
    """Instant suggestions for a search box: the first hits of the prefix query, no facets."""
    if not q.strip():
        return []
    return search(principal=principal, q=q, per_page=limit, with_facets=False).hits
