"""``/api/v1/competitions…``: hosting, joining, submitting and leaderboards, as JSON.

Thin: every decision is in :mod:`nbopen.challenges` (services, leaderboard). A competition
the caller may not see answers 404 (a draft is not revealed to outsiders). Uploads (ground
truth, scorer, submission) are the raw request body.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Principal
from nbopen.challenges import leaderboard, results, rules, services, teams
from nbopen.challenges.models import Competition, Submission
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.core.limits import loads as safe_json
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.orgs.services import org_get


def _json(data: object, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response


def _refusal(exc: DomainError) -> JsonResponse:
    if isinstance(exc, services.QuotaExceeded):
        return api_error(429, str(exc), exc.code)
    return domain_error(exc)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = safe_json(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("Request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InvalidInput("Request body must be a JSON object")
    return data


def describe(principal: Principal, competition: Competition) -> dict[str, Any]:
    phase = services.leaderboard_phase(competition)
    me: dict[str, Any] | None = None
    if principal.is_authenticated and principal.user is not None:
        team = services.team_of(competition, principal.user)
        me = {
            "accepted_terms": services.has_accepted(principal, competition),
            "team": team.name if team else None,
            "join_code": team.join_code if team else None,
            "quota": services.quota_left(competition, phase, team) if team and phase else None,
        }
    return {
        "slug": competition.slug,
        "title": competition.title,
        "organization": competition.organization.name,
        "state": services.effective_state(competition),
        "datasets": [r.full_name for r in competition.datasets.select_related("owner")],
        "metric": competition.metric,
        "higher_is_better": competition.higher_is_better,
        "id_column": competition.id_column,
        "target_column": competition.target_column,
        "overview": competition.overview,
        "evaluation": competition.evaluation,
        "rules": competition.rules,
        "terms": competition.terms,
        "phases": [
            {
                "name": p.name,
                "start": p.start.isoformat(),
                "end": p.end.isoformat() if p.end else None,
                "ended": rules.phase_ended(p),
                "daily_quota": p.daily_quota,
                "total_quota": p.total_quota,
                "concurrent_quota": p.concurrent_quota,
                "max_bytes": p.max_bytes,
            }
            for p in competition.phases.all()
        ],
        "max_team_size": competition.max_team_size,
        "final_submissions": competition.final_submissions,
        "winners_publish": competition.winners_publish,
        "team_merge_deadline": _iso(teams.merge_deadline(competition)),
        "precision": competition.precision,
        "public_fraction": competition.public_fraction,
        "winners": results.winners(competition),
        "is_host": rules.is_host(principal, competition),
        "me": me,
    }


PATCHABLE = {
    *services.EDITABLE,
    *services.SCORING,
    "datasets",
    "phases",
}


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else None


def options(data: dict[str, Any]) -> dict[str, Any]:
    """The competition options of a JSON body (create or update), typed; only those given.
    Raises InvalidInput on a value of the wrong type."""
    out: dict[str, Any] = {}
    try:
        for key in ("title", "metric", "id_column", "target_column"):
            if key in data:
                out[key] = str(data[key])
        for key in ("overview", "evaluation", "rules", "terms"):
            if key in data:
                out[key] = str(data[key])
        for key in ("max_team_size", "final_submissions", "winners_publish", "precision"):
            if key in data:
                out[key] = _int(data[key], key)
        if "public_fraction" in data:
            if isinstance(data["public_fraction"], bool):
                raise ValueError
            out["public_fraction"] = float(data["public_fraction"])
        if "team_merge_deadline" in data:
            out["team_merge_deadline"] = _when(data["team_merge_deadline"])
    except (TypeError, ValueError):
        raise InvalidInput("A competition option has a value of the wrong type") from None
    return out


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{name} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer") from None


def phases_of(data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The ``phases`` of a body, typed (None when absent)."""
    raw = data.get("phases")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise InvalidInput("phases must be a list of objects")
    return [
        {
            "name": str(p.get("name") or ""),
            "start": _when(p.get("start")),
            "end": _when(p.get("end")),
            "daily_quota": _int(p.get("daily_quota", 5), "daily_quota"),
            "total_quota": _int(p["total_quota"], "total_quota")
            if p.get("total_quota") is not None
            else None,
            "concurrent_quota": _int(p.get("concurrent_quota", 2), "concurrent_quota"),
        }
        for p in raw
    ]


def _when(value: object) -> dt.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise InvalidInput(f"Not an ISO date-time: {value}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


@csrf_exempt
def competition_list(request: HttpRequest) -> HttpResponse:
    """Competitions the caller may see (GET), or create a draft (POST, organization admins)."""
    principal = principal_from_request(request)
    if request.method == "GET":
        return _json(
            {
                "competitions": [
                    describe(principal, c) for c in services.visible_competitions(principal)[:200]
                ]
            }
        )
    try:
        data = _body(request)
        organization = org_get(str(data.get("organization", "")))
        competition = services.competition_create(
            actor=principal,
            organization=organization,
            slug=str(data.get("slug", "")),
            title=str(data.get("title", "")),
            datasets=[str(d) for d in data.get("datasets") or []],
            metric=str(data.get("metric", "accuracy")),
            id_column=str(data.get("id_column", "id")),
            target_column=str(data.get("target_column", "target")),
            public_fraction=float(data.get("public_fraction", 0.5)),
            daily_quota=int(data.get("daily_quota", 5)),
            total_quota=int(data["total_quota"]) if data.get("total_quota") else None,
            concurrent_quota=int(data.get("concurrent_quota", 2)),
            start=_when(data.get("start")),
            end=_when(data.get("end")),
            precision=int(data.get("precision", 4)),
            higher_is_better=data.get("higher_is_better"),
            overview=str(data.get("overview", "")),
            evaluation=str(data.get("evaluation", "")),
            rules=str(data.get("rules", "")),
            terms=str(data.get("terms", "")),
            max_team_size=_int(data.get("max_team_size", 5), "max_team_size"),
            final_submissions=_int(data.get("final_submissions", 2), "final_submissions"),
            winners_publish=_int(data.get("winners_publish", 0), "winners_publish"),
            team_merge_deadline=_when(data.get("team_merge_deadline")),
            phases=phases_of(data),
        )
    except DomainError as exc:
        return _refusal(exc)
    except (TypeError, ValueError) as exc:
        return api_error(400, f"Invalid value: {exc}")
    return _json(describe(principal, competition), status=201)


@csrf_exempt
def competition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A competition: its pages' texts, phases, datasets, and the caller's team and quota
    (GET); or the host edits it (PATCH: the options of the creation body, ``datasets`` and
    ``phases`` replace the lists; the metric and columns only before any submission)."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
        if request.method == "PATCH":
            data = _body(request)
            unknown = sorted(set(data) - PATCHABLE)
            if unknown:
                raise InvalidInput(f"Unknown fields: {', '.join(unknown)}")
            services.competition_update(
                actor=principal,
                competition=competition,
                changes=options(data),
                datasets=[str(d) for d in data["datasets"]]
                if isinstance(data.get("datasets"), list)
                else None,
                phases=phases_of(data),
            )
    except DomainError as exc:
        return _refusal(exc)
    return _json(describe(principal, competition))


@csrf_exempt
def competition_team(request: HttpRequest, slug: str, action: str = "") -> HttpResponse:
    """The caller's team (GET): members, join code, invitations sent and received, and what
    the merge rule allows. POST ``invite`` ``{"username"}``, ``accept``/``decline``
    ``{"team"}`` (an invitation received), ``leave``, ``merge`` ``{"code"}`` (the other
    team's join code: merge it into yours, before the team-merge deadline and within the
    quota rule)."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
        if request.method == "POST":
            data = _body(request)
            if action == "invite":
                teams.invite(
                    actor=principal, competition=competition, username=str(data.get("username", ""))
                )
            elif action == "accept":
                teams.accept_invitation(
                    actor=principal, competition=competition, team_name=str(data.get("team", ""))
                )
            elif action == "decline":
                teams.decline_invitation(
                    actor=principal, competition=competition, team_name=str(data.get("team", ""))
                )
            elif action == "leave":
                teams.leave(actor=principal, competition=competition)
            elif action == "merge":
                code = str(data.get("code", ""))
                teams.merge(actor=principal, competition=competition, code=code)
            else:
                raise NotFound(f"Unknown action {action}")
    except DomainError as exc:
        return _refusal(exc)
    return _json(team_view(principal, competition))


def team_view(principal: Principal, competition: Competition) -> dict[str, Any]:
    team = (
        services.team_of(competition, principal.user)
        if principal.is_authenticated and principal.user is not None
        else None
    )
    received = [
        {"team": i.team.name, "by": i.invited_by.username if i.invited_by else ""}
        for i in teams.invitations_of(principal, competition)
    ]
    if team is None:
        return {"team": None, "members": [], "invitations": received}
    deadline = teams.merge_deadline(competition)
    return {
        "team": team.name,
        "join_code": team.join_code,
        "members": teams.members(team),
        "invited": teams.pending_invitations(team),
        "invitations": received,
        "merge": teams.merge_allowance(competition, [team]),
        "merge_deadline": _iso(deadline),
    }


@csrf_exempt
def competition_finals(request: HttpRequest, slug: str) -> HttpResponse:
    """The caller's team's final submissions of a phase (default: the current one, else the
    last started): the ones chosen and the ones that count (none chosen: the best public).
    PUT ``{"ids": [...]}`` chooses them while the phase runs (``[]``: back to the default)."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
        team = (
            services.team_of(competition, principal.user)
            if principal.is_authenticated and principal.user is not None
            else None
        )
        if team is None:
            raise NotFound("You are not in a team of this competition")
        wanted = request.GET.get("phase")
        phases = list(competition.phases.all())
        phase = (
            next((p for p in phases if p.name == wanted), None)
            if wanted
            else services.leaderboard_phase(competition)
        )
        if phase is None:
            raise NotFound("Phase not found")
        if request.method == "PUT":
            ids = _body(request).get("ids")
            if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids
            ):
                raise InvalidInput("ids must be a list of submission ids")
            results.finals_select(actor=principal, competition=competition, ids=ids, phase=phase)
        return _json(results.finals_of(competition, phase, team))
    except DomainError as exc:
        return _refusal(exc)


@csrf_exempt
def competition_winners(request: HttpRequest, slug: str) -> HttpResponse:
    """The top teams of the final ranking and the repositories they published (GET; empty
    until the last phase ends). POST ``{"repository": "OWNER/NAME"}``: a member of a top
    team links a public repository of their code or model (it counts as reuse)."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
        if request.method == "POST":
            linked = results.winner_link(
                actor=principal,
                competition=competition,
                repository=str(_body(request).get("repository", "")),
            )
            return _json(linked, status=201)
    except DomainError as exc:
        return _refusal(exc)
    return _json({"required": competition.winners_publish, "winners": results.winners(competition)})


@csrf_exempt
def competition_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    """Host actions: ``publish``, ``close`` (ends the running phase now), ``rescore`` (after a
    scorer fix), ``archive``; and
    ``join`` for participants (accepts the terms; body ``{"team"}`` or ``{"code"}``)."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
        if action == "join":
            data = _body(request)
            team = services.join(
                actor=principal,
                competition=competition,
                team_name=data.get("team") or None,
                code=data.get("code") or None,
            )
            return _json({"team": team.name, "join_code": team.join_code})
        if action == "publish":
            services.competition_publish(actor=principal, competition=competition)
        elif action == "close":
            services.competition_close(actor=principal, competition=competition)
        elif action == "rescore":
            queued = services.rescore(actor=principal, competition=competition)
            return _json({"queued": queued})
        elif action == "archive":
            services.competition_archive(actor=principal, competition=competition)
        else:
            raise NotFound(f"Unknown action {action}")
    except DomainError as exc:
        return _refusal(exc)
    return _json(describe(principal, competition))


@csrf_exempt
def competition_upload(request: HttpRequest, slug: str, part: str) -> HttpResponse:
    """The host's hidden files (request body): ``ground-truth`` (CSV) or ``scorer`` (Python
    defining ``evaluate(ground_truth_path, submission_path, phase)``). Never served back."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
        if part == "ground-truth":
            rows = services.ground_truth_set(
                actor=principal, competition=competition, source=request
            )
            return _json({"rows": rows})
        services.scorer_set(actor=principal, competition=competition, source=request)
    except DomainError as exc:
        return _refusal(exc)
    return _json({})


@csrf_exempt
def submissions(request: HttpRequest, slug: str) -> HttpResponse:
    """The caller's team's submissions (GET; the host sees all), or submit (POST: the CSV
    as the body, ``?message=``). Scoring runs in the background: poll the submission."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
        if request.method == "POST":
            submission = services.submit(
                actor=principal,
                competition=competition,
                source=request,
                message=request.GET.get("message", ""),
            )
            submission.refresh_from_db()
            return _json(_view(principal, submission), status=201)
    except DomainError as exc:
        return _refusal(exc)
    return _json({"submissions": [_view(principal, s) for s in _visible(principal, competition)]})


def submission_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One submission of the caller's team (or any, for the host)."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
    except DomainError as exc:
        return _refusal(exc)
    found = _visible(principal, competition).filter(pk=number).first()
    if found is None:
        return api_error(404, "Submission not found", "NotFound")
    return _json(_view(principal, found))


def _visible(principal: Principal, competition: Competition) -> Any:
    qs = Submission.objects.filter(competition=competition).select_related(
        "team", "phase", "competition__organization"
    )
    if rules.is_host(principal, competition):
        return qs.order_by("-created_at")
    team = services.team_of(competition, principal.user) if principal.is_authenticated else None
    return qs.filter(team=team).order_by("-created_at") if team else qs.none()


def _view(principal: Principal, submission: Submission) -> dict[str, Any]:
    shown = leaderboard.visible_splits(principal, submission.competition, submission.phase)
    return leaderboard.submission_view(principal, submission, shown)


def competition_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    """The ranking of a phase (default: the current one) on a split (default ``public``):
    best entry per team; a private split only after the phase has ended (403 before)."""
    principal = principal_from_request(request)
    try:
        competition = services.competition_get(principal, slug)
    except DomainError as exc:
        return _refusal(exc)
    phases = list(competition.phases.all())
    wanted = request.GET.get("phase")
    phase = (
        next((p for p in phases if p.name == wanted), None)
        if wanted
        else services.leaderboard_phase(competition)
    )
    if phase is None:
        return api_error(404, "Phase not found", "NotFound")
    split = request.GET.get("split", "public")
    if split not in leaderboard.visible_splits(principal, competition, phase):
        return api_error(403, f"The {split} leaderboard is not shown yet", "NotRevealed")
    leaderboard.record_final_ranks(competition, phase)  # once, when it has ended by its clock
    rows = leaderboard.ranking(competition, phase, split)
    if request.GET.get("format") == "csv":
        response = HttpResponse(leaderboard.as_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slug}-{split}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response
    return _json({"phase": phase.name, "split": split, "rows": rows})
