"""Teams: named groups of an organization's members, given roles on its repositories.

Only organization admins (and site admins) manage teams. A team member must be a member of
the organization (as on GitHub), so leaving the organization also ends every team grant:
:func:`nbopen.orgs.services.member_remove` removes the user from the organization's teams.
A team can only be granted repositories its own organization owns.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, org_level
from nbopen.access.roles import normalize_role
from nbopen.accounts.models import User
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.names import RESERVED_OWNER_NAMES, validate_owner_name
from nbopen.orgs.models import Membership, Organization, Team, TeamMember, TeamRepository
from nbopen.repos.models import Repository


def _require_admin(actor: Principal, org: Organization) -> None:
    if org_level(actor, org) < Level.ADMIN:
        raise PermissionDenied(
            gettext_noop("You need to be an admin of %(org)s to manage its teams"), org=org.name
        )


def teams_of(org: Organization) -> QuerySet[Team]:
    return Team.objects.filter(organization=org).order_by("name_lower")


def team_get(org: Organization, name: str) -> Team:
    team = Team.objects.filter(organization=org, name_lower=name.lower()).first()
    if team is None:
        raise NotFound(gettext_noop("No team '%(name)s' in %(org)s"), name=name, org=org.name)
    return team


def _record(kind: str, actor: Principal, org: Organization, **payload: object) -> None:
    events.record(kind, actor=actor.user, organization_id=org.pk, payload=payload)


def slug_for(org: Organization, display_name: str) -> str:
    """A free slug for a team known by ``display_name``: its ASCII letters and digits when it
    has some ("AI 实验室" → ``ai``), else ``team``, numbered when taken (``team-2``)."""
    words = re.findall(r"[A-Za-z0-9]+", display_name)
    base = "-".join(words).lower()[:80] or "team"
    taken = set(Team.objects.filter(organization=org).values_list("name_lower", flat=True))
    slug, n = base, 1
    while slug in taken or slug in RESERVED_OWNER_NAMES:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def team_create(
    *, actor: Principal, org: Organization, name: str, description: str = "", display_name: str = ""
) -> Team:
    """Create a team. ``name`` is the slug (the shape of owner names); ``display_name`` may be
    written in any language. An empty ``name`` with a display name gets a generated slug."""
    _require_admin(actor, org)
    display_name = display_name.strip()
    if len(display_name) > 96:
        raise InvalidInput(gettext_noop("The display name is longer than 96 characters"))
    if not name and display_name:
        name = slug_for(org, display_name)
    validate_owner_name(name)  # the same shape as user and organization names
    if "\x00" in description or "\x00" in display_name:
        raise InvalidInput(gettext_noop("The description may not contain NUL characters"))
    try:
        with transaction.atomic():
            team = Team.objects.create(
                organization=org,
                name=name,
                name_lower=name.lower(),
                display_name=display_name,
                description=description,
            )
    except IntegrityError as exc:
        raise AlreadyExists(
            gettext_noop("Team '%(name)s' already exists in %(org)s"), name=name, org=org.name
        ) from exc
    _record("org.team_create", actor, org, team=team.name)
    return team


@transaction.atomic
def team_delete(*, actor: Principal, team: Team) -> None:
    _require_admin(actor, team.organization)
    _record("org.team_delete", actor, team.organization, team=team.name)
    team.delete()


@transaction.atomic
def team_member_add(*, actor: Principal, team: Team, user: User) -> TeamMember:
    org = team.organization
    _require_admin(actor, org)
    if not Membership.objects.filter(organization=org, user=user).exists():
        raise InvalidInput(
            gettext_noop("%(user)s must be a member of %(org)s to join a team"),
            user=user.username,
            org=org.name,
        )
    member, _ = TeamMember.objects.get_or_create(team=team, user=user)
    _record("org.team_member_add", actor, org, team=team.name, user=user.username)
    return member


@transaction.atomic
def team_member_remove(*, actor: Principal, team: Team, user: User) -> None:
    _require_admin(actor, team.organization)
    deleted, _ = TeamMember.objects.filter(team=team, user=user).delete()
    if not deleted:
        raise NotFound(
            gettext_noop("%(user)s is not in team %(team)s"), user=user.username, team=team.name
        )
    _record("org.team_member_remove", actor, team.organization, team=team.name, user=user.username)


@transaction.atomic
def team_repo_set(*, actor: Principal, team: Team, repo: Repository, role: str) -> TeamRepository:
    org = team.organization
    _require_admin(actor, org)
    if repo.owner.organization_id != org.pk:
        raise InvalidInput(
            gettext_noop("%(repo)s does not belong to %(org)s"), repo=repo.full_name, org=org.name
        )
    role = normalize_role(role)
    grant, _ = TeamRepository.objects.update_or_create(
        team=team, repository=repo, defaults={"role": role}
    )
    _record("org.team_repo_set", actor, org, team=team.name, repo=repo.full_name, role=role)
    return grant


@transaction.atomic
def team_repo_remove(*, actor: Principal, team: Team, repo: Repository) -> None:
    _require_admin(actor, team.organization)
    deleted, _ = TeamRepository.objects.filter(team=team, repository=repo).delete()
    if not deleted:
        raise NotFound(
            gettext_noop("Team %(team)s has no role on %(repo)s"),
            team=team.name,
            repo=repo.full_name,
        )
    _record("org.team_repo_remove", actor, team.organization, team=team.name, repo=repo.full_name)
