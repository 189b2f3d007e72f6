"""The search page and the explore pages (/models, /datasets, /code, /organizations).

All of them are one view over the search service (``nbopen.search.services.search``): the
policy's privacy is inside its SQL, so results, totals and facet counts never reveal what the
viewer may not read. Facets are rendered as filter lists whose links toggle one value in the
query string, so the page works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from nbopen.core.errors import InvalidInput
from nbopen.search.code_search import CodeResult, search_code
from nbopen.search.services import FILTER_FIELDS, SORTS, TYPES, SearchResult, search
from nbopen.web.labels import TASK_LABELS
from nbopen.web.messages import explain
from nbopen.web.templatetags.nbopen_web import KIND_LABELS, TYPE_LABELS
from nbopen.web.views.base import page, principal
from nbopen.web.views.thread_search import issues_href, render_thread_search

PER_PAGE = 20
FACET_LABELS = {
    "type": _("Type"),
    "domain": _("Domain"),
    "task": _("Task"),
    "license": _("Licence"),
    "language": _("Language"),
    "hardware": _("Hardware"),
    "library": _("Library"),
    "org_kind": _("Organization kind"),
    "owner": _("Owner"),
}
SORT_LABELS = {
    "relevance": _("Best match"),
    "trending": _("Trending"),
    "downloads": _("Most downloads"),
    "likes": _("Most likes"),
    "updated": _("Recently updated"),
    "created": _("Newly created"),
    "name": _("Name"),
}
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "type": {**TYPE_LABELS, "org": _("Organization"), "user": _("User")},
    "org_kind": dict(KIND_LABELS),
    "task": dict(TASK_LABELS),
}


@dataclass(frozen=True)
class Explore:
    """A fixed slice of the search: one result type, its own path, title and default sort."""

    path: str
    type: str | None
    title: Any
    default_sort: str


SEARCH = Explore("/search", None, _("Search"), "relevance")
EXPLORE = {
    "model": Explore("/models", "model", _("Models"), "trending"),
    "dataset": Explore("/datasets", "dataset", _("Datasets"), "trending"),
    "code": Explore("/code", "code", _("Code"), "trending"),
    "org": Explore("/organizations", "org", _("Organizations"), "relevance"),
}


def _state(request: HttpRequest, where: Explore) -> dict[str, Any]:
    """The page's own parameters, normalised (what links are built from)."""
    filters = {
        name: sorted({v for v in request.GET.getlist(name) if v.strip()})
        for name in FILTER_FIELDS
        if request.GET.getlist(name)
    }
    kind = where.type or request.GET.get("type", "")
    return {
        "q": request.GET.get("q", "").strip(),
        "type": kind if kind in TYPES else "",
        "filters": {k: v for k, v in filters.items() if v},
        "sort": request.GET.get("sort") or where.default_sort,
    }


def _href(where: Explore, state: dict[str, Any], **change: Any) -> str:
    params: list[tuple[str, str]] = []
    merged = {**state, **change}
    if merged["q"]:
        params.append(("q", merged["q"]))
    if merged["type"] and where.type is None:
        params.append(("type", merged["type"]))
    for name, values in sorted(merged["filters"].items()):
        params.extend((name, v) for v in values)
    if merged["sort"] != where.default_sort:
        params.append(("sort", merged["sort"]))
    if merged.get("page", 1) > 1:
        params.append(("page", str(merged["page"])))
    return where.path + ("?" + urlencode(params) if params else "")


def _facet_groups(
    where: Explore, state: dict[str, Any], result: SearchResult
) -> list[dict[str, Any]]:
    groups = []
    for name, label in FACET_LABELS.items():
        if name == "type" and where.type is not None:
            continue
        values = []
        chosen = [state["type"]] if name == "type" and state["type"] else []
        if name != "type":
            chosen = state["filters"].get(name, [])
        counted = {f["value"]: f["count"] for f in result.facets.get(name, [])}
        for value in chosen:  # a chosen value stays listed (to be removed) even at zero
            counted.setdefault(value, 0)
        for value, count in sorted(counted.items(), key=lambda p: (-p[1], p[0])):
            active = value in chosen
            if name == "type":
                href = _href(where, state, type="" if active else value, page=1)
            else:
                now = set(chosen) ^ {value}
                href = _href(where, state, filters={**state["filters"], name: sorted(now)}, page=1)
            values.append(
                {
                    "value": value,
                    "label": VALUE_LABELS.get(name, {}).get(value, value),
                    "count": count,
                    "active": active,
                    "href": href,
                }
            )
        if values:
            groups.append({"name": name, "label": label, "values": values})
    return groups


def render_search(request: HttpRequest, where: Explore) -> HttpResponse:
    state = _state(request, where)
    try:
        page_no = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page_no = 1
    error = ""
    status = 200
    result = SearchResult(total=0, hits=[])
    try:
        result = search(
            principal=principal(request),
            q=state["q"],
            types=[state["type"]] if state["type"] else None,
            filters=state["filters"],
            sort=state["sort"],
            page=page_no,
            per_page=PER_PAGE,
        )
    except InvalidInput as exc:
        error, status = explain(exc), 400
    last_page = max(1, -(-result.total // PER_PAGE))
    return page(
        request,
        "web/search.html",
        {
            "where": where,
            "title": where.title,
            "tab": "repos",
            "repos_href": _href(where, state),
            "code_href": _code_href(state["q"]),
            "issues_href": issues_href(state["q"]),
            "q": state["q"],
            "type": state["type"],
            "error": error,
            "result": result,
            "hits": [{"hit": h, "url": h.web_path} for h in result.hits],
            "facet_groups": _facet_groups(where, state, result),
            "sorts": [
                {
                    "value": s,
                    "label": SORT_LABELS[s],
                    "active": s == state["sort"],
                    "href": _href(where, state, sort=s, page=1),
                }
                for s in SORTS
            ],
            "filters": state["filters"],
            "sort": state["sort"],
            "prev_href": _href(where, state, page=page_no - 1) if page_no > 1 else "",
            "next_href": _href(where, state, page=page_no + 1) if page_no < last_page else "",
            "page_no": page_no,
            "last_page": last_page,
        },
        status=status,
    )


CODE_PER_PAGE = 20


def _code_href(q: str, **params: str) -> str:
    query = [("q", q), ("tab", "code")] + [(k, v) for k, v in params.items() if v]
    return "/search?" + urlencode(query)


def render_code_search(request: HttpRequest) -> HttpResponse:
    """``/search?tab=code``: file and line hits (the code search service), with language and
    repository filters as links, so the tab works without JavaScript."""
    q = request.GET.get("q", "").strip()
    repo = request.GET.get("repo", "").strip()
    language = request.GET.get("language", "").strip().lower()
    try:
        page_no = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page_no = 1
    error, status = "", 200
    result = CodeResult(total=0, hits=[])
    try:
        result = search_code(
            principal=principal(request),
            q=q,
            repo=repo,
            language=language,
            page=page_no,
            limit=CODE_PER_PAGE,
        )
    except InvalidInput as exc:
        error, status = str(exc), 400
    current = {"repo": repo, "language": language}
    facet_groups = []
    for name, label in (("language", _("Language")), ("repo", _("Repository"))):
        values = []
        for f in result.facets.get(name, []):
            active = current[name] == f["value"]
            change = {**current, name: "" if active else f["value"]}
            values.append(
                {
                    "value": f["value"],
                    "label": f.get("label", f["value"]),
                    "count": f["count"],
                    "active": active,
                    "href": _code_href(q, **change),
                }
            )
        if values:
            facet_groups.append({"name": name, "label": label, "values": values})
    last_page = max(1, -(-result.total // CODE_PER_PAGE))
    return page(
        request,
        "web/search.html",
        {
            "where": SEARCH,
            "title": SEARCH.title,
            "tab": "code",
            "q": q,
            "error": error,
            "code": result,
            "repo_filter": repo,
            "language_filter": language,
            "facet_groups": facet_groups,
            "repos_href": "/search?" + urlencode({"q": q}) if q else "/search",
            "code_href": _code_href(q),
            "issues_href": issues_href(q),
            "prev_href": _code_href(q, **current, page=str(page_no - 1)) if page_no > 1 else "",
            "next_href": (
                _code_href(q, **current, page=str(page_no + 1)) if page_no < last_page else ""
            ),
            "page_no": page_no,
            "last_page": last_page,
        },
        status=status,
    )


def search_page(request: HttpRequest) -> HttpResponse:
    if request.GET.get("tab") == "code":
        return render_code_search(request)
    if request.GET.get("tab") == "issues":
        return render_thread_search(request, {"where": SEARCH, "title": SEARCH.title})
    return render_search(request, SEARCH)


def explore(request: HttpRequest, kind: str) -> HttpResponse:
    return render_search(request, EXPLORE[kind])
