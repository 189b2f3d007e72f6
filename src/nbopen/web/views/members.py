"""``/{org}/members``: organization admins add members, change roles and remove them."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nbopen.access.policy import Level, org_level
from nbopen.accounts.models import User
from nbopen.accounts.services import user_get
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.orgs.models import Organization
from nbopen.orgs.services import member_remove, member_set
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, principal


def find_user(username: str) -> User:
    """The user to add or remove; a name nobody has is answered with that name, in the
    reader's language (the page's message for InvalidInput is its text)."""
    try:
        return user_get(username)
    except NotFound:
        raise InvalidInput(
            _("There is no user named “%(user)s”. Check the spelling of the user name.")
            % {"user": username}
        ) from None


def _org_for_admin(request: HttpRequest, owner: str) -> Organization:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    org = Organization.objects.filter(name__iexact=owner).first()
    if org is None or org_level(who, org) < Level.ADMIN:
        raise Http404("no such organization")
    return org


@require_POST
def member_add(request: HttpRequest, owner: str) -> HttpResponse:
    org = _org_for_admin(request, owner)
    username = request.POST.get("username", "").strip()
    role = request.POST.get("role", "read")
    try:
        member_set(
            organization=org, user=find_user(username), role=role, actor=principal(request).user
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("%(user)s is now a member.") % {"user": username})
    return redirect(f"/{org.name}")


@require_POST
def member_delete(request: HttpRequest, owner: str) -> HttpResponse:
    org = _org_for_admin(request, owner)
    username = request.POST.get("username", "").strip()
    try:
        member_remove(organization=org, user=find_user(username), actor=principal(request).user)
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("%(user)s was removed.") % {"user": username})
    return redirect(f"/{org.name}")
