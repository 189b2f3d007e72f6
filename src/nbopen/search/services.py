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

Matching: every query term must match (prefix for the word being typed); a term unknown to
the index is also tried as its closest spelling; if nothing matches, any term may match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nbopen.access.policy import Principal, visible_repositories
from nbopen.core.errors import InvalidInput
from nbopen.search import backends, spelling
from nbopen.search.analysis import Group, is_cjk, query_groups, stem
from nbopen.search.documents import FACET_FIELDS
from nbopen.search.models import SearchDocument

TYPES = ("model", "dataset", "code", "org", "user")
SORTS = ("relevance", "trending", "downloads", "likes", "updated")
FILTER_FIELDS = tuple(f for f in FACET_FIELDS if f != "type")
MAX_PER_PAGE = 100
MAX_PAGE = 500
MAX_QUERY = 256
MAX_FILTER_VALUES = 20
FACET_VALUES = 20


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

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "matched": self.matched,
            "corrected": self.corrected,
            "results": [h.as_json() for h in self.hits],
            "facets": self.facets,
        }


@dataclass
class _Where:
    """A WHERE clause kept as named parts, so facet counts can drop one filter at a time."""

    base: list[tuple[str, list[Any]]] = field(default_factory=list)
    by_field: dict[str, tuple[str, list[Any]]] = field(default_factory=dict)

    def sql(self, *, without: str | None = None) -> tuple[str, list[Any]]:
        parts = list(self.base) + [v for k, v in self.by_field.items() if k != without]
        return (
            " AND ".join(f"({s})" for s, _ in parts) or "1=1",
            [p for _, ps in parts for p in ps],
        )


def _privacy(principal: Principal) -> tuple[str, list[Any]]:
    """The policy's visible-repositories query, correlated to the document row ``d``."""
    if principal.is_site_admin:
        return "1=1", []
    visible = (
        visible_repositories(principal)
        .extra(where=["repos_repository.id = d.repository_id"])
        .values("pk")
    )
    sql, params = visible.query.sql_with_params()
    return f"d.repository_id IS NULL OR EXISTS ({sql})", list(params)


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
            raise InvalidInput(f"Unknown filter {name!r}; use one of {', '.join(FILTER_FIELDS)}")
        vals = sorted({v.strip().lower()[:128] for v in values if v and v.strip()})
        if len(vals) > MAX_FILTER_VALUES:
            raise InvalidInput(f"At most {MAX_FILTER_VALUES} values per filter")
        if vals:
            clean.setdefault(key, [])
            clean[key] = sorted(set(clean[key]) | set(vals))
    return clean


def _in(values: list[str]) -> str:
    return ", ".join(["%s"] * len(values))


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
    """Search what ``principal`` may see. Raises InvalidInput for bad parameters."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"The query is longer than {MAX_QUERY} characters")
    types = sorted({t.strip().lower() for t in (types or []) if t.strip()})
    if any(t not in TYPES for t in types):
        raise InvalidInput(f"type must be one of {', '.join(TYPES)}")
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_PAGE}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}")
    clean = _parse_filters(filters)

    where = _Where()
    where.base.append(_privacy(principal))
    if types:
        where.by_field["type"] = (f"d.doc_type IN ({_in(types)})", list(types))
    for name, values in clean.items():
        where.by_field[name] = (
            "EXISTS (SELECT 1 FROM search_facet f WHERE f.document_id = d.id"  # noqa: S608
            f" AND f.field = %s AND f.value IN ({_in(values)}))",
            [name, *values],
        )

    groups = query_groups(q)
    corrected = None
    if groups:
        groups, corrected = _expand(groups)
    result = SearchResult(total=0, hits=[], page=page, per_page=per_page, corrected=corrected)
    text = backends.match(groups) if groups else None
    result.hits, result.total = _page(text, where, sort, page, per_page)
    if result.total == 0 and len(groups) > 1:
        # Nothing has every term: fall back to documents with any of them, best first.
        text = backends.match(groups, any_group=True)
        result.hits, result.total = _page(text, where, sort, page, per_page)
        result.matched = "any"
    if with_facets:
        result.facets = _facets(text, where)
    return result


def _from_where(text: backends.Match | None, where: _Where, **kw: Any) -> tuple[str, list[Any]]:
    wsql, wparams = where.sql(**kw)
    if text is None:
        return f"FROM search_document d WHERE {wsql}", wparams
    return (
        f"FROM {text.from_sql} WHERE {text.where_sql} AND {wsql}",
        [*text.params, *wparams],
    )


def _count(text: backends.Match | None, where: _Where) -> int:
    from django.db import connection

    sql, params = _from_where(text, where)
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) {sql}", params)
        return int(cur.fetchone()[0])


def _page(
    text: backends.Match | None, where: _Where, sort: str, page: int, per_page: int
) -> tuple[list[Hit], int]:
    """One page of hits and the total, in one pass over the matches (a window count)."""
    from django.db import connection

    sql, params = _from_where(text, where)
    rel_sql = text.relevance_sql if text is not None else "0.0"
    rel_params = text.params if text is not None and "%s" in rel_sql else []
    if text is None:
        score_sql = "m.sr"
    else:
        k = backends.relevance_scale()
        score_sql = f"(m.rel / (m.rel + {k})) * (0.8 + 0.2 * m.sr)"
    order = {
        "relevance": "score DESC",
        "trending": "m.trending DESC, score DESC",
        "downloads": "m.downloads DESC, score DESC",
        "likes": "m.likes DESC, score DESC",
        "updated": "(m.updated_at IS NULL), m.updated_at DESC, score DESC",
    }[sort]
    inner = (
        f"SELECT d.id AS id, {rel_sql} AS rel, d.static_rank AS sr, d.trending AS trending,"
        f" d.likes AS likes, d.downloads AS downloads, d.updated_at AS updated_at {sql}"
    )
    query = (
        f"SELECT m.id, {score_sql} AS score, COUNT(*) OVER () FROM ({inner}) m "  # noqa: S608
        f"ORDER BY {order}, m.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cur:
        cur.execute(query, [*rel_params, *params, per_page, (page - 1) * per_page])
        fetched = cur.fetchall()
    rows = [(int(i), float(s)) for i, s, _ in fetched]
    total = int(fetched[0][2]) if fetched else (_count(text, where) if page > 1 else 0)
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
    return hits, total


def _facets(text: backends.Match | None, where: _Where) -> dict[str, list[dict[str, Any]]]:
    """Counts per facet value over the visible matches.

    Disjunctive, as shoppers expect: the counts of a facet that is being filtered on ignore
    that facet's own filter (so the other choices stay visible), but apply all the others.
    """
    from django.db import connection

    plan: list[tuple[str | None, list[str]]] = []
    unfiltered = [f for f in FACET_FIELDS if f not in where.by_field]
    if unfiltered:
        plan.append((None, unfiltered))
    plan.extend((name, [name]) for name in where.by_field)
    counts: dict[str, list[tuple[str, int]]] = {f: [] for f in FACET_FIELDS}
    with connection.cursor() as cur:
        for without, fields in plan:
            sql, params = _from_where(text, where, without=without)
            # Drive from the matching documents to their facet rows (index on document, field),
            # never from all facet rows; SQLite's CROSS JOIN pins that join order.
            join = "CROSS JOIN" if backends.vendor() == "sqlite" else "JOIN"
            field_sql, field_params = "", []
            if len(fields) < len(FACET_FIELDS):
                field_sql, field_params = f"WHERE f.field IN ({_in(fields)}) ", list(fields)
            cur.execute(
                f"SELECT f.field, f.value, COUNT(*) FROM (SELECT d.id {sql}) m "  # noqa: S608
                f"{join} search_facet f ON f.document_id = m.id {field_sql}"
                "GROUP BY f.field, f.value",
                [*params, *field_params],
            )
            for name, value, n in cur.fetchall():
                counts[name].append((value, int(n)))
    return {
        name: [{"value": v, "count": n} for v, n in sorted(pairs, key=lambda p: (-p[1], p[0]))][
            :FACET_VALUES
        ]
        for name, pairs in counts.items()
    }


def suggest(*, principal: Principal, q: str, limit: int = 8) -> list[Hit]:
    """Instant suggestions for a search box: the first hits of the prefix query, no facets."""
    if not q.strip():
        return []
    return search(principal=principal, q=q, per_page=limit, with_facets=False).hits
