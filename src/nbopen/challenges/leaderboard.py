"""Leaderboards: who may see which split, and the ranking of one phase on one split.

The one place that decides whether a score may be shown (pages, API, CSV export and the
participant's own submission list all ask :func:`visible_splits`): public splits while the
phase runs; private ones once it has ended; host-only ones to the host alone. The host sees
everything at any time.

Ranking: each team's entry is its best submission on the primary metric (ties: the earlier
submission wins); teams with a member of the host organization are not ranked. On a private
or host-only split the entry is chosen from the team's final submissions — the ones it
selected (``Submission.is_final``, at most ``final_submissions``), or when it selected none the
``final_submissions`` best on the public split, the default Kaggle rule — so a team cannot
pick its private score after seeing it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import transaction
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.challenges.models import Competition, Phase, Split, Submission, TeamMember
from nbopen.challenges.rules import is_host, phase_ended, reason_text
from nbopen.core import events


def visible_splits(principal: Principal, competition: Competition, phase: Phase) -> list[str]:
    host = is_host(principal, competition)
    ended = phase_ended(phase)
    shown = []
    for split in Split.objects.filter(competition=competition):
        if (
            host
            or split.visibility == Split.Visibility.PUBLIC
            or (split.visibility == Split.Visibility.PRIVATE and ended)
        ):
            shown.append(split.name)
    return shown


def _score(submission: Submission, split: str, metric: str) -> float | None:
    value = (submission.scores.get(split) or {}).get(metric)
    return float(value) if isinstance(value, int | float) else None


def _primary(competition: Competition, submissions: list[Submission]) -> str:
    """The metric name ranked on: the competition's, or a custom scorer's first key."""
    for submission in submissions:
        for values in submission.scores.values():
            if competition.metric in values:
                return competition.metric
            if values:
                return str(next(iter(values)))
    return competition.metric


def ranking(competition: Competition, phase: Phase, split: str) -> list[dict[str, Any]]:
    """Rows ``{rank, team, members, score, submitted_at, entries}``, best first."""
    finished = list(
        Submission.objects.filter(phase=phase, state=Submission.State.FINISHED)
        .select_related("team")
        .order_by("created_at", "pk")
    )
    metric = _primary(competition, finished)
    sign = -1.0 if competition.higher_is_better else 1.0
    hosts = _host_teams(competition)
    by_team: dict[int, list[Submission]] = {}
    for submission in finished:
        if submission.team_id not in hosts:
            by_team.setdefault(submission.team_id, []).append(submission)
    public_rule = (
        split != "public"
        and Split.objects.filter(competition=competition, name=split)
        .exclude(visibility=Split.Visibility.PUBLIC)
        .exists()
    )
    entries = []
    for team_submissions in by_team.values():
        candidates = team_submissions
        if public_rule:
            chosen = [s for s in team_submissions if s.is_final]
            candidates = (
                chosen or _best_public(competition, team_submissions, metric) or team_submissions
            )
        best: Submission | None = None
        for submission in candidates:
            value = _score(submission, split, metric)
            if value is None:
                continue
            if best is None or sign * value < sign * (_score(best, split, metric) or 0.0):
                best = submission
        if best is not None:
            entries.append(
                (sign * (_score(best, split, metric) or 0.0), best, len(team_submissions))
            )
    entries.sort(key=lambda e: (e[0], e[1].created_at, e[1].pk))
    members = _members([e[1].team_id for e in entries])
    linked = _repositories([e[1].team_id for e in entries])
    return [
        {
            "rank": position,
            "team": best.team.name,
            "members": members.get(best.team_id, []),
            "score": _score(best, split, metric),
            "metric": metric,
            "submitted_at": best.created_at.isoformat(),
            "entries": count,
            "repositories": linked.get(best.team_id, []),
        }
        for position, (_key, best, count) in enumerate(entries, start=1)
    ]


def _best_public(
    competition: Competition, submissions: list[Submission], metric: str
) -> list[Submission]:
    """The default finals: the team's ``final_submissions`` best on the public split."""
    sign = -1.0 if competition.higher_is_better else 1.0
    scored = [s for s in submissions if _score(s, "public", metric) is not None]
    scored.sort(key=lambda s: (sign * (_score(s, "public", metric) or 0.0), s.created_at))
    return scored[: competition.final_submissions]


def default_finals(competition: Competition, phase: Phase, team: Any) -> list[int]:
    """Ids of the submissions that count as finals when the team chose none."""
    finished = list(
        Submission.objects.filter(phase=phase, team=team, state=Submission.State.FINISHED).order_by(
            "created_at", "pk"
        )
    )
    return [s.pk for s in _best_public(competition, finished, _primary(competition, finished))]


def _repositories(team_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The repositories winning teams linked (public ones only: a repository made private
    after linking disappears from the entry)."""
    from nbopen.challenges.models import WinnerRepository

    found: dict[int, list[dict[str, str]]] = {}
    for link in WinnerRepository.objects.filter(
        team_id__in=team_ids, repository__private=False
    ).select_related("repository__owner"):
        found.setdefault(link.team_id, []).append(
            {"name": link.repository.full_name, "type": link.repository.type}
        )
    return found


def final_split(competition: Competition) -> str:
    """The split the final ranking is on: the first private one, else ``public``."""
    name = (
        Split.objects.filter(competition=competition, visibility=Split.Visibility.PRIVATE)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
    )
    return name or "public"


def record_final_ranks(competition: Competition, phase: Phase) -> int:
    """Record the ended ``phase``'s final ranks as events, once; how many were recorded."""
    if phase.ranks_recorded_at is not None or not phase_ended(phase):
        return 0  # the usual case on a read: no write
    with transaction.atomic():
        now = timezone.now()
        claimed = Phase.objects.filter(pk=phase.pk, ranks_recorded_at__isnull=True).update(
            ranks_recorded_at=now
        )
        phase.ranks_recorded_at = now
        if not claimed:
            return 0
        rows = ranking(competition, phase, final_split(competition))
        users = dict(
            TeamMember.objects.filter(competition=competition).values_list(
                "user__username", "user_id"
            )
        )
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.in_bulk(list(users.values()))
        count = 0
        for row in rows:
            for username in row["members"]:
                events.record(
                    "competition.final_rank",
                    actor=people.get(users.get(username, -1)),
                    organization_id=competition.organization_id,
                    payload={
                        "competition": competition.slug,
                        "title": competition.title,
                        "phase": phase.name,
                        "team": row["team"],
                        "members": row["members"],
                        "rank": row["rank"],
                        "teams": len(rows),
                        "score": row["score"],
                    },
                )
                count += 1
    return count


def _host_teams(competition: Competition) -> set[int]:
    """Teams with a member of the host organization: they may test their competition, they
    are not ranked."""
    from nbopen.challenges.models import TeamMember
    from nbopen.orgs.models import Membership

    staff = Membership.objects.filter(organization_id=competition.organization_id).values("user_id")
    return set(
        TeamMember.objects.filter(competition=competition, user_id__in=staff).values_list(
            "team_id", flat=True
        )
    )


def _members(team_ids: list[int]) -> dict[int, list[str]]:
    from nbopen.challenges.models import TeamMember

    found: dict[int, list[str]] = {}
    for team_id, username in TeamMember.objects.filter(team_id__in=team_ids).values_list(
        "team_id", "user__username"
    ):
        found.setdefault(team_id, []).append(username)
    return {k: sorted(v) for k, v in found.items()}


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "team", "score", "submitted_at", "entries"])
    for row in rows:
        writer.writerow(
            [row["rank"], row["team"], row["score"], row["submitted_at"], row["entries"]]
        )
    return out.getvalue()


def submission_view(
    principal: Principal, submission: Submission, shown: list[str]
) -> dict[str, Any]:
    """A submission as its team (or the host) sees it: scores of the visible splits only."""
    data: dict[str, Any] = {
        "id": submission.pk,
        "state": submission.state,
        "team": submission.team.name,
        "message": submission.message,
        "created_at": submission.created_at.isoformat(),
        "scores": {k: v for k, v in submission.scores.items() if k in shown},
        "reason": reason_text(submission),
        "reason_code": submission.reason_code,
    }
    if is_host(principal, submission.competition):
        data["log"] = submission.log
    return data
