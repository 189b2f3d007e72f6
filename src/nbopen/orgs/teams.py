"""Teams: named groups of an organization's members, given roles on its repositories.

Only organization admins (and site admins) manage teams. A team member must be a member of
the organization (as on GitHub), so leaving the organization also ends every team grant:
:func:`nbopen.orgs.services.member_remove` removes the user from the organization's teams.
A team can only be granted repositories its own organization owns.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from nbopen.access.policy import Level, Principal, org_level
from nbopen.access.roles import normalize_role
from nbopen.accounts.models import User
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.names import validate_owner_name
from nbopen.orgs.models import Membership, Organization, Team, TeamMember, TeamRepository
from nbopen.repos.models import Repository


def _require_admin(actor: Principal, org: Organization) -> None:
    if org_level(actor, org) < Level.ADMIN:
        raise PermissionDenied(f"You need to be an admin of {org.name} to manage its teams")


def teams_of(org: Organization) -> QuerySet[Team]:
    return Team.objects.filter(organization=org).order_by("name_lower")


def team_get(org: Organization, name: str) -> Team:
    team = Team.objects.filter(organization=org, name_lower=name.lower()).first()
    if team is None:
        raise NotFound(f"No team {name!r} in {org.name}")
    return team


def _record(kind: str, actor: Principal, org: Organization, **payload: object) -> None:
    events.record(kind, actor=actor.user, organization_id=org.pk, payload=payload)


@transaction.atomic
def team_create(*, actor: Principal, org: Organization, name: str, description: str = "") -> Team:
    _require_admin(actor, org)
    validate_owner_name(name)  # the same shape as user and organization names
    if "\x00" in description:
        raise InvalidInput("The description may not contain NUL characters")
    try:
        with transaction.atomic():
            team = Team.objects.create(
                organization=org, name=name, name_lower=name.lower(), description=description
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"Team {name!r} already exists in {org.name}") from exc
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
        raise InvalidInput(f"{user.username} must be a member of {org.name} to join a team")
    member, _ = TeamMember.objects.get_or_create(team=team, user=user)
    _record("org.team_member_add", actor, org, team=team.name, user=user.username)
    return member


@transaction.atomic
def team_member_remove(*, actor: Principal, team: Team, user: User) -> None:
    _require_admin(actor, team.organization)
    deleted, _ = TeamMember.objects.filter(team=team, user=user).delete()
    if not deleted:
        raise NotFound(f"{user.username} is not in team {team.name}")
    _record("org.team_member_remove", actor, team.organization, team=team.name, user=user.username)


@transaction.atomic
def team_repo_set(*, actor: Principal, team: Team, repo: Repository, role: str) -> TeamRepository:
    org = team.organization
    _require_admin(actor, org)
    if repo.owner.organization_id != org.pk:
        raise InvalidInput(f"{repo.full_name} does not belong to {org.name}")
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
        raise NotFound(f"Team {team.name} has no role on {repo.full_name}")
    _record("org.team_repo_remove", actor, team.organization, team=team.name, repo=repo.full_name)
