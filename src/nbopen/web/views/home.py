"""The front page and repository search: only what the caller may read is ever listed."""

from __future__ import annotations

from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from nbopen.access.policy import visible_repositories
from nbopen.accounts.models import User
from nbopen.core.models import Event
from nbopen.orgs.models import Organization
from nbopen.web.views.base import page, principal


def home(request: HttpRequest) -> HttpResponse:
    repos = visible_repositories(principal(request))
    counts = dict(repos.order_by().values_list("type").annotate(n=Count("id")))
    since = timezone.now() - timedelta(days=90)
    busy = list(
        Event.objects.filter(
            kind="repo.push", created_at__gte=since, repository_id__in=repos.values("pk")
        )
        .values_list("repository_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:6]
    )
    by_id = {r.pk: r for r in repos.filter(pk__in=[rid for rid, _ in busy])}
    popular = [by_id[rid] for rid, _ in busy if rid in by_id]
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
            "popular": popular or recent[:6],
            "orgs": orgs,
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("type", "")
    repos = visible_repositories(principal(request)).order_by("-updated_at")
    if q:
        from django.db.models import Q

        repos = repos.filter(
            Q(name__icontains=q) | Q(description__icontains=q) | Q(owner__name__icontains=q)
        )
    if kind in {"code", "model", "dataset"}:
        repos = repos.filter(type=kind)
    paginator = Paginator(repos, 20)
    page_obj = paginator.get_page(request.GET.get("page"))
    return page(request, "web/search.html", {"q": q, "type": kind, "page_obj": page_obj})
