"""The front page (trending lists, dashboard feed) and search: only what the caller may read
is ever listed."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from nbopen.access.policy import Principal, visible_repositories
from nbopen.accounts.models import User
from nbopen.collab import feeds
from nbopen.orgs.models import Organization
from nbopen.search.services import search as search_service
from nbopen.web.views import discover
from nbopen.web.views.base import page, principal

DASHBOARD_SIZE = 20
TRENDING_SIZE = 5


def trending_lists(who: Principal) -> list[dict[str, Any]]:
    """The top repositories of each type by trending score (``search/trending.py``), through
    the search service so privacy is applied in its query."""
    lists = []
    for kind, title in (("model", _("Models")), ("dataset", _("Datasets")), ("code", _("Code"))):
        hits = search_service(
            principal=who,
            types=[kind],
            sort="trending",
            per_page=TRENDING_SIZE,
            with_facets=False,
        ).hits
        lists.append(
            {"type": kind, "title": title, "hits": [{"hit": h, "url": h.web_path} for h in hits]}
        )
    return lists


def home(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    repos = visible_repositories(who)
    counts = dict(repos.order_by().values_list("type").annotate(n=Count("id")))
    recent = list(repos.order_by("-updated_at")[:8])
    orgs = Organization.objects.order_by("-verified", "name")[:8]
    return page(
        request,
        "web/home.html",
        {
            "counts": {
                "code": counts.get("code", 0),
                "model": counts.get("model", 0),
                "dataset": counts.get("dataset", 0),
                "orgs": Organization.objects.count(),
                "users": User.objects.filter(is_active=True).count(),
            },
            "recent": recent,
            "orgs": orgs,
            "trending": trending_lists(who),
            "dashboard": feeds.page_of(feeds.dashboard_feed(who), per_page=DASHBOARD_SIZE)
            if who.is_authenticated
            else None,
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    """``/search``: the search service with facets and sorts (see ``discover``)."""
    return discover.search_page(request)
