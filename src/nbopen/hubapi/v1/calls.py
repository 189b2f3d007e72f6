"""``/api/v1/calls…``: open calls (揭榜挂帅), their applications and explained matches.

Lists are Gitea-shaped: a JSON array, ``page`` and ``limit`` in the query, the total in
``X-Total-Count`` and the neighbouring pages in ``Link``. A call the caller may not read (a
draft of another organization) is answered 404, as a private repository is. Inconsistent
content (milestones that do not add up, dates out of order) is 422; a state change out of
order is 409, with the states the call may move to in the message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Principal, may_manage_call
from nbopen.accounts.services import user_get
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.core.limits import loads as safe_json
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.orgs.services import org_get
from nbopen.programs import matching, reviews, selectors, services
from nbopen.programs.errors import InvalidCall, InvalidTransition
from nbopen.programs.models import Application, Call

MAX_LIMIT = 50


def describe(call: Call, principal: Principal) -> dict[str, Any]:
    manager = may_manage_call(principal, call.organization)
    return {
        "id": call.pk,
        "organization": call.organization.name,
        "title": call.title,
        "description": call.description,
        "kpis": call.kpis,
        "deliverables": call.deliverables,
        "budget": {"total": call.budget, "milestones": call.milestones},
        "publish_date": _iso(call.publish_date),
        "deadline": _iso(call.deadline),
        "execution_start": _iso(call.execution_start),
        "execution_end": _iso(call.execution_end),
        "eligibility": call.eligibility,
        "tags": call.tags,
        "competition": call.competition.slug if call.competition_id else None,  # type: ignore[union-attr]
        "state": call.state,
        "next_states": services.allowed_next(call.state) if manager else [],
        "timeline": [
            {
                "from": t.from_state,
                "to": t.to_state,
                "actor": t.actor_name or None,
                "at": t.at.isoformat(),
                "note": t.note,
            }
            for t in call.transitions.all()
        ],
        "html_url": f"/calls/{call.pk}",
        "created_at": call.created_at.isoformat(),
    }


def describe_application(application: Application, principal: Principal) -> dict[str, Any]:
    return {
        "id": application.pk,
        "call": application.call_id,
        "applicant": {
            "type": "org" if application.applicant_org_id else "user",
            "name": application.applicant_name,
        },
        "proposal": application.proposal,
        "budget_plan": application.budget_plan,
        "evidence": selectors.evidence_names(principal, application),
        "status": application.status,
        "decision_reasons": application.decision_reasons,
        "decided_at": _iso(application.decided_at),
        "created_at": application.created_at.isoformat(),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _json(data: Any, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = safe_json(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("Request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InvalidInput("Request body must be a JSON object")
    return data


def _paged(
    request: HttpRequest, items: Sequence[Any], render: Callable[[Any], Any]
) -> JsonResponse:
    """One page of ``items`` as Gitea answers a list (array + X-Total-Count + Link)."""
    try:
        page = int(request.GET.get("page") or 1)
        limit = int(request.GET.get("limit") or request.GET.get("per_page") or 20)
    except ValueError:
        raise InvalidInput("page and limit must be integers") from None
    if page < 1 or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"page must be at least 1 and limit between 1 and {MAX_LIMIT}")
    total = len(items)
    start = (page - 1) * limit
    response = _json([render(x) for x in items[start : start + limit]])
    response["X-Total-Count"] = str(total)
    links = []
    base = request.path
    if start + limit < total:
        links.append(f'<{base}?page={page + 1}&limit={limit}>; rel="next"')
    if page > 1:
        links.append(f'<{base}?page={page - 1}&limit={limit}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    return response


ApiView = Callable[..., HttpResponse]


def api_view(view: ApiView) -> ApiView:
    """The caller's principal in, domain errors out as this API's statuses."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        principal = principal_from_request(request)
        if request.method not in ("GET", "HEAD") and not principal.is_authenticated:
            return api_error(401, "You must be authenticated to do this")
        try:
            return view(request, principal, *args, **kwargs)
        except InvalidCall as exc:
            return api_error(422, str(exc), code=exc.code)
        except InvalidTransition as exc:
            return api_error(409, str(exc), code=exc.code)
        except DomainError as exc:
            return domain_error(exc)

    return wrapper


@api_view
def call_list(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Open calls the caller may read (GET; ``state``, ``organization``), or create one (POST).

    Creation takes ``{"organization", "title", "description", "tags", "budget", "deadline",
    …}``, where ``budget`` is a number or ``{"total", "milestones": [{"name", "amount",
    "due"}]}``; the call starts in ``draft``."""
    if request.method == "POST":
        data = _body(request)
        org_name = data.pop("organization", None)
        if not isinstance(org_name, str):
            raise InvalidCall("organization must be the name of an organization")
        call = services.call_create(
            actor=principal,
            organization=org_get(org_name),
            title=data.pop("title", None),  # validated by the service
            details=data,
        )
        return _json(describe(call, principal), status=201)
    calls = selectors.visible_calls(principal)
    if state := request.GET.get("state"):
        calls = calls.filter(state=state)
    if org := request.GET.get("organization"):
        calls = calls.filter(organization__name__iexact=org)
    return _paged(
        request, list(calls.prefetch_related("transitions")), lambda c: describe(c, principal)
    )


@api_view
def call_detail(request: HttpRequest, principal: Principal, call_id: int) -> HttpResponse:
    """A call with its public timeline (GET), or change its content (PATCH)."""
    call = selectors.call_get(principal, call_id)
    if request.method == "PATCH":
        call = services.call_update(actor=principal, call=call, changes=_body(request))
    return _json(describe(call, principal))


@api_view
def call_transition(request: HttpRequest, principal: Principal, call_id: int) -> HttpResponse:
    """Move a call to its next state (``{"to": state, "note"}``), recorded on its timeline.

    review → published (or back to draft) needs an operator; the other steps an admin of the
    issuing organization."""
    call = selectors.call_get(principal, call_id)
    data = _body(request)
    to, note = data.get("to"), data.get("note", "")
    if not isinstance(to, str) or not isinstance(note, str):
        raise InvalidInput("to must be a state and note a string")
    call = services.call_transition(actor=principal, call=call, to=to, note=note)
    return _json(describe(call, principal))


@api_view
def call_applications(request: HttpRequest, principal: Principal, call_id: int) -> HttpResponse:
    """Applications to a call the caller may read (GET), or apply (POST ``{"proposal",
    "budget_plan", "evidence": ["owner/repo"], "organization"}``)."""
    call = selectors.call_get(principal, call_id)
    if request.method == "POST":
        data = _body(request)
        org_name = data.get("organization")
        proposal = data.get("proposal")
        application = services.application_create(
            actor=principal,
            call=call,
            proposal=proposal if isinstance(proposal, str) else "",
            organization=org_get(org_name) if isinstance(org_name, str) and org_name else None,
            budget_plan=data.get("budget_plan"),
            evidence=data.get("evidence"),
        )
        return _json(describe_application(application, principal), status=201)
    found = selectors.visible_applications(principal, call)
    return _paged(request, found, lambda a: describe_application(a, principal))


@api_view
def application_decision(
    request: HttpRequest, principal: Principal, call_id: int, application_id: int
) -> HttpResponse:
    """The issuing organization's decision on an application (``{"status", "reasons"}``,
    status shortlisted, accepted or rejected)."""
    call = selectors.call_get(principal, call_id)
    application = selectors.application_get(principal, call, application_id)
    data = _body(request)
    status, reasons = data.get("status"), data.get("reasons", "")
    if not isinstance(status, str) or not isinstance(reasons, str):
        raise InvalidInput("status and reasons must be strings")
    decided = services.application_decide(
        actor=principal, application=application, status=status, reasons=reasons
    )
    return _json(describe_application(decided, principal))


@api_view
def call_matches(request: HttpRequest, principal: Principal, call_id: int) -> HttpResponse:
    """Organizations and users most likely to solve the call, best first, each with reasons
    (shared keywords and tags, the nearest repository). For the issuing organization's
    admins and operators; evidence comes only from repositories the caller may read."""
    call = selectors.call_get(principal, call_id)
    if not may_manage_call(principal, call.organization):
        return api_error(403, f"Matches are for the admins of {call.organization.name}")
    found = matching.call_matches(principal, call, limit=MAX_LIMIT)
    return _paged(request, found, lambda m: m.as_json())


@api_view
def user_matched_calls(request: HttpRequest, principal: Principal, name: str) -> HttpResponse:
    """Open calls that fit a user's profile and repositories, best first, with reasons."""
    try:
        user = user_get(name)
    except NotFound:
        return api_error(404, "User not found")
    found = matching.user_matched_calls(principal, user, limit=MAX_LIMIT)

    def render(m: matching.Match) -> dict[str, Any]:
        assert m.call is not None
        return {
            "call": {
                "id": m.call.pk,
                "title": m.call.title,
                "organization": m.call.organization.name,
            },
            "score": m.score,
            "reasons": m.reasons,
        }

    return _paged(request, found, render)


# --- review panels ------------------------------------------------------------------------


def describe_panel(call: Call, principal: Principal) -> dict[str, Any]:
    """The scoring form is public with the call; who reviews is the organization's business
    until it publishes the reviews."""
    manager = may_manage_call(principal, call.organization)
    out: dict[str, Any] = {
        "criteria": call.review_criteria,
        "published": call.reviews_published,
        "reviewers": None,
    }
    if manager or call.reviews_published:
        out["reviewers"] = [
            r.user.username
            for r in call.reviewers.select_related("user").order_by("user__username")
        ]
    if manager:
        apps = list(call.applications.select_related("applicant_user", "applicant_org"))
        out["conflicts"] = [
            {
                "reviewer": r.user.username,
                "application": a.pk,
                "reasons": reviews.conflicts_for_reader(principal, found),
            }
            for r in call.reviewers.select_related("user").order_by("user__username")
            for a in apps
            if (found := reviews.conflicts_of(r.user, a))
        ]
    return out


def describe_review(review: Any) -> dict[str, Any]:
    return {
        "id": review.pk,
        "application": review.application_id,
        "reviewer": review.reviewer.username,
        "scores": review.scores,
        "total": review.total,
        "comment": review.comment,
        "submitted_at": review.updated_at.isoformat(),
    }


@api_view
def call_panel(request: HttpRequest, principal: Principal, call_id: int) -> HttpResponse:
    """The call's review panel (GET): scoring form, publication, and for the organization's
    admins the reviewers and their conflicts; PATCH ``{"criteria": [{"name", "weight"}],
    "published": bool}`` changes it."""
    call = selectors.call_get(principal, call_id)
    if request.method == "PATCH":
        data = _body(request)
        unknown = set(data) - {"criteria", "published"}
        if unknown:
            raise InvalidCall(f"Unknown fields: {', '.join(sorted(unknown))}")
        call = reviews.panel_configure(
            actor=principal,
            call=call,
            criteria=data.get("criteria"),
            published=data.get("published"),
        )
    return _json(describe_panel(call, principal))


@api_view
def call_panel_reviewer(
    request: HttpRequest, principal: Principal, call_id: int, username: str
) -> HttpResponse:
    """Name a reviewer (PUT) or remove one (DELETE), as Gitea's collaborators: 204."""
    call = selectors.call_get(principal, call_id)
    try:
        user = user_get(username)
    except NotFound:
        return api_error(404, "User not found")
    if request.method == "PUT":
        reviews.reviewer_add(actor=principal, call=call, user=user)
    else:
        reviews.reviewer_remove(actor=principal, call=call, user=user)
    return HttpResponse(status=204)


@api_view
def application_detail(
    request: HttpRequest, principal: Principal, call_id: int, application_id: int
) -> HttpResponse:
    """One application; 404 for anyone who may not read it, a conflicted reviewer included."""
    call = selectors.call_get(principal, call_id)
    application = selectors.application_get(principal, call, application_id)
    return _json(describe_application(application, principal))


@api_view
def application_reviews(
    request: HttpRequest, principal: Principal, call_id: int, application_id: int
) -> HttpResponse:
    """Reviews of an application the caller may read (GET: all for the organization's admins,
    a reviewer's own, everyone's to the applicant only once published), or fill the caller's
    scoring form (POST ``{"scores": {criterion: 1..5}, "comment"}``, 201; again to revise it)."""
    call = selectors.call_get(principal, call_id)
    application = selectors.application_get(principal, call, application_id)
    if request.method == "POST":
        data = _body(request)
        review = reviews.review_submit(
            actor=principal,
            application=application,
            scores=data.get("scores"),
            comment=data.get("comment", ""),
        )
        return _json(describe_review(review), status=201)
    return _paged(request, reviews.visible_reviews(principal, application), describe_review)


@api_view
def application_conflict(
    request: HttpRequest, principal: Principal, call_id: int, application_id: int
) -> HttpResponse:
    """A reviewer declares a conflict of interest (``{"reason"}``): 204, and the application
    disappears from their view."""
    call = selectors.call_get(principal, call_id)
    application = selectors.application_get(principal, call, application_id)
    reason = _body(request).get("reason", "")
    if not isinstance(reason, str):
        raise InvalidInput("reason must be a string")
    reviews.conflict_declare(actor=principal, application=application, reason=reason)
    return HttpResponse(status=204)


@api_view
def milestone_payment(
    request: HttpRequest, principal: Principal, call_id: int, number: int
) -> HttpResponse:
    """Record the payment of milestone ``number`` (1-based) of a contracted call."""
    call = selectors.call_get(principal, call_id)
    return _json(
        describe(services.milestone_pay(actor=principal, call=call, number=number), principal)
    )
