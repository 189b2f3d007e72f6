"""``/{owner}``: a user's profile or an organization's page, and the new-organization form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from nbopen.access.policy import Level, Principal, org_level, visible_repositories
from nbopen.accounts.models import Namespace, User
from nbopen.core.errors import DomainError, NotFound
from nbopen.core.models import Event
from nbopen.orgs.models import Membership, Organization
from nbopen.orgs.services import org_create
from nbopen.orgs.teams import teams_of
from nbopen.repos.services import namespace_get
from nbopen.web.forms import OrgForm
from nbopen.web.messages import explain
from nbopen.web.templatetags.nbopen_web import ROLE_LABELS
from nbopen.web.views.base import page, principal

# Activity shown to others: never token or settings events, only things visible on the page.
PUBLIC_EVENT_KINDS = ("repo.create", "repo.push", "org.create")


def visible_events(who: Principal, **filters: object) -> list[Event]:
    """Events the caller may see: repository events only for repositories they can read."""
    visible_ids = visible_repositories(who).values("pk")
    return list(
        Event.objects.filter(kind__in=PUBLIC_EVENT_KINDS, **filters)
        .filter(Q(repository_id__isnull=True) | Q(repository_id__in=visible_ids))
        .order_by("-id")[:20]
    )


def owner(request: HttpRequest, owner: str) -> HttpResponse:
    try:
        ns = namespace_get(owner)
    except NotFound:
        raise Http404("no such owner") from None
    if ns.kind == Namespace.Kind.ORGANIZATION:
        return _organization(request, ns)
    return _user(request, ns)


def _repos_of(who: Principal, ns: Namespace, request: HttpRequest) -> object:
    repos = visible_repositories(who).filter(owner=ns).order_by("-updated_at")
    kind = request.GET.get("type", "")
    if kind in {"code", "model", "dataset"}:
        repos = repos.filter(type=kind)
    return repos


def _user(request: HttpRequest, ns: Namespace) -> HttpResponse:
    user = ns.user
    if user is None or not user.is_active:
        raise Http404("no such user")
    who = principal(request)
    memberships = Membership.objects.filter(user=user).select_related("organization")
    return page(
        request,
        "web/user.html",
        {
            "profile": user,
            "ns": ns,
            "repos": _repos_of(who, ns, request),
            "orgs": [m.organization for m in memberships],
            "events": visible_events(who, actor_id=user.pk),
            "is_self": who.user is not None and who.user.pk == user.pk,
        },
    )


def _organization(request: HttpRequest, ns: Namespace) -> HttpResponse:
    org = ns.organization
    assert org is not None
    who = principal(request)
    members = Membership.objects.filter(organization=org).select_related("user").order_by("role")
    my_role = who.org_roles().get(org.pk)
    return page(
        request,
        "web/org.html",
        {
            "org": org,
            "ns": ns,
            "repos": _repos_of(who, ns, request),
            "members": members,
            "my_role": my_role,
            "is_admin": org_level(who, org) >= Level.ADMIN,
            "roles": list(ROLE_LABELS.items()),
            "events": visible_events(who, organization_id=org.pk),
            # Teams are internal: members see them, outsiders do not.
            "teams": teams_of(org) if my_role is not None or who.is_site_admin else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_new(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = OrgForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org: Organization = org_create(
                name=data["name"],
                kind=data["kind"],
                owner=request.user,
                display_name=data["display_name"],
                region=data["region"],
                description=data["description"],
            )
        except DomainError as exc:
            error = explain(exc)
        else:
            return redirect(f"/{org.name}")
    return page(request, "web/org_new.html", {"form": form, "error": error})
