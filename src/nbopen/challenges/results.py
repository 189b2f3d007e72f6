"""After the scoring: final submissions, final ranks as events, winners' repositories and a
contributor's results on their profile (issue 15, items 2, 8 and 9).

* **Finals.** A team picks up to ``final_submissions`` of its submissions per phase while the
  phase runs; the private ranking considers only those (none picked: the best public ones,
  :mod:`.leaderboard`).
* **Final ranks** become ``competition.final_rank`` events once per phase, one per member
  (``actor`` = the member, so analytics and profiles find them by user). A phase that ends by
  its clock has no job at its end: the first reader after the end (leaderboard, profile)
  records them; :func:`.leaderboard.record_final_ranks` is idempotent
  (``Phase.ranks_recorded_at``).
* **Winners.** When the host sets ``winners_publish`` = k, members of the top-k teams of the
  last phase's final ranking link the public repositories holding their code and model. The
  link is a ``competition.winner`` event on the repository, credited by
  :mod:`nbopen.analytics.value` as reuse by the host organization.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.challenges import leaderboard
from nbopen.challenges.models import (
    Competition,
    Phase,
    Submission,
    Team,
    TeamMember,
    WinnerRepository,
)
from nbopen.challenges.rules import phase_ended
from nbopen.challenges.services import current_phase, team_of
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.repos.services import repo_find

# --- finals -------------------------------------------------------------------------------


def _writer_team(actor: Principal, competition: Competition) -> Team:
    if not actor.is_authenticated or actor.user is None or actor.scope == "read":
        raise PermissionDenied(gettext_noop("Sign in (with a write token) to do this"))
    team = team_of(competition, actor.user)
    if team is None:
        raise InvalidInput(gettext_noop("You are not in a team of this competition"))
    return team


@transaction.atomic
def finals_select(
    *, actor: Principal, competition: Competition, ids: list[int], phase: Phase | None = None
) -> list[int]:
    """Make ``ids`` the team's final submissions of ``phase`` (default: the running one).
    An empty list goes back to the default (the best public ones)."""
    team = _writer_team(actor, competition)
    phase = phase or current_phase(competition)
    if phase is None or phase_ended(phase):
        raise InvalidInput(
            gettext_noop("Final submissions can be chosen only while the phase runs")
        )
    wanted = sorted(set(ids))
    if len(wanted) > competition.final_submissions:
        raise InvalidInput(
            gettext_noop("At most %(limit)s final submissions may be selected"),
            limit=competition.final_submissions,
        )
    Team.objects.select_for_update().filter(pk=team.pk).first()
    found = set(
        Submission.objects.filter(phase=phase, team=team, pk__in=wanted)
        .exclude(state=Submission.State.FAILED)
        .values_list("pk", flat=True)
    )
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise InvalidInput(
            gettext_noop("Not a submission of your team in this phase that may count: %(ids)s"),
            ids=", ".join(missing),
        )
    Submission.objects.filter(phase=phase, team=team).update(is_final=False)
    Submission.objects.filter(pk__in=wanted).update(is_final=True)
    return wanted


def finals_of(competition: Competition, phase: Phase, team: Team) -> dict[str, Any]:
    """The team's chosen finals and the ones that count now (the default when none chosen)."""
    chosen = list(
        Submission.objects.filter(phase=phase, team=team, is_final=True)
        .exclude(state=Submission.State.FAILED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {
        "phase": phase.name,
        "limit": competition.final_submissions,
        "selected": chosen,
        "counting": chosen or leaderboard.default_finals(competition, phase, team),
    }


# --- final ranks --------------------------------------------------------------------------


def record_ended(competition: Competition) -> None:
    """Record the final ranks of every phase of ``competition`` that has ended."""
    for phase in competition.phases.filter(ranks_recorded_at__isnull=True):
        leaderboard.record_final_ranks(competition, phase)


def results_of(user: Any, viewer: Principal) -> list[dict[str, Any]]:
    """A contributor's competition results for their profile: ranks of ended phases only
    (after the private reveal), in competitions ``viewer`` may see; no scores."""
    from nbopen.challenges.services import visible_competitions

    entered = Competition.objects.filter(
        pk__in=TeamMember.objects.filter(user=user).values("competition_id")
    )
    for competition in entered:
        record_ended(competition)
    visible = set(visible_competitions(viewer).values_list("slug", flat=True))
    from nbopen.core.models import Event

    rows = []
    for payload, at in (
        Event.objects.filter(kind="competition.final_rank", actor_id=user.pk)
        .order_by("-created_at")
        .values_list("payload", "created_at")[:50]
    ):
        if payload.get("competition") in visible:
            rows.append({**{k: v for k, v in payload.items() if k != "score"}, "at": at})
    return rows


# --- winners ------------------------------------------------------------------------------


def winners(competition: Competition) -> list[dict[str, Any]]:
    """The top-k teams of the last phase's final ranking and the repositories they linked
    ([] until the last phase has ended or when the host asks for none)."""
    phases = list(competition.phases.all())
    if competition.winners_publish <= 0 or not phases or not phase_ended(phases[-1]):
        return []
    rows = leaderboard.ranking(competition, phases[-1], leaderboard.final_split(competition))
    return rows[: competition.winners_publish]


@transaction.atomic
def winner_link(*, actor: Principal, competition: Competition, repository: str) -> dict[str, Any]:
    """A member of a top-k team links a public repository (``owner/name``, or
    ``datasets/owner/name``) holding the team's code or model."""
    team = _writer_team(actor, competition)
    top = {row["team"] for row in winners(competition)}
    if competition.winners_publish <= 0:
        raise InvalidInput(
            gettext_noop("This competition does not ask winners to publish repositories")
        )
    if team.name not in top:
        raise PermissionDenied(
            gettext_noop(
                "Only the top %(k)s teams of the final ranking link repositories, after the "
                "last phase ends"
            ),
            k=competition.winners_publish,
        )
    kind = None
    path = repository.strip().strip("/")
    if path.startswith("datasets/"):
        kind, path = "dataset", path.removeprefix("datasets/")
    owner, _sep, name = path.partition("/")
    repo = repo_find(owner, name, kind) if owner and name else None
    if repo is None:
        raise NotFound(gettext_noop("Repository %(name)s not found"), name=repository)
    if repo.private:
        raise InvalidInput(
            gettext_noop("Link a public repository: the models stay in the reservoir")
        )
    require_repo(actor, repo, Level.WRITE)
    _link, created = WinnerRepository.objects.get_or_create(
        team=team, repository=repo, defaults={"linked_by": actor.user}
    )
    if not created:
        raise AlreadyExists(gettext_noop("%(name)s is already linked"), name=repo.full_name)
    events.record(
        "competition.winner",
        actor=actor.user,
        repository=repo,
        organization_id=competition.organization_id,
        payload={"competition": competition.slug, "team": team.name},
    )
    return {"team": team.name, "repository": repo.full_name, "type": repo.type}
