"""Writes of the incubator: the one path the pages and the API call.

Who may do what is decided here (with ``access.policy``): anyone signed in who may write to
every listed repository applies (as an admin when an organization is named); operators accept
or decline an application and name the mentors, open and close the graduation or retirement
ballot; mentors and operators vote and override maturity items; the applicant, mentors and
writers of the project's repositories file the quarterly reports. Every state change is a
:class:`ProjectTransition` and an event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, is_operator, org_level, repo_level
from nbopen.accounts.models import User
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, PermissionDenied
from nbopen.incubator.errors import InvalidStep
from nbopen.incubator.maturity import ITEMS, MET, NOT_MET, UNKNOWN
from nbopen.incubator.models import Ballot, ItemOverride, Project, ProjectTransition, Report, Vote
from nbopen.orgs.models import Organization, Team, TeamRepository
from nbopen.repos.models import Repository

S = Project.State
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
PERIOD = re.compile(r"^(20[0-9]{2})-Q([1-4])$")
PUBLIC_STATES = frozenset({S.INCUBATING.value, S.GRADUATED.value, S.RETIRED.value})
MIN_YES = 3


def _text(*values: str) -> None:
    """Text a database cannot store (NUL) is refused as bad input, not a server error."""
    if any("\x00" in v for v in values if isinstance(v, str)):
        raise InvalidInput(gettext_noop("Text may not contain NUL characters"))


def _actor(principal: Principal) -> User:
    if not principal.is_authenticated or principal.user is None or principal.scope == "read":
        raise PermissionDenied(gettext_noop("You must be signed in with write access to do this"))
    return principal.user


def _step(project: Project, to: str, actor: User, note: str = "") -> None:
    ProjectTransition.objects.create(
        project=project,
        from_state=project.state,
        to_state=to,
        actor_name=actor.username,
        note=note[:2000],
    )
    project.state = to
    events.record(
        "incubator.transition",
        actor=actor,
        organization_id=project.organization_id,
        payload={"project": project.slug, "to": to},
    )


def is_mentor(principal: Principal, project: Project) -> bool:
    return principal.is_authenticated and project.mentors.filter(pk=principal.user.pk).exists()  # type: ignore[union-attr]


def may_report(principal: Principal, project: Project) -> bool:
    """The people who speak for the project: applicant, mentors, writers of its repositories."""
    if not principal.is_authenticated or principal.scope == "read" or principal.user is None:
        return False
    if is_operator(principal) or is_mentor(principal, project):
        return True
    if project.applicant_id == principal.user.pk:
        return True
    return any(repo_level(principal, r) >= Level.WRITE for r in project_repositories(project))


def project_repositories(project: Project) -> QuerySet[Repository]:
    """Every repository the project stands for: those listed, the team's (a group), and all
    of the organization's when the project is the whole organization. Unfiltered: readers see
    them through ``selectors.readable_repositories``."""
    where = Q(pk__in=project.repositories.values("pk"))
    if project.team_id is not None:
        where |= Q(
            pk__in=TeamRepository.objects.filter(team_id=project.team_id).values("repository_id")
        )
    if project.whole_organization and project.organization_id is not None:
        where |= Q(owner__organization_id=project.organization_id)
    return Repository.objects.select_related("owner").filter(where)


@transaction.atomic
def project_apply(
    *,
    actor: Principal,
    slug: str,
    name: str,
    description: str,
    repositories: Sequence[Repository],
    organization: Organization | None = None,
    whole_organization: bool = False,
    team: Team | None = None,
) -> Project:
    """Apply for incubation. The applicant must be able to write to every repository (and be
    an admin of ``organization`` when one is named): a project cannot be entered by others.
    ``whole_organization`` makes the project every repository of ``organization``; ``team``
    (a group) adds the repositories granted to that team, and names its organization."""
    user = _actor(actor)
    _text(slug, name, description)
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise InvalidInput(
            gettext_noop("The short name must be 3–64 lower-case letters, digits or hyphens")
        )
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput(gettext_noop("The project needs a name of at most 200 characters"))
    if team is not None:
        if organization is not None and organization.pk != team.organization_id:
            raise InvalidInput(gettext_noop("The team belongs to another organization"))
        organization = team.organization
    if whole_organization and organization is None:
        raise InvalidInput(gettext_noop("Name the organization the project is"))
    if not repositories and team is None and not whole_organization:
        raise InvalidInput(gettext_noop("Name at least one repository"))
    for repo in repositories:
        if repo_level(actor, repo) < Level.WRITE:
            raise PermissionDenied(
                gettext_noop("You need write access to %(repo)s"), repo=repo.full_name
            )
    if organization is not None and org_level(actor, organization) < Level.ADMIN:
        raise PermissionDenied(
            gettext_noop("You must be an admin of %(org)s"), org=organization.name
        )
    if Project.objects.filter(slug=slug).exists():
        raise AlreadyExists(gettext_noop("A project named %(slug)s already exists"), slug=slug)
    project = Project.objects.create(
        slug=slug,
        name=name,
        description=description or "",
        organization=organization,
        applicant=user,
        whole_organization=whole_organization,
        team=team,
    )
    project.repositories.set(repositories)
    ProjectTransition.objects.create(project=project, to_state=S.APPLIED, actor_name=user.username)
    events.record(
        "incubator.apply",
        actor=user,
        organization_id=organization.pk if organization else None,
        payload={"project": slug},
    )
    return project


@transaction.atomic
def project_accept(
    *, actor: Principal, project: Project, mentors: Sequence[User], note: str = ""
) -> Project:
    """An operator accepts an application and names its mentors (at least one)."""
    user = _actor(actor)
    _text(note)
    if not is_operator(actor):
        raise PermissionDenied(gettext_noop("Only operators accept projects into incubation"))
    if project.state != S.APPLIED:
        raise InvalidStep(gettext_noop("Only an application can be accepted"))
    if not mentors:
        raise InvalidInput(gettext_noop("Name at least one mentor"))
    project.mentors.set(mentors)
    project.accepted_at = timezone.now()
    _step(project, S.INCUBATING, user, note)
    project.save(update_fields=["state", "accepted_at"])
    return project


@transaction.atomic
def project_decline(*, actor: Principal, project: Project, note: str = "") -> Project:
    user = _actor(actor)
    _text(note)
    if not is_operator(actor):
        raise PermissionDenied(gettext_noop("Only operators accept projects into incubation"))
    if project.state != S.APPLIED:
        raise InvalidStep(gettext_noop("Only an application can be declined"))
    _step(project, S.REJECTED, user, note)
    project.save(update_fields=["state"])
    return project


def report_file(*, actor: Principal, project: Project, period: str, body: str) -> Report:
    """File (or replace) the report for a quarter, ``YYYY-QN``."""
    user = _actor(actor)
    _text(period, body)
    if not may_report(actor, project):
        raise PermissionDenied(gettext_noop("Only the project's people file its reports"))
    if project.state != S.INCUBATING:
        raise InvalidStep(gettext_noop("Only an incubating project files reports"))
    if not PERIOD.match(period or ""):
        raise InvalidInput(gettext_noop("The period must look like 2026-Q4"))
    if not (body or "").strip():
        raise InvalidInput(gettext_noop("The report is empty"))
    report, _ = Report.objects.update_or_create(
        project=project, period=period, defaults={"body": body, "author": user}
    )
    return report


def item_override(
    *, actor: Principal, project: Project, item: str, status: str, note: str
) -> ItemOverride | None:
    """A mentor marks a maturity item; status ``measured`` removes the override again."""
    user = _actor(actor)
    _text(note)
    if not (is_mentor(actor, project) or is_operator(actor)):
        raise PermissionDenied(gettext_noop("Only the project's mentors mark maturity items"))
    item = (item or "").upper()
    if item not in ITEMS:
        raise InvalidInput(gettext_noop("No maturity item %(item)s"), item=item)
    if status == "measured":
        ItemOverride.objects.filter(project=project, item=item).delete()
        return None
    if status not in (MET, NOT_MET, UNKNOWN):
        raise InvalidInput(gettext_noop("The status must be met, not_met, unknown or measured"))
    if not (note or "").strip():
        raise InvalidInput(gettext_noop("Say why in a note"))
    row, _ = ItemOverride.objects.update_or_create(
        project=project,
        item=item,
        defaults={"status": status, "note": note.strip(), "mentor_name": user.username},
    )
    return row


def ballot_open(*, actor: Principal, project: Project, kind: str) -> Ballot:
    """An operator opens the vote on graduating or retiring an incubating project."""
    user = _actor(actor)
    if not is_operator(actor):
        raise PermissionDenied(gettext_noop("Only operators open a vote"))
    if kind not in Ballot.Kind.values:
        raise InvalidInput(gettext_noop("The vote is on graduate or retire"))
    if project.state != S.INCUBATING:
        raise InvalidStep(gettext_noop("Only an incubating project is voted on"))
    if project.ballots.filter(result=Ballot.Result.OPEN).exists():
        raise InvalidStep(gettext_noop("A vote is already open"))
    return Ballot.objects.create(project=project, kind=kind, opened_by=user.username)


def vote_cast(*, actor: Principal, ballot: Ballot, value: int, note: str = "") -> Vote:
    """A binding vote: the project's mentors and the operators; a second vote replaces the
    first, so each voter counts once."""
    user = _actor(actor)
    _text(note)
    if not (is_mentor(actor, ballot.project) or is_operator(actor)):
        raise PermissionDenied(gettext_noop("Only mentors and operators vote"))
    if ballot.result != Ballot.Result.OPEN:
        raise InvalidStep(gettext_noop("This vote is closed"))
    if isinstance(value, bool) or value not in (-1, 0, 1):
        raise InvalidInput(gettext_noop("A vote is +1, 0 or -1"))
    row, _ = Vote.objects.update_or_create(
        ballot=ballot, voter=user, defaults={"value": value, "note": (note or "")[:2000]}
    )
    return row


def required_yes(project: Project) -> int:
    """Apache's rule adapted to a small incubator: at least three +1 votes, or every mentor
    plus one operator when a project has fewer than two mentors."""
    return min(MIN_YES, project.mentors.count() + 1)


@transaction.atomic
def ballot_close(*, actor: Principal, ballot: Ballot) -> Ballot:
    """Count the votes: the ballot passes with enough +1 votes and more +1 than -1; a passed
    ballot graduates or retires the project, recorded with the tally."""
    user = _actor(actor)
    if not is_operator(actor):
        raise PermissionDenied(gettext_noop("Only operators close a vote"))
    if ballot.result != Ballot.Result.OPEN:
        raise InvalidStep(gettext_noop("This vote is closed"))
    values = list(ballot.votes.values_list("value", flat=True))
    ballot.yes = values.count(1)
    ballot.no = values.count(-1)
    ballot.abstain = values.count(0)
    project = ballot.project
    passed = ballot.yes >= required_yes(project) and ballot.yes > ballot.no
    ballot.result = Ballot.Result.PASSED if passed else Ballot.Result.FAILED
    ballot.closed_at = timezone.now()
    ballot.save()
    if passed:
        to = S.GRADUATED if ballot.kind == Ballot.Kind.GRADUATE else S.RETIRED
        _step(project, to, user, f"+1 {ballot.yes} · 0 {ballot.abstain} · -1 {ballot.no}")
        project.save(update_fields=["state"])
    return ballot
