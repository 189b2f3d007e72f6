"""``/api/v1/orgs/{org}/audit`` and ``/api/v1/admin/audit``: the audit log as JSON.

An organization's owners read its entries, operators every entry
(:func:`nbopen.access.policy.may_read_audit`); anyone else gets 404 for an organization (its
log is not confirmed to exist) and 403 for the whole log. Filters: ``actor``, ``action``
(exact, or a prefix ending in ``.``), ``repo``, ``since``, ``until`` (ISO dates or
date-times); ``limit`` (at most 500) and ``before`` (an entry id) page backwards in time.
``format=csv`` answers the same entries as CSV.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.credentials import principal_from_request
from nbopen.audit import selectors
from nbopen.core.errors import DomainError
from nbopen.hubapi.errors import api_error, domain_error

DEFAULT_LIMIT = 100


def _answer(request: HttpRequest, organization: str | None) -> HttpResponse:
    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return api_error(401, "You must be authenticated to read the audit log")
    try:
        filters = selectors.Filters.parse(request.GET)
        found = selectors.entries(principal, organization=organization, filters=filters)
    except DomainError as exc:
        return domain_error(exc)
    try:
        limit = int(request.GET.get("limit") or DEFAULT_LIMIT)
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        return api_error(400, "limit and before must be integers", "BadRequest")
    if not 1 <= limit <= selectors.MAX_PAGE:
        return api_error(400, f"limit must be between 1 and {selectors.MAX_PAGE}", "BadRequest")
    if before is not None:
        found = found.filter(pk__lt=before)
    page = list(found[:limit])
    if request.GET.get("format") == "csv":
        reply = HttpResponse(selectors.to_csv(page), content_type="text/csv; charset=utf-8")
        reply["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return reply
    return JsonResponse(
        {
            "entries": [selectors.as_json(e) for e in page],
            "next_before": page[-1].pk if len(page) == limit else None,
        }
    )


def org_audit(request: HttpRequest, org: str) -> HttpResponse:
    """An organization's audit log (its owners and operators)

    Sign-ins, permission and settings changes, deletions, refused accesses and admin
    actions on the organization and its repositories, newest first."""
    return _answer(request, org)


def admin_audit(request: HttpRequest) -> HttpResponse:
    """The whole audit log (operators)

    Every entry, including sign-ins, failed sign-ins and sampled refused requests, newest
    first."""
    return _answer(request, None)
