"""Teams of a competition: invite (the invited user accepts), join by code, leave, merge.

Rules (issue 15, item 6), each refused with a reason the user can act on:

* one team per person per competition (also a database constraint on ``TeamMember``);
* no team grows past the competition's ``max_team_size``;
* leaving is refused once the team has a submission that counts: a new team would start
  with a fresh quota, which is exactly what the merge rule exists to prevent;
* two teams merge only before the team-merge deadline (default: the end of the last phase)
  and only if, in every phase that has started, their submissions together (all but failed
  ones, as the quota counts them) are at most the daily quota × the quota days elapsed —
  Kaggle's rule, so that merging never buys more attempts than one team could have made.

The other team consents to a merge by its join code, which only its members see.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_get
from nbopen.challenges.models import (
    Competition,
    Participant,
    Submission,
    Team,
    TeamInvitation,
    TeamMember,
)
from nbopen.challenges.services import _day_start, effective_state, team_of
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied

OPEN_FOR_ENTRIES = (Competition.State.PUBLISHED, Competition.State.RUNNING)


def _require_writer(actor: Principal) -> None:
    if not actor.is_authenticated or actor.user is None or actor.scope == "read":
        raise PermissionDenied(gettext_noop("Sign in (with a write token) to manage teams"))


def _my_team(actor: Principal, competition: Competition) -> Team:
    _require_writer(actor)
    team = team_of(competition, actor.user)
    if team is None:
        raise InvalidInput(gettext_noop("You are not in a team of this competition"))
    return team


def _require_open(competition: Competition) -> None:
    if effective_state(competition) not in OPEN_FOR_ENTRIES:
        raise InvalidInput(gettext_noop("This competition is not open for entries"))


def invitations_of(actor: Principal, competition: Competition) -> list[TeamInvitation]:
    """The invitations ``actor`` has received in ``competition`` (newest first)."""
    if not actor.is_authenticated or actor.user is None:
        return []
    return list(
        TeamInvitation.objects.filter(team__competition=competition, user=actor.user)
        .select_related("team", "invited_by")
        .order_by("-created_at")
    )


@transaction.atomic
def invite(*, actor: Principal, competition: Competition, username: str) -> TeamInvitation:
    """A member invites ``username`` into their team; it counts once they accept."""
    team = _my_team(actor, competition)
    _require_open(competition)
    try:
        invitee = user_get(username.strip())
    except NotFound:
        raise NotFound(gettext_noop("No user named %(name)s"), name=username) from None
    if invitee.pk == getattr(actor.user, "pk", None):
        raise InvalidInput(gettext_noop("You are already in this team"))
    other = team_of(competition, invitee)
    if other is not None:
        raise AlreadyExists(
            gettext_noop("%(name)s is already in a team of this competition"), name=invitee.username
        )
    if team.members.count() >= competition.max_team_size:
        raise InvalidInput(gettext_noop("The team is full"))
    invitation, created = TeamInvitation.objects.get_or_create(
        team=team, user=invitee, defaults={"invited_by": actor.user}
    )
    if not created:
        raise AlreadyExists(gettext_noop("%(name)s is already invited"), name=invitee.username)
    return invitation


@transaction.atomic
def accept_invitation(*, actor: Principal, competition: Competition, team_name: str) -> Team:
    """The invited user accepts: they accept the competition's terms and enter the team."""
    _require_writer(actor)
    _require_open(competition)
    user = actor.user
    assert user is not None  # checked by _require_writer
    invitation = (
        TeamInvitation.objects.select_related("team")
        .filter(team__competition=competition, team__name=team_name, user=actor.user)
        .first()
    )
    if invitation is None:
        raise NotFound(gettext_noop("You have no invitation from this team"))
    team = Team.objects.select_for_update().get(pk=invitation.team_id)
    current = team_of(competition, actor.user)
    if current is not None:
        raise AlreadyExists(
            gettext_noop("You are already in team %(name)s; leave it first"), name=current.name
        )
    if team.members.count() >= competition.max_team_size:
        raise InvalidInput(gettext_noop("The team is full"))
    _participant, accepted_now = Participant.objects.get_or_create(
        competition=competition, user=actor.user
    )
    TeamMember.objects.create(competition=competition, team=team, user=user)
    TeamInvitation.objects.filter(team__competition=competition, user=user).delete()
    if accepted_now:
        events.record(
            "competition.join",
            actor=actor.user,
            organization_id=competition.organization_id,
            payload={"competition": competition.slug, "team": team.name},
        )
    return team


def decline_invitation(*, actor: Principal, competition: Competition, team_name: str) -> None:
    _require_writer(actor)
    deleted, _rows = TeamInvitation.objects.filter(
        team__competition=competition, team__name=team_name, user=actor.user
    ).delete()
    if not deleted:
        raise NotFound(gettext_noop("You have no invitation from this team"))


@transaction.atomic
def leave(*, actor: Principal, competition: Competition) -> None:
    """Leave one's team (it is deleted when it had no one else and no submission)."""
    team = _my_team(actor, competition)
    Team.objects.select_for_update().filter(pk=team.pk).first()
    counted = Submission.objects.filter(team=team).exclude(state=Submission.State.FAILED)
    if counted.exists():
        raise InvalidInput(
            gettext_noop(
                "You cannot leave a team that has submissions: a new team would start with a "
                "fresh quota"
            )
        )
    TeamMember.objects.filter(competition=competition, team=team, user=actor.user).delete()
    if not team.members.exists():
        team.delete()


def merge_deadline(competition: Competition) -> object:
    """The team-merge deadline: the host's, else the end of the last phase (may be None)."""
    if competition.team_merge_deadline is not None:
        return competition.team_merge_deadline
    phases = list(competition.phases.all())
    return phases[-1].end if phases else None


def merge_allowance(competition: Competition, teams: list[Team]) -> list[dict[str, object]]:
    """Per started phase: the teams' submissions together and what the rule allows."""
    now = timezone.now()
    rows = []
    for phase in competition.phases.all():
        if phase.start > now:
            continue
        until = now if phase.end is None or phase.end > now else phase.end
        days = max(
            1, (_day_start(competition, until) - _day_start(competition, phase.start)).days + 1
        )
        used = (
            Submission.objects.filter(phase=phase, team__in=teams)
            .exclude(state=Submission.State.FAILED)
            .count()
        )
        rows.append(
            {"phase": phase.name, "used": used, "allowed": phase.daily_quota * days, "days": days}
        )
    return rows


@transaction.atomic
def merge(*, actor: Principal, competition: Competition, code: str) -> Team:
    """Merge the team whose join ``code`` is given into the actor's team."""
    mine = _my_team(actor, competition)
    _require_open(competition)
    other = Team.objects.filter(competition=competition, join_code=code).first()
    if other is None:
        raise NotFound(gettext_noop("No team has this join code"))
    if other.pk == mine.pk:
        raise InvalidInput(gettext_noop("A team cannot merge with itself"))
    # Lock both rows in a fixed order: two opposite merges cannot deadlock or both pass.
    locked = {
        t.pk: t
        for t in Team.objects.select_for_update().filter(pk__in=[mine.pk, other.pk]).order_by("pk")
    }
    mine, other = locked[mine.pk], locked[other.pk]
    deadline = merge_deadline(competition)
    if deadline is not None and timezone.now() >= deadline:  # type: ignore[operator]
        raise InvalidInput(gettext_noop("The team-merge deadline has passed"))
    size = mine.members.count() + other.members.count()
    if size > competition.max_team_size:
        raise InvalidInput(
            gettext_noop(
                "The merged team would have %(size)s members; at most %(limit)s are allowed"
            ),
            size=size,
            limit=competition.max_team_size,
        )
    for row in merge_allowance(competition, [mine, other]):
        if int(row["used"]) > int(row["allowed"]):  # type: ignore[call-overload]
            raise InvalidInput(
                gettext_noop(
                    "The teams have made %(used)s submissions in phase %(phase)s; a merged team "
                    "may have at most %(allowed)s (daily quota × %(days)s days)"
                ),
                **row,
            )
    TeamMember.objects.filter(team=other).update(team=mine)
    # The other team's picks are dropped so the merged team never has more finals than N.
    Submission.objects.filter(team=other).update(team=mine, is_final=False)
    TeamInvitation.objects.filter(team=other).delete()
    from nbopen.challenges.models import WinnerRepository

    WinnerRepository.objects.filter(team=other).exclude(
        repository_id__in=WinnerRepository.objects.filter(team=mine).values("repository_id")
    ).update(team=mine)
    merged_name = other.name
    other.delete()
    events.record(
        "competition.team_merge",
        actor=actor.user,
        organization_id=competition.organization_id,
        payload={"competition": competition.slug, "team": mine.name, "merged": merged_name},
    )
    return mine


def members(team: Team) -> list[str]:
    return sorted(team.members.values_list("user__username", flat=True))


def pending_invitations(team: Team) -> list[str]:
    return sorted(team.invitations.values_list("user__username", flat=True))
