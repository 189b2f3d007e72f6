"""``/calls`` and ``/calls/{id}``: open calls (揭榜挂帅) as pages.

Thin: visibility, validation and matching are ``nbopen.programs``'s; the pages read through
its selectors and write through its services, so they refuse exactly what the API refuses.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nbopen.access.policy import Principal, may_manage_call
from nbopen.accounts.services import user_get
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.orgs.models import Membership, Organization
from nbopen.orgs.services import org_get
from nbopen.programs import matching, report, reviews, selectors, services
from nbopen.programs.models import Application, Call
from nbopen.web.markdown import render_markdown
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal
from nbopen.web.views.insights import _respond as insights_respond


def _call_or_404(request: HttpRequest, call_id: int) -> Call:
    try:
        return selectors.call_get(principal(request), call_id)
    except NotFound:
        raise Http404("no such call") from None


@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    state = request.GET.get("state", "")
    calls = selectors.visible_calls(who)
    if state in services.ORDER:
        calls = calls.filter(state=state)
    return page(
        request,
        "web/calls.html",
        {"calls": calls[:100], "states": Call.State.choices, "state": state},
    )


@require_GET
def call_page(request: HttpRequest, call_id: int) -> HttpResponse:
    who = principal(request)
    call = _call_or_404(request, call_id)
    manager = may_manage_call(who, call.organization)
    reviewer = reviews.is_reviewer(who, call)
    applications: list[dict[str, Any]] = []
    for a in selectors.visible_applications(who, call):
        shown = reviews.visible_reviews(who, a)
        mine = next(
            (r for r in shown if who.user is not None and r.reviewer_id == who.user.pk), None
        )
        applications.append(
            {
                "a": a,
                "evidence": selectors.evidence_names(who, a),
                "proposal": render_markdown(a.proposal),
                "reviews": shown,
                "mean": round(sum(r.total for r in shown) / len(shown), 2) if shown else None,
                "form": [
                    {
                        "name": c["name"],
                        "weight": c["weight"],
                        "value": (mine.scores.get(c["name"]) if mine else None),
                    }
                    for c in call.review_criteria
                ],
                "my_comment": mine.comment if mine else "",
            }
        )
    panel: dict[str, Any] = {}
    if manager:
        members = list(call.reviewers.select_related("user").order_by("user__username"))
        apps: list[Application] = [row["a"] for row in applications]
        panel = {
            "criteria": "\n".join(f"{c['name']}: {c['weight']}" for c in call.review_criteria),
            "reviewers": [r.user.username for r in members],
            "conflicts": [
                {
                    "reviewer": r.user.username,
                    "application": a,
                    "reasons": reviews.conflicts_for_reader(who, found),
                }
                for r in members
                for a in apps
                if (found := reviews.conflicts_of(r.user, a))
            ],
        }
    context: dict[str, Any] = {
        "call": call,
        "description": render_markdown(call.description),
        "timeline": call.transitions.all(),
        "applications": applications,
        "manager": manager,
        "reviewer": reviewer,
        "payable": manager and call.state in services.PAYABLE,
        "reviewable": call.state in reviews.REVIEWABLE and bool(call.review_criteria),
        "panel": panel,
        "decisions": [
            ("shortlisted", _("Shortlisted")),
            ("accepted", _("Accepted")),
            ("rejected", _("Rejected")),
        ],
        "next_states": [(s, Call.State(s).label) for s in services.allowed_next(call.state)]
        if manager
        else [],
        "matches": matching.call_matches(who, call, limit=10) if manager else [],
        "can_apply": who.is_authenticated and call.state in services.OPEN_FOR_APPLICATIONS,
        "admin_orgs": sorted(o.name for o in _admin_orgs(who) if o.pk != call.organization_id),
    }
    return page(request, "web/call.html", context)


def _admin_orgs(who: Principal) -> list[Organization]:
    """Organizations the caller may apply for (as their admin)."""
    ids = [
        i
        for i, role in who.org_roles().items()
        if role in (Membership.Role.OWNER, Membership.Role.ADMIN)
    ]
    return list(Organization.objects.filter(pk__in=ids))


@require_POST
def call_transition(request: HttpRequest, call_id: int) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    call = _call_or_404(request, call_id)
    try:
        services.call_transition(
            actor=who, call=call, to=request.POST.get("to", ""), note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/calls/{call.pk}")


@require_POST
def call_apply(request: HttpRequest, call_id: int) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    call = _call_or_404(request, call_id)
    org_name = request.POST.get("organization", "")
    evidence = [n.strip() for n in request.POST.get("evidence", "").split() if n.strip()]
    try:
        services.application_create(
            actor=who,
            call=call,
            proposal=request.POST.get("proposal", ""),
            organization=org_get(org_name) if org_name else None,
            evidence=evidence,
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/calls/{call.pk}")


def _signed_in(request: HttpRequest) -> Principal:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    return who


def _parse_criteria(text: str) -> list[dict[str, Any]]:
    """``name: weight`` per line (weight 1 when left out), as the panel form writes them."""
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _sep, weight = line.rpartition(":") if ":" in line else (line, "", "1")
        try:
            value: Any = float(weight.strip())
        except ValueError:
            raise InvalidInput(gettext_noop("Write each criterion as name: weight")) from None
        out.append({"name": name.strip(), "weight": int(value) if value.is_integer() else value})
    return out


@require_POST
def call_panel(request: HttpRequest, call_id: int) -> HttpResponse:
    """The panel form of the issuing organization's admins: scoring criteria, publication,
    and adding or removing a reviewer."""
    who = _signed_in(request)
    call = _call_or_404(request, call_id)
    try:
        action = request.POST.get("action", "")
        if action == "criteria":
            reviews.panel_configure(
                actor=who,
                call=call,
                criteria=_parse_criteria(request.POST.get("criteria", "")),
                published=request.POST.get("published") == "on",
            )
        elif action in ("add", "remove"):
            user = user_get(request.POST.get("username", "").strip())
            if action == "add":
                reviews.reviewer_add(actor=who, call=call, user=user)
            else:
                reviews.reviewer_remove(actor=who, call=call, user=user)
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/calls/{call.pk}#panel")


def _application_or_404(request: HttpRequest, call: Call, application_id: int) -> Any:
    try:
        return selectors.application_get(principal(request), call, application_id)
    except NotFound:
        raise Http404("no such application") from None


@require_POST
def application_review(request: HttpRequest, call_id: int, application_id: int) -> HttpResponse:
    """A reviewer's scoring form (one 1–5 field per criterion, and a comment)."""
    who = _signed_in(request)
    call = _call_or_404(request, call_id)
    application = _application_or_404(request, call, application_id)
    scores = {
        c["name"]: request.POST.get(f"score-{i}", "") for i, c in enumerate(call.review_criteria)
    }
    try:
        reviews.review_submit(
            actor=who,
            application=application,
            scores=scores,
            comment=request.POST.get("comment", ""),
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/calls/{call.pk}#application-{application.pk}")


@require_POST
def application_conflict(request: HttpRequest, call_id: int, application_id: int) -> HttpResponse:
    who = _signed_in(request)
    call = _call_or_404(request, call_id)
    application = _application_or_404(request, call, application_id)
    try:
        reviews.conflict_declare(
            actor=who, application=application, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/calls/{call.pk}")


@require_POST
def application_decision(request: HttpRequest, call_id: int, application_id: int) -> HttpResponse:
    who = _signed_in(request)
    call = _call_or_404(request, call_id)
    application = _application_or_404(request, call, application_id)
    try:
        services.application_decide(
            actor=who,
            application=application,
            status=request.POST.get("status", ""),
            reasons=request.POST.get("reasons", ""),
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/calls/{call.pk}#application-{application.pk}")


@require_GET
def calls_report(request: HttpRequest) -> HttpResponse:
    """The operators' programs dashboard and city report, exportable as the insights
    dashboards are (``?format=json|csv|print|pdf``)."""
    who = _signed_in(request)
    try:
        data = report.city_report(who)
    except DomainError:
        raise Http404("operators only") from None
    labels = {
        "local_university": _("Local universities"),
        "local_enterprise": _("Local companies"),
        "local_other": _("Other local organizations"),
        "non_local": _("Organizations elsewhere"),
        "individual": _("Individuals"),
    }
    context = {
        "states": dict(Call.State.choices),
        "taker_labels": labels,
        # Sections other apps registered (report.register_section): each a dict of tables
        # (lists of rows), shown as tables here and exported like the rest.
        "sections": [
            (_(k), [(_(t), _section_table(rows)) for t, rows in v.items()])
            for k, v in data.items()
            if k not in report.CORE_KEYS
        ],
    }
    return insights_respond(request, data, "web/calls_report.html", context, "programs-report")


def _section_table(rows: Any) -> tuple[list[str], list[list[Any]]]:
    """Headers (translated column names) and cells of one table of a registered section."""
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        return [], []
    keys = list(rows[0])
    return [_(k) for k in keys], [[row.get(k, "") for k in keys] for row in rows]


@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    """A new call (draft) for an organization the signed-in user administers."""
    who = _signed_in(request)
    orgs = sorted(o.name for o in _admin_orgs(who))
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            budget_text = request.POST.get("budget", "").strip() or "0"
            if not re.fullmatch(r"[0-9]{1,15}", budget_text):
                raise InvalidInput(gettext_noop("budget must be a non-negative number"))
            call = services.call_create(
                actor=who,
                organization=org_get(request.POST.get("organization", "")),
                title=request.POST.get("title", ""),
                details={
                    "description": request.POST.get("description", ""),
                    "tags": [
                        t
                        for t in request.POST.get("tags", "")
                        .replace("，", ",")
                        .replace(",", " ")
                        .split()
                        if t
                    ],
                    "budget": int(budget_text),
                    "deadline": request.POST.get("deadline", "") or None,
                    "competition": request.POST.get("competition", "").strip() or None,
                },
            )
        except DomainError as exc:
            messages.error(request, explain(exc))
        else:
            return redirect(f"/calls/{call.pk}")
    return page(request, "web/call_new.html", {"orgs": orgs, "form": form})


@require_POST
def milestone_payment(request: HttpRequest, call_id: int, number: int) -> HttpResponse:
    who = _signed_in(request)
    call = _call_or_404(request, call_id)
    try:
        services.milestone_pay(actor=who, call=call, number=number)
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/calls/{call.pk}")
