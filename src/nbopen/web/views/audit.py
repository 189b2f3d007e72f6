"""The audit log pages: ``/{org}/settings/audit`` for an organization's owners,
``/admin/audit`` for operators. Filters and CSV export; who reads what is decided in
:mod:`nbopen.audit.selectors`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from nbopen.audit import selectors
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.web.denials import LoginRequired
from nbopen.web.views.base import page, principal

PAGE_ROWS = 200
CSV_ROWS = 50_000

ACTION_LABELS = {
    "user.login": _("Signed in"),
    "user.login_failed": _("Failed sign-in"),
    "user.login_throttled": _("Sign-in refused (too many failures)"),
    "user.password": _("Password changed"),
    "user.email": _("Email changed"),
    "user.create": _("Account created"),
    "token.create": _("Token created"),
    "token.revoke": _("Token revoked"),
    "ssh_key.add": _("SSH key added"),
    "ssh_key.delete": _("SSH key removed"),
    "deploy_key.add": _("Deploy key added"),
    "deploy_key.delete": _("Deploy key removed"),
    "token.new_ip": _("Token used from a new address"),
    "access.refused": _("Access refused"),
    "repo.delete": _("Repository deleted"),
    "repo.settings": _("Repository settings changed"),
    "repo.collaborator_set": _("Collaborator added or changed"),
    "repo.collaborator_remove": _("Collaborator removed"),
    "repo.branch.delete": _("Branch deleted"),
    "repo.tag.delete": _("Tag deleted"),
    "repo.file.delete": _("Files deleted"),
    "repo.access_request": _("Gated access request handled"),
    "org.create": _("Organization created"),
    "org.member_set": _("Member added or role changed"),
    "org.member_remove": _("Member removed"),
    "org.team_create": _("Team created"),
    "org.team_delete": _("Team deleted"),
    "org.team_member_add": _("Team member added"),
    "org.team_member_remove": _("Team member removed"),
    "org.team_repo_set": _("Team repository role set"),
    "org.team_repo_remove": _("Team repository removed"),
    "admin.user.create": _("Operator created a user"),
    "admin.org.create": _("Operator created an organization"),
    "admin.org.add-member": _("Operator added a member"),
    "admin.token.create": _("Operator created a token"),
}


def _audit(request: HttpRequest, organization: str | None) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    error = ""
    try:
        filters = selectors.Filters.parse(request.GET)
    except InvalidInput as exc:
        filters, error = selectors.Filters(), str(exc)
    try:
        found = selectors.entries(who, organization=organization, filters=filters)
    except NotFound:
        raise Http404("no such organization") from None
    except PermissionDenied as exc:
        raise Forbidden(str(exc)) from None
    if request.GET.get("format") == "csv":
        reply = HttpResponse(
            selectors.to_csv(found[:CSV_ROWS]), content_type="text/csv; charset=utf-8"
        )
        name = f"audit-{organization}.csv" if organization else "audit.csv"
        reply["Content-Disposition"] = f'attachment; filename="{name}"'
        return reply
    rows = [(entry, ACTION_LABELS.get(entry.action, entry.action)) for entry in found[:PAGE_ROWS]]
    query = filters.as_query()
    return page(
        request,
        "web/audit.html",
        {
            "organization": organization,
            "rows": rows,
            "filters": filters,
            "error": error,
            "csv_query": urlencode({**query, "format": "csv"}),
            "actions": sorted(ACTION_LABELS.items()),
            "page_rows": PAGE_ROWS,
        },
    )


@require_GET
def org_audit(request: HttpRequest, owner: str) -> HttpResponse:
    return _audit(request, owner)


@require_GET
def admin_audit(request: HttpRequest) -> HttpResponse:
    return _audit(request, None)
