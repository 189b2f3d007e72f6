"""``/{owner}``: a user's profile or an organization's page, and the new-organization form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from nbopen.access.policy import Level, Principal, may_read_audit, org_level, visible_repositories
from nbopen.accounts.models import Namespace, User
from nbopen.challenges import results as competition_results
from nbopen.collab import contributions, feeds, follows
from nbopen.core.errors import DomainError, NotFound
from nbopen.orgs.models import Membership, Organization
from nbopen.orgs.services import org_create
from nbopen.orgs.teams import teams_of
from nbopen.repos.services import namespace_get
from nbopen.scanning import services as scanning
from nbopen.web.contrib_calendar import calendar_svg
from nbopen.web.forms import OrgForm
from nbopen.web.messages import explain
from nbopen.web.templatetags.nbopen_web import ROLE_LABELS
from nbopen.web.views.base import page, principal

FEED_SIZE = 20
ORG_REPOS_SHOWN = 30


def follow_context(who: Principal, ns: Namespace) -> dict[str, object]:
    """Follower/following counts and the viewer's follow state, for the profile header."""
    me = who.user.pk if who.is_authenticated and who.user else None
    return {
        "followers": follows.follower_count(ns),
        "following_count": follows.following_count(ns.user_id) if ns.user_id else 0,
        "is_following": follows.is_following(user_id=me, target=ns),
        "can_follow": me is not None and me != ns.user_id,
        "recent_followers": list(follows.followers(ns)[:12]),
    }


PEOPLE_LIST = 100


def people_tab(request: HttpRequest, ns: Namespace) -> dict[str, object]:
    """``?tab=followers`` / ``?tab=following``: the full lists (first hundred) on the profile."""
    tab = request.GET.get("tab", "")
    if tab == "followers":
        people = [(u.username, "user") for u in follows.followers(ns)[:PEOPLE_LIST]]
    elif tab == "following" and ns.user_id is not None:
        people = [(t.name, t.kind) for t in follows.following(ns.user_id)[:PEOPLE_LIST]]
    else:
        return {"tab": ""}
    return {"tab": tab, "people": people}


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
    cal = contributions.calendar(who, user.pk)
    memberships = Membership.objects.filter(user=user).select_related("organization")
    org_repos = contributions.organization_repositories(who, user.pk).order_by("-updated_at")
    kind = request.GET.get("type", "")
    if kind in {"code", "model", "dataset"}:
        org_repos = org_repos.filter(type=kind)
    return page(
        request,
        "web/user.html",
        {
            "profile": user,
            "ns": ns,
            "repos": _repos_of(who, ns, request),
            "org_repos": list(org_repos[:ORG_REPOS_SHOWN]),
            "org_repo_count": org_repos.count(),
            "pinned": contributions.pinned(who, list(user.pinned_repository_ids or [])),
            "calendar": calendar_svg(cal),
            "calendar_total": cal.total,
            "competition_results": competition_results.results_of(user, who),
            "orgs": [m.organization for m in memberships],
            "events": feeds.page_of(feeds.user_feed(who, user.pk), per_page=FEED_SIZE),
            "is_self": who.user is not None and who.user.pk == user.pk,
            "block_secrets": scanning.blocks_secrets(ns),
            "follow": follow_context(who, ns),
            "following": list(follows.following(user.pk)[:12]),
            **people_tab(request, ns),
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
            "block_secrets": scanning.blocks_secrets(ns),
            "may_audit": may_read_audit(who, org),
            "roles": list(ROLE_LABELS.items()),
            # Teams are internal: members see them, outsiders do not.
            "teams": teams_of(org) if my_role is not None or who.is_site_admin else None,
            "events": feeds.page_of(feeds.org_feed(who, org.pk), per_page=FEED_SIZE),
            "follow": follow_context(who, ns),
            **people_tab(request, ns),
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
