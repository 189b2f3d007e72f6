"""``/search?tab=issues``: the search page's Issues / discussions tab over thread search
(:mod:`nbopen.search.thread_search`; privacy inside its SQL). State and type filters are
links, so the tab works without JavaScript."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from nbopen.collab.models import Thread
from nbopen.core.errors import InvalidInput
from nbopen.search.thread_search import ThreadResult, search_threads
from nbopen.web.messages import explain
from nbopen.web.views.base import page, principal
from nbopen.web.views.threads import HUB_TYPES

PER_PAGE = 20
STATE_LABELS = {"open": _("Open"), "closed": _("Closed"), "all": _("All")}
TYPE_LABELS = {"": _("All"), "issues": _("Issues / discussions"), "pulls": _("Pull requests")}


def issues_href(q: str, **params: str) -> str:
    query = [("q", q), ("tab", "issues")] + [(k, v) for k, v in params.items() if v]
    return "/search?" + urlencode(query)


def thread_url(thread: Thread) -> str:
    repo = thread.repository
    if repo.type in HUB_TYPES:  # the Hub's word for both kinds
        return f"{repo.web_path}/discussions/{thread.number}"
    section = "pulls" if thread.is_pull else "issues"
    return f"{repo.web_path}/{section}/{thread.number}"


def render_thread_search(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The tab's page; ``context`` holds the search page's shared entries (where, title)."""
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "open")
    kind = request.GET.get("type", "")
    try:
        page_no = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page_no = 1
    error, status = "", 200
    result = ThreadResult(total=0)
    try:
        result = search_threads(
            principal=principal(request), q=q, state=state, type=kind, page=page_no, limit=PER_PAGE
        )
    except InvalidInput as exc:
        error, status = explain(exc), 400
    current = {"state": state if state != "open" else "", "type": kind}
    facet_groups = []
    for name, labels, default in (("state", STATE_LABELS, "open"), ("type", TYPE_LABELS, "")):
        chosen = state if name == "state" else kind
        values = [
            {
                "value": value or "any",
                "label": label,
                "count": "",
                "active": chosen == value,
                "href": issues_href(q, **{**current, name: "" if value == default else value}),
            }
            for value, label in labels.items()
        ]
        facet_groups.append(
            {"name": name, "label": _("State") if name == "state" else _("Type"), "values": values}
        )
    last_page = max(1, -(-result.total // PER_PAGE))
    return page(
        request,
        "web/search.html",
        {
            **context,
            "tab": "issues",
            "q": q,
            "error": error,
            "threads": [{"thread": t, "url": thread_url(t)} for t in result.threads],
            "thread_result": result,
            "state_filter": current["state"],
            "type_filter": kind,
            "facet_groups": facet_groups,
            "repos_href": "/search?" + urlencode({"q": q}) if q else "/search",
            "code_href": "/search?" + urlencode({"q": q, "tab": "code"}),
            "issues_href": issues_href(q),
            "prev_href": issues_href(q, **current, page=str(page_no - 1)) if page_no > 1 else "",
            "next_href": (
                issues_href(q, **current, page=str(page_no + 1)) if page_no < last_page else ""
            ),
            "page_no": page_no,
            "last_page": last_page,
        },
        status=status,
    )
