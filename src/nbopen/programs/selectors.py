"""Reads of calls and applications, with the policy's visibility applied in one place."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import (
    Principal,
    is_operator,
    may_read_application,
    may_read_call,
    readable_among,
)
from nbopen.core.errors import NotFound
from nbopen.orgs.models import Membership
from nbopen.programs import reviews
from nbopen.programs.models import Application, Call
from nbopen.programs.services import PUBLIC_STATES
from nbopen.repos.models import Repository


def visible_calls(principal: Principal) -> QuerySet[Call]:
    """Calls the principal may read: every public one, plus drafts and calls in review of
    their own organizations (all of them for operators); see ``policy.may_read_call``."""
    qs = Call.objects.select_related("organization").order_by("-created_at", "-id")
    if is_operator(principal) or principal.is_site_admin:
        return qs
    mine = list(principal.org_roles()) if principal.is_authenticated else []
    return qs.filter(Q(state__in=PUBLIC_STATES) | Q(organization_id__in=mine))


def call_get(principal: Principal, call_id: int) -> Call:
    """The call, or NotFound when it does not exist or the principal may not know it does."""
    call = Call.objects.select_related("organization").filter(pk=call_id).first()
    if call is None or not may_read_call(
        principal, call.organization, public=call.state in PUBLIC_STATES
    ):
        raise NotFound(gettext_noop("Call not found"))
    return call


def may_read(
    principal: Principal,
    application: Application,
    *,
    reviewer: bool | None = None,
    conflicted: set[int] | None = None,
) -> bool:
    """Whether ``principal`` may know ``application`` exists; ``reviewer`` and
    ``conflicted`` may be passed in when reading many applications of one call."""
    call = application.call
    if reviewer is None:
        reviewer = reviews.is_reviewer(principal, call)
    if conflicted is None:
        conflicted = reviews.conflicted_ids(principal, call, [application]) if reviewer else set()
    return may_read_application(
        principal,
        call.organization,
        applicant_user_id=application.applicant_user_id,
        applicant_org_id=application.applicant_org_id,
        reviewer=reviewer,
        conflicted=application.pk in conflicted,
    )


def visible_applications(principal: Principal, call: Call) -> list[Application]:
    """The applications to ``call`` that ``principal`` may read (all of them for the
    issuing organization's admins and operators, their own for applicants, those without a
    conflict of interest for reviewers)."""
    rows = list(
        call.applications.select_related(
            "applicant_user", "applicant_org", "call__organization", "decided_by"
        ).order_by("created_at", "id")
    )
    reviewer = reviews.is_reviewer(principal, call)
    conflicted = reviews.conflicted_ids(principal, call, rows) if reviewer else set()
    return [a for a in rows if may_read(principal, a, reviewer=reviewer, conflicted=conflicted)]


def application_get(principal: Principal, call: Call, application_id: int) -> Application:
    """One application of ``call``, or NotFound when it does not exist, belongs to another
    call, or the principal may not read it (a conflicted reviewer included)."""
    application = (
        call.applications.select_related("applicant_user", "applicant_org", "call__organization")
        .filter(pk=application_id)
        .first()
    )
    if application is None or not may_read(principal, application):
        raise NotFound(gettext_noop("Application not found"))
    return application


def evidence_names(principal: Principal, application: Application) -> list[str]:
    """The application's evidence repositories that ``principal`` may read: a private
    repository an applicant linked stays invisible to readers who cannot open it."""
    readable = readable_among(principal, [int(i) for i in application.evidence])
    repos = Repository.objects.select_related("owner").filter(pk__in=readable)
    by_id = {r.pk: r.full_name for r in repos}
    return [by_id[i] for i in application.evidence if i in by_id]


def is_org_admin(principal: Principal, call: Call) -> bool:
    role = principal.org_roles().get(call.organization_id) if principal.is_authenticated else None
    return role in (Membership.Role.OWNER, Membership.Role.ADMIN)
