"""``/competitions``: the list, a competition's page with its tabs, joining and submitting.

Thin: visibility, quotas and which scores may be shown are decided in
:mod:`nbopen.challenges` (``services.competition_get``, ``leaderboard.visible_splits``), the
same calls the API makes, so a page never shows what the API would hide.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nbopen.challenges import leaderboard, results, rules, services, teams
from nbopen.challenges.metrics import METRICS
from nbopen.challenges.models import Competition, Submission
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.core.limits import body_limit
from nbopen.orgs.models import Organization
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal

TABS = ("overview", "data", "evaluation", "rules", "leaderboard", "submissions", "team")
MAX_GROUND_TRUTH_BODY = 512 << 20
PHASE_ROWS = 3  # phases the host form offers at once, plus one empty row
MAX_SUBMISSION_BODY = 256 << 20


LEADERBOARD_PAGE = 100


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
    return page(
        request, "web/competitions.html", {"rows": rows, "can_host": bool(_hosting_orgs(request))}
    )


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
        "winners": results.winners(competition),
        "invitations": teams.invitations_of(who, competition),
    }
    if team is not None:
        context["members"] = teams.members(team)
        context["invited"] = teams.pending_invitations(team)
        context["merge"] = teams.merge_allowance(competition, [team])
        context["merge_deadline"] = teams.merge_deadline(competition)
        context["winner_team"] = any(w["team"] == team.name for w in context["winners"])
    if phase is not None:
        shown = leaderboard.visible_splits(who, competition, phase)
        context["splits"] = shown
        split = request.GET.get("split", "public")
        context["split"] = split if split in shown else None
        if tab == "leaderboard" and context["split"]:
            leaderboard.record_final_ranks(competition, phase)  # once, after a clock end
            # 100 teams a page: rendering 2 000 rows cost more than ranking 10 000 entries.
            number = request.GET.get("page", "1")
            rows, current, pages = leaderboard.ranking_page(
                competition, phase, split, int(number) if number.isdigit() else 1, LEADERBOARD_PAGE
            )
            context["rows"], context["board_page"], context["board_pages"] = rows, current, pages
        if tab == "submissions" and team is not None:
            mine = Submission.objects.filter(competition=competition, team=team).select_related(
                "team", "competition__organization"
            )
            context["submissions"] = [
                leaderboard.submission_view(who, s, shown) for s in mine.order_by("-created_at")
            ]
            context["quota"] = services.quota_left(competition, phase, team)
            finals = results.finals_of(competition, phase, team)
            context["finals"] = finals
            context["finals_open"] = not rules.phase_ended(phase)
            for row in context["submissions"]:
                row["final"] = row["id"] in finals["counting"]
                row["chosen"] = row["id"] in finals["selected"]
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


@require_POST
def competition_team(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    """The team tab's forms: invite, accept/decline an invitation, leave, merge, and a
    winning team's repository link."""
    competition = _competition_or_404(request, slug)
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    value = request.POST.get("value", "").strip()
    try:
        if action == "invite":
            teams.invite(actor=who, competition=competition, username=value)
        elif action == "accept":
            teams.accept_invitation(actor=who, competition=competition, team_name=value)
        elif action == "decline":
            teams.decline_invitation(actor=who, competition=competition, team_name=value)
        elif action == "leave":
            teams.leave(actor=who, competition=competition)
        elif action == "merge":
            teams.merge(actor=who, competition=competition, code=value)
        elif action == "link":
            results.winner_link(actor=who, competition=competition, repository=value)
        else:
            raise Http404("no such action")
    except DomainError as exc:
        context = _context(request, competition, "team")
        context["error"] = explain(exc)
        return page(request, "web/competition.html", context, status=400)
    return redirect(f"/competitions/{competition.slug}?tab=team")


@require_POST
def competition_finals(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose the final submissions (the ticked ones; none: back to the default)."""
    competition = _competition_or_404(request, slug)
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    try:
        ids = [int(v) for v in request.POST.getlist("final") if v.isdigit()]
        results.finals_select(actor=who, competition=competition, ids=ids)
    except DomainError as exc:
        context = _context(request, competition, "submissions")
        context["error"] = explain(exc)
        return page(request, "web/competition.html", context, status=400)
    return redirect(f"/competitions/{competition.slug}?tab=submissions")


# --- the host's form --------------------------------------------------------------------


def _hosting_orgs(request: HttpRequest) -> list[Organization]:
    """Organizations the signed-in user may host a competition for (admins and owners)."""
    who = principal(request)
    if not who.is_authenticated or who.scope == "read":
        return []
    ids = [pk for pk, role in who.org_roles().items() if role in ("owner", "admin")]
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def _local(value: str, zone: str) -> dt.datetime | None:
    """A ``datetime-local`` field's value, in the competition's time zone."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(gettext_noop("Not a date and time: %(value)s"), value=value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return parsed


def _number(post: Any, name: str, default: float | None, kind: type = int) -> Any:
    raw = str(post.get(name, "")).strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise InvalidInput(gettext_noop("%(field)s must be a number"), field=name) from None


def _posted_options(request: HttpRequest, zone: str) -> dict[str, Any]:
    post = request.POST
    return {
        "title": post.get("title", "").strip(),
        "metric": post.get("metric", "accuracy"),
        "id_column": post.get("id_column", "id").strip() or "id",
        "target_column": post.get("target_column", "target").strip() or "target",
        "public_fraction": _number(post, "public_fraction", 0.5, float),
        "precision": _number(post, "precision", 4),
        "max_team_size": _number(post, "max_team_size", 5),
        "final_submissions": _number(post, "final_submissions", 2),
        "winners_publish": _number(post, "winners_publish", 0),
        "team_merge_deadline": _local(post.get("team_merge_deadline", ""), zone),
        "terms": post.get("terms", ""),
        "overview": post.get("overview", ""),
        "evaluation": post.get("evaluation", ""),
        "rules": post.get("rules", ""),
    }


def _posted_phases(request: HttpRequest, zone: str) -> list[dict[str, Any]]:
    post, rows = request.POST, []
    for n in range(PHASE_ROWS + 1):
        name = post.get(f"phase-{n}-name", "").strip()
        start = _local(post.get(f"phase-{n}-start", ""), zone)
        if not name and start is None:
            continue
        rows.append(
            {
                "name": name,
                "start": start,
                "end": _local(post.get(f"phase-{n}-end", ""), zone),
                "daily_quota": _number(post, f"phase-{n}-daily", 5),
                "total_quota": _number(post, f"phase-{n}-total", None),
                "concurrent_quota": _number(post, f"phase-{n}-concurrent", 2),
            }
        )
    return rows


def _datasets(request: HttpRequest) -> list[str]:
    text = request.POST.get("datasets", "")
    return [d.strip() for d in text.replace(",", "\n").splitlines() if d.strip()]


def _form_context(
    request: HttpRequest, competition: Competition | None, error: str = ""
) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(competition.timezone if competition else "Asia/Shanghai")

    def local(value: dt.datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""

    phases: list[dict[str, Any]] = []
    if competition is not None:
        phases = [
            {
                "name": p.name,
                "start": local(p.start),
                "end": local(p.end),
                "daily": p.daily_quota,
                "total": p.total_quota or "",
                "concurrent": p.concurrent_quota,
            }
            for p in competition.phases.all()
        ]
    if request.method == "POST":  # show what was typed, not the stored values
        phases = [
            {
                "name": request.POST.get(f"phase-{n}-name", ""),
                "start": request.POST.get(f"phase-{n}-start", ""),
                "end": request.POST.get(f"phase-{n}-end", ""),
                "daily": request.POST.get(f"phase-{n}-daily", ""),
                "total": request.POST.get(f"phase-{n}-total", ""),
                "concurrent": request.POST.get(f"phase-{n}-concurrent", ""),
            }
            for n in range(PHASE_ROWS + 1)
        ]
    while len(phases) < PHASE_ROWS + 1:
        phases.append(dict.fromkeys(("name", "start", "end", "daily", "total", "concurrent"), ""))
    for n, row in enumerate(phases):
        row["n"] = n
    return {
        "competition": competition,
        "orgs": _hosting_orgs(request),
        "metrics": list(METRICS),
        "phases": phases,
        "error": error,
        "values": request.POST if request.method == "POST" else None,
        "merge_deadline": local(competition.team_merge_deadline) if competition else "",
        "dataset_names": "\n".join(
            r.full_name for r in competition.datasets.select_related("owner")
        )
        if competition
        else "",
    }


@body_limit(MAX_GROUND_TRUTH_BODY)
@require_http_methods(["GET", "POST"])
def competition_new(request: HttpRequest) -> HttpResponse:
    """The host's form: the options of ``nbopen compete create``, for organization admins."""
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    orgs = _hosting_orgs(request)
    if not orgs:
        raise Http404("not an organization admin")
    if request.method == "GET":
        return page(request, "web/competition_form.html", _form_context(request, None))
    try:
        organization = next((o for o in orgs if o.name == request.POST.get("organization")), None)
        if organization is None:
            raise InvalidInput(gettext_noop("Choose an organization you administer"))
        upload = request.FILES.get("ground_truth")
        if upload is None:
            raise InvalidInput(gettext_noop("Upload the ground truth (a CSV file)"))
        zone = "Asia/Shanghai"
        with transaction.atomic():
            competition = services.competition_create(
                actor=who,
                organization=organization,
                slug=request.POST.get("slug", "").strip(),
                datasets=_datasets(request),
                phases=_posted_phases(request, zone) or None,
                **_posted_options(request, zone),
            )
            services.ground_truth_set(actor=who, competition=competition, source=upload)
            if request.POST.get("publish") == "1":
                services.competition_publish(actor=who, competition=competition)
    except DomainError as exc:
        context = _form_context(request, None, explain(exc))
        return page(request, "web/competition_form.html", context, status=400)
    return redirect(f"/competitions/{competition.slug}")


@body_limit(MAX_GROUND_TRUTH_BODY)
@require_http_methods(["GET", "POST"])
def competition_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The host edits the competition (a new ground truth file replaces the stored one)."""
    competition = _competition_or_404(request, slug)
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    if not rules.is_host(who, competition):
        raise Http404("not the host")
    if request.method == "GET":
        return page(request, "web/competition_form.html", _form_context(request, competition))
    try:
        with transaction.atomic():
            services.competition_update(
                actor=who,
                competition=competition,
                changes=_posted_options(request, competition.timezone),
                datasets=_datasets(request),
                phases=_posted_phases(request, competition.timezone),
            )
            upload = request.FILES.get("ground_truth")
            if upload is not None:
                services.ground_truth_set(actor=who, competition=competition, source=upload)
            if request.POST.get("publish") == "1":
                services.competition_publish(actor=who, competition=competition)
    except DomainError as exc:
        competition.refresh_from_db()
        context = _form_context(request, competition, explain(exc))
        return page(request, "web/competition_form.html", context, status=400)
    return redirect(f"/competitions/{competition.slug}")
