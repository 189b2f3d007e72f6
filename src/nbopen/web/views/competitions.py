"""``/competitions``: the list, a competition's page with its tabs, joining and submitting.

Thin: visibility, quotas and which scores may be shown are decided in
:mod:`nbopen.challenges` (``services.competition_get``, ``leaderboard.visible_splits``), the
same calls the API makes, so a page never shows what the API would hide.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nbopen.challenges import leaderboard, rules, services
from nbopen.challenges.models import Competition, Submission
from nbopen.core.errors import DomainError, NotFound
from nbopen.core.limits import body_limit
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal

TABS = ("overview", "data", "evaluation", "rules", "leaderboard", "submissions")
MAX_SUBMISSION_BODY = 256 << 20


def _competition_or_404(request: HttpRequest, slug: str) -> Competition:
    try:
        return services.competition_get(principal(request), slug)
    except NotFound:
        raise Http404("no such competition") from None


@require_GET
def competition_list(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    rows = [
        {"competition": c, "state": services.effective_state(c)}
        for c in services.visible_competitions(who)[:200]
    ]
    return page(request, "web/competitions.html", {"rows": rows})


def _context(request: HttpRequest, competition: Competition, tab: str) -> dict[str, Any]:
    who = principal(request)
    phase = services.leaderboard_phase(competition)
    team = services.team_of(competition, who.user) if who.is_authenticated else None
    context: dict[str, Any] = {
        "competition": competition,
        "state": services.effective_state(competition),
        "tab": tab,
        "tabs": TABS,
        "phase": phase,
        "phases": list(competition.phases.all()),
        "team": team,
        "accepted": services.has_accepted(who, competition),
        "is_host": rules.is_host(who, competition),
        "datasets": list(competition.datasets.select_related("owner")),
        "signed_in": who.is_authenticated,
    }
    if phase is not None:
        shown = leaderboard.visible_splits(who, competition, phase)
        context["splits"] = shown
        split = request.GET.get("split", "public")
        context["split"] = split if split in shown else None
        if tab == "leaderboard" and context["split"]:
            context["rows"] = leaderboard.ranking(competition, phase, split)
        if tab == "submissions" and team is not None:
            mine = Submission.objects.filter(competition=competition, team=team).select_related(
                "team", "competition__organization"
            )
            context["submissions"] = [
                leaderboard.submission_view(who, s, shown) for s in mine.order_by("-created_at")
            ]
            context["quota"] = services.quota_left(competition, phase, team)
    return context


@require_GET
def competition_page(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition_or_404(request, slug)
    tab = request.GET.get("tab", "overview")
    if tab not in TABS:
        tab = "overview"
    return page(request, "web/competition.html", _context(request, competition, tab))


@require_POST
def competition_join(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition_or_404(request, slug)
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    context = _context(request, competition, "overview")
    if request.POST.get("accept") != "1":
        context["error"] = _("Accept the terms to join.")
        return page(request, "web/competition.html", context, status=400)
    try:
        services.join(
            actor=who,
            competition=competition,
            team_name=request.POST.get("team") or None,
            code=request.POST.get("code") or None,
        )
    except DomainError as exc:
        context["error"] = explain(exc)
        return page(request, "web/competition.html", context, status=400)
    return redirect(f"/competitions/{competition.slug}?tab=data")


@body_limit(MAX_SUBMISSION_BODY)
@require_POST
def competition_submit(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition_or_404(request, slug)
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    upload = request.FILES.get("file")
    context = _context(request, competition, "submissions")
    if upload is None:
        context["error"] = _("Choose a file to submit.")
        return page(request, "web/competition.html", context, status=400)
    try:
        services.submit(
            actor=who,
            competition=competition,
            source=upload,
            message=request.POST.get("message", ""),
        )
    except services.QuotaExceeded:
        context["error"] = _("You have used up your submission quota for now.")
        return page(request, "web/competition.html", context, status=429)
    except DomainError as exc:
        context["error"] = explain(exc)
        return page(request, "web/competition.html", context, status=400)
    return redirect(f"/competitions/{competition.slug}?tab=submissions")
