"""Code search: file and line hits over the default branch of every repository the caller
may read.

Privacy is repository search's (``services._privacy``): the policy's
``visible_repositories``, correlated to each file row, sits inside the one SQL statement
that finds matches, so the page, ``total`` and both facets (language, repository) only ever
count files of repositories the caller may read.

Cost is bounded the way ADR 0007 bounds broad repository queries: the engine walks matches
newest file first (FTS5 and the primary key both hold that order) and stops after ``WINDOW``
visible ones; that window is ranked by text relevance (bm25 with the path weighted above the
text / ``ts_rank``), counted for facets and paginated. A query with more visible matches
says so (``total_relation: "gte"``) and ranks its newest ``WINDOW`` matches.

Lines: each hit's text is scanned for the lines whose terms (the same analysis as the
index, pinyin included) meet the query; fragments are HTML-escaped with the matching words
wrapped in ``<mark>`` (the only markup they contain).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.db import connection, transaction

from nbopen.access.policy import Principal
from nbopen.core.errors import InvalidInput
from nbopen.repos.models import Repository
from nbopen.search import backends, code_backend
from nbopen.search.analysis import (
    Group,
    _segment,
    is_cjk,
    normalize,
    pinyin_terms,
    query_groups,
    stem,
)
from nbopen.search.code_index import _IDENT_RE, identifier_terms, language_name
from nbopen.search.models import CodeFile
from nbopen.search.services import MAX_QUERY, _privacy

WINDOW = 1_000
MAX_RANGES = 64  # repositories seeked one by one under a repo/owner filter
PG_ALL = 5 * WINDOW  # PostgreSQL: fewer expected matches are all read and sorted
PG_WALK = 0.05  # PostgreSQL: a larger share of all files is found by walking the ids
MAX_LIMIT = 50
MAX_PAGE = WINDOW  # pages beyond the window are empty anyway
LINES_PER_HIT = 3
MAX_FRAGMENT = 240
FACET_VALUES = 20
_CJK_LINE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[A-Za-z0-9_]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class LineHit:
    line: int  # 1-based
    fragment: str  # escaped HTML with <mark> around matching words
    text: str  # the line as plain text (trimmed)

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "fragment": self.fragment, "text": self.text}


@dataclass(frozen=True)
class CodeHit:
    repo: str
    repo_type: str
    path: str
    language: str
    score: float
    lines: list[LineHit]
    branch: str = "main"

    @property
    def line(self) -> int:
        return self.lines[0].line if self.lines else 1

    @property
    def fragment(self) -> str:
        return self.lines[0].fragment if self.lines else ""

    @property
    def blob_path(self) -> str:
        """The file's page on the default branch (datasets live under /datasets/)."""
        prefix = "/datasets" if self.repo_type == "dataset" else ""
        return f"{prefix}/{self.repo}/blob/{quote(self.branch)}/{quote(self.path)}"

    @property
    def web_path(self) -> str:
        """The blob page scrolled to the first matching line (the file page's line anchors
        are pygments' ``L-<n>``)."""
        return f"{self.blob_path}#L-{self.line}"

    def as_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "repo_type": self.repo_type,
            "path": self.path,
            "language": self.language,
            "line": self.line,
            "fragment": self.fragment,
            "url": self.web_path,
            "score": round(self.score, 6),
            "matches": [m.as_json() for m in self.lines],
        }


@dataclass
class CodeResult:
    total: int
    hits: list[CodeHit]
    page: int = 1
    limit: int = 20
    total_relation: str = "eq"
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "total_relation": self.total_relation,
            "page": self.page,
            "limit": self.limit,
            "results": [h.as_json() for h in self.hits],
            "facets": self.facets,
        }


def _validate(q: str, page: int, limit: int) -> str:
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"The query is longer than {MAX_QUERY} characters")
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_PAGE}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    return q


def _filters(repo: str, owner: str, language: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if repo:
        where.append("c.repo_key = %s")
        params.append(repo.strip())
    if owner:
        where.append("c.owner_name = %s")
        params.append(owner.strip())
    if language:
        where.append("c.language = %s")
        params.append(language.strip().lower())
    return where, params


def search_code(
    *,
    principal: Principal,
    q: str,
    repo: str = "",
    owner: str = "",
    language: str = "",
    page: int = 1,
    limit: int = 20,
) -> CodeResult:
    """Files and lines matching ``q`` in repositories ``principal`` may read.

    ``repo`` ("owner/name"), ``owner`` and ``language`` filter; facets count languages and
    repositories over the visible matches (each count ignores its own filter). Raises
    InvalidInput for bad parameters.
    """
    q = _validate(q, page, limit)
    result = CodeResult(total=0, hits=[], page=page, limit=limit)
    groups = code_groups(q)
    if not groups:
        return result
    window, complete = _window(principal, groups, repo, owner, "")
    by_lang = [w for w in window if not language or w[2] == language.strip().lower()]
    result.total = len(by_lang)
    result.total_relation = "eq" if complete else "gte"
    result.facets = _facets(window, by_lang, repo, owner)
    ranked = sorted(by_lang, key=lambda w: (-w[1], -w[0]))
    chosen = ranked[(page - 1) * limit : page * limit]
    result.hits = _hits(chosen, groups)
    return result


def code_groups(q: str) -> list[Group]:
    """The query's groups, with each compound identifier (``from_block``, ``fromBlock``)
    searched as its joined form, as ``code_index.identifier_terms`` indexed it."""
    groups = []
    rest = q
    for m in list(_IDENT_RE.finditer(q)):
        joined = identifier_terms(m.group(0))
        if joined:
            group = Group(surface=joined[0])
            group.add(joined[0])
            if m.end() == len(q):  # still being typed
                group.add(joined[0], prefix=True)
            groups.append(group)
            rest = rest.replace(m.group(0), " ")
    return query_groups(rest) + groups


def _window(
    principal: Principal, groups: list[Group], repo: str, owner: str, language: str
) -> tuple[list[tuple[int, float, str, str]], bool]:
    """Up to ``WINDOW`` visible matches, newest first: (id, relevance, language, repo)."""
    where, fparams = _filters(repo, owner, language)
    if code_backend.vendor() == "postgresql":
        ranked = [
            (int(i), float(r), str(lang), str(key))
            for i, r, lang, key in _pg_window(principal, groups, where, fparams)
        ]
        return ranked[:WINDOW], len(ranked) <= WINDOW
    from_sql, match_sql, rel_sql, params = code_backend.match(groups)
    privacy_sql, privacy_params = _privacy(principal, column="c.repository_id")
    conditions = " AND ".join([match_sql, *where, f"({privacy_sql})"])
    # FTS5 yields matches in rowid order, so a descending walk stops after the window.
    sql = (
        f"SELECT c.id, {rel_sql}, c.language, c.repo_key FROM {from_sql}"  # noqa: S608
        f" WHERE {conditions}{{floor}} ORDER BY code_fts.rowid DESC LIMIT %s"
    )
    args = [*params, *fparams, *privacy_params]
    rows: list[Any] = []
    with connection.cursor() as cur:
        ranges = _id_ranges(cur, where, fparams) if where else None
        if ranges is not None:
            # A repository or owner filter: seek each repository's id range in FTS5 instead
            # of walking every other owner's matches until a window is found.
            for low, high in ranges:
                cur.execute(
                    sql.format(floor=" AND code_fts.rowid BETWEEN %s AND %s"),
                    [*args, low, high, WINDOW + 1 - len(rows)],
                )
                rows += cur.fetchall()
                if len(rows) > WINDOW:
                    break
        else:
            cur.execute(sql.format(floor=""), [*args, WINDOW + 1])
            rows = cur.fetchall()
    found = [(int(i), float(r), str(lang), str(key)) for i, r, lang, key in rows]
    complete = len(found) <= WINDOW
    found = found[:WINDOW]
    scores = code_backend.relevance([r[0] for r in found], groups)
    if scores:
        found = [(i, scores.get(i, 0.0), lang, key) for i, _, lang, key in found]
    return found, complete


def _pg_window(
    principal: Principal, groups: list[Group], where: list[str], fparams: list[Any]
) -> list[Any]:
    """PostgreSQL's window: up to ``WINDOW + 1`` rows (id, ts_rank, language, repo), newest
    first, by the cheapest of three plans for the expected number of matches.

    The GIN index yields matches in no order, and reading every match's row to sort them is
    what made a broad query slow (a word in 8 % of 500,000 files: 39,000 heap rows). The
    expected matches (``code_backend.PgShape``: the column's own statistics) pick one of:

    * few (≤ ``PG_ALL``, or a repository/owner filter): every match through the GIN bitmap
      (ANDed with the filter's index), sorted;
    * a large share of all files (≥ ``PG_WALK``): the primary key walked backwards with the
      match as a filter, stopping after the window (about WINDOW / share rows read);
    * in between: the GIN bitmap ANDed with the newest id range expected to hold 1.5 times
      the window (``scoring_window``'s idea; the margin covers files the caller may not
      read), widened fourfold, then to everything, when the range holds too few.

    ``ts_rank`` is taken in the same statement for the rows kept, the privacy check is the
    policy's subquery probed per row (cost ∝ rows looked at, not ∝ repositories), and JIT
    is off: compiling these statements cost 35 ms for queries that run in a few.
    """
    tsq = backends.tsquery_expression(groups)
    match = " AND ".join(["c.tsv @@ %s::tsquery", *where])
    privacy_sql, privacy_params = _privacy(principal, column="c.repository_id", probe=True)
    # ts_rank outside the LIMIT: computed for the window's rows only, not for every row the
    # plan looked at before its sort.
    sql = (
        "SELECT w.id, ts_rank(w.tsv, %s::tsquery), w.language, w.repo_key FROM"  # noqa: S608
        " (SELECT c.id, c.tsv, c.language, c.repo_key FROM search_code_file c"
        f"  WHERE c.id >= %s AND {match} AND ({privacy_sql}) ORDER BY c.id DESC LIMIT %s) w"
        " ORDER BY w.id DESC"
    )
    with transaction.atomic(), connection.cursor() as cur:
        shape = code_backend.pg_shape(cur)
        span = max(shape.top - shape.low + 1, 1)
        expected = shape.expected(groups, span)
        floors = [0]
        setting = "enable_indexscan"  # a bitmap plan: GIN (and the filter's index) first
        if not where and expected >= PG_WALK * span:
            setting = "enable_bitmapscan"
        elif not where and expected > PG_ALL:
            size = span * 1.5 * (WINDOW + 1) / max(expected, 1.0)
            floors = [int(shape.top - size * k) for k in (1, 4) if shape.top - size * k > 0]
            floors.append(0)
        # set_config(…, true) is SET LOCAL; one round trip for both settings.
        cur.execute(f"SELECT set_config('jit', 'off', true), set_config('{setting}', 'off', true)")
        rows: list[Any] = []
        for floor in floors:
            cur.execute(sql, [tsq, floor, tsq, *fparams, *privacy_params, WINDOW + 1])
            rows = cur.fetchall()
            if len(rows) > WINDOW:
                break
    return rows


def _id_ranges(cur: Any, where: list[str], params: list[Any]) -> list[tuple[int, int]] | None:
    """Each filtered repository's (lowest, highest) file id, newest first; None when there
    are more than ``MAX_RANGES`` repositories (then one walk is cheaper)."""
    cur.execute(
        "SELECT MIN(c.id), MAX(c.id) FROM search_code_file c"  # noqa: S608
        f" WHERE {' AND '.join(where)} GROUP BY c.repository_id ORDER BY 2 DESC LIMIT %s",
        [*params, MAX_RANGES + 1],
    )
    ranges = [(int(lo), int(hi)) for lo, hi in cur.fetchall()]
    return ranges if len(ranges) <= MAX_RANGES else None


def _facets(
    window: list[tuple[int, float, str, str]],
    by_lang: list[tuple[int, float, str, str]],
    repo: str,
    owner: str,
) -> dict[str, list[dict[str, Any]]]:
    """Languages over the window without the language filter; repositories with it."""
    langs: dict[str, int] = {}
    for _, _, lang, _ in window:
        if lang:
            langs[lang] = langs.get(lang, 0) + 1
    repos: dict[str, int] = {}
    for _, _, _, key in by_lang:
        repos[key] = repos.get(key, 0) + 1

    def top(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda p: (-p[1], p[0]))[:FACET_VALUES]

    return {
        "language": [{"value": v, "label": language_name(v), "count": n} for v, n in top(langs)],
        "repo": [{"value": v, "count": n} for v, n in top(repos)],
    }


def _query_terms(groups: list[Group]) -> tuple[set[str], tuple[str, ...]]:
    exact = {t for g in groups for t, p in g.alternatives if not p}
    prefixes = tuple(t for g in groups for t, p in g.alternatives if p)
    return exact, prefixes


def _hits(chosen: list[tuple[int, float, str, str]], groups: list[Group]) -> list[CodeHit]:
    rows = CodeFile.objects.only(
        "repository_id", "repo_key", "repo_type", "path", "language", "content"
    ).in_bulk([i for i, *_ in chosen])
    exact, prefixes = _query_terms(groups)
    branches = dict(
        Repository.objects.filter(pk__in={r.repository_id for r in rows.values()}).values_list(
            "pk", "default_branch"
        )
    )
    hits = []
    for doc_id, score, _, _ in chosen:
        row = rows.get(doc_id)
        if row is None:  # re-indexed between the two statements
            continue
        hits.append(
            CodeHit(
                repo=row.repo_key,
                repo_type=row.repo_type,
                path=row.path,
                language=row.language,
                score=score,
                lines=matching_lines(row.content, exact, prefixes),
                branch=branches.get(row.repository_id, "main"),
            )
        )
    return hits


def _is_match(term: str, exact: set[str], prefixes: tuple[str, ...]) -> bool:
    return term in exact or (bool(prefixes) and term.startswith(prefixes))


def _word_matches(word: str, exact: set[str], prefixes: tuple[str, ...]) -> bool:
    """Whether one word of a line (Latin run or Chinese run) holds a query term."""
    if is_cjk(word):
        if any(_is_match(w, exact, prefixes) for w in _segment(word)):
            return True
        return any(_is_match(p, exact, prefixes) for p in pinyin_terms(word))
    parts = [p for p in re.split(r"[_\s]+", normalize(word)) if p]
    joined = "".join(parts)
    return any(_is_match(t, exact, prefixes) for t in [joined, *parts, *map(stem, parts)])


def highlight(line: str, exact: set[str], prefixes: tuple[str, ...]) -> tuple[str, bool]:
    """The line as escaped HTML with matching words in ``<mark>``, and whether any matched.

    Every character of the line goes through ``html.escape``; the only markup added is
    ``<mark>``/``</mark>``, so a file's content can never inject HTML into a results page.
    """
    out: list[str] = []
    pos = 0
    found = False
    for m in _WORD_RE.finditer(line):
        if not _word_matches(m.group(0), exact, prefixes):
            continue
        found = True
        out.append(html.escape(line[pos : m.start()]))
        out.append("<mark>" + html.escape(m.group(0)) + "</mark>")
        pos = m.end()
    out.append(html.escape(line[pos:]))
    return "".join(out), found


def _clip(line: str) -> str:
    text = line.strip()
    return text if len(text) <= MAX_FRAGMENT else text[:MAX_FRAGMENT] + "…"


def matching_lines(
    content: str, exact: set[str], prefixes: tuple[str, ...], limit: int = LINES_PER_HIT
) -> list[LineHit]:
    """The first ``limit`` lines whose words meet the query (a multi-word query matched
    across lines yields the lines holding any of its words)."""
    out = []
    # A cheap test first: a line can only match if it holds a term's first letters (or
    # Chinese text, which may match by its words or their pinyin).
    needles = tuple({t[:3] for t in [*exact, *prefixes] if not is_cjk(t)})
    for number, line in enumerate(content.splitlines(), start=1):
        low = line.lower().replace("_", "")
        if not (_CJK_LINE.search(line) or any(n in low for n in needles)):
            continue
        fragment, found = highlight(_clip(line), exact, prefixes)
        if found:
            out.append(LineHit(number, fragment, _clip(line)))
            if len(out) >= limit:
                break
    return out
