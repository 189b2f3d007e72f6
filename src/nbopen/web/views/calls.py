"""``/calls`` and ``/calls/{id}``: open calls (揭榜挂帅) as pages.

Thin: visibility, validation and matching are ``nbopen.programs``'s; the pages read through
its selectors and write through its services, so they refuse exactly what the API refuses.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from nbopen.access.policy import Principal, may_manage_call
from nbopen.core.errors import DomainError, NotFound
from nbopen.orgs.models import Membership, Organization
from nbopen.orgs.services import org_get
from nbopen.programs import matching, selectors, services
from nbopen.programs.models import Call
from nbopen.web.markdown import render_markdown
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal


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
    applications = [
        {
            "a": a,
            "evidence": selectors.evidence_names(who, a),
            "proposal": render_markdown(a.proposal),
        }
        for a in selectors.visible_applications(who, call)
    ]
    context: dict[str, Any] = {
        "call": call,
        "description": render_markdown(call.description),
        "timeline": call.transitions.all(),
        "applications": applications,
        "manager": manager,
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
