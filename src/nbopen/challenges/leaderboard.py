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

Speed (issue 15: page p95 < 100 ms with 10 000 submissions): the database extracts the
scores from the JSON, the entries are cached under a key that every write changing them
changes (:func:`_cache_key`), and the page reads only its 100 rows' members.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, FloatField, Max, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
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


def _primary(competition: Competition, submissions: Iterable[Submission] | QuerySet[Any]) -> str:
    """The metric name ranked on: the competition's, or a custom scorer's first key (of the
    earliest scored submission: usually the first row read)."""
    if isinstance(submissions, QuerySet):
        found = submissions.order_by("created_at", "pk").values_list("scores", flat=True)
        return _primary_of(competition, found.iterator(chunk_size=20))
    return _primary_of(competition, (s.scores for s in submissions))


def _primary_of(competition: Competition, scores: Iterable[dict[str, Any]]) -> str:
    for score in scores:
        for values in score.values():
            if competition.metric in values:
                return competition.metric
            if values:
                return str(next(iter(values)))
    return competition.metric


def ranking(
    competition: Competition, phase: Phase, split: str, window: slice | None = None
) -> list[dict[str, Any]]:
    """Rows ``{rank, team, members, score, submitted_at, entries}``, best first (only the
    ranks in ``window`` when given: a page of the board builds and reads its rows only).

    One pass over ``(id, team, final?, score on split, score on public)`` tuples in time order
    — the database extracts the two numbers from the JSON scores — then one query for the
    winners' names and times: a page of 10 000 submissions stays well under the issue's
    100 ms (bench/competitions.py --leaderboard) where building 10 000 model instances did
    not."""
    return _rows(competition, _ranked(competition, phase, split), window)


def ranking_page(
    competition: Competition, phase: Phase, split: str, page: int, size: int
) -> tuple[list[dict[str, Any]], int, int]:
    """(rows of page ``page`` — clamped to the pages there are —, that page, pages)."""
    ranked = _ranked(competition, phase, split)
    pages = max(1, -(-len(ranked[1]) // size))
    page = min(max(page, 1), pages)
    return _rows(competition, ranked, slice((page - 1) * size, page * size)), page, pages


Ranked = tuple[str, list[tuple[float, int, int, int, float]], dict[int, tuple[int, str, Any]]]


def _ranked(competition: Competition, phase: Phase, split: str) -> Ranked:
    finished = Submission.objects.filter(phase=phase, state=Submission.State.FINISHED)
    hosts = _host_teams(competition)
    key = _cache_key(competition, phase, split, finished, hosts)
    cached = cache.get(key)
    if cached is None:
        cached = _entries(competition, phase, split, finished, hosts)
        cache.set(key, cached, RANKING_TTL)
    return cached


def _rows(competition: Competition, ranked: Ranked, window: slice | None) -> list[dict[str, Any]]:
    metric, entries, winners = ranked
    numbered = list(enumerate(entries, start=1))[window or slice(None)]
    # A page asks for its teams; the whole board asks by competition (preparing a list of
    # 2 000 team ids for ``IN`` cost more than the query).
    shown = [winners[e[1][2]][0] for e in numbered] if window else None
    members = _members(competition, shown)
    linked = _repositories(competition, shown)
    rows = []
    for position, (_key, _order, pk, count, score) in numbered:
        team_id, name, created_at = winners[pk]
        rows.append(
            {
                "rank": position,
                "team": name,
                "members": members.get(team_id, []),
                "score": score,
                "metric": metric,
                "submitted_at": created_at.isoformat(),
                "entries": count,
                "repositories": linked.get(team_id, []),
            }
        )
    return rows


def _entries(
    competition: Competition,
    phase: Phase,
    split: str,
    finished: QuerySet[Submission],
    hosts: set[int],
) -> Ranked:
    """(metric, entries best first, winner submission → (team, team name, time)): the part of
    the ranking that reads every submission."""
    metric = _primary(competition, finished)
    sign = -1.0 if competition.higher_is_better else 1.0
    public_rule = (
        split != "public"
        and Split.objects.filter(competition=competition, name=split)
        .exclude(visibility=Split.Visibility.PUBLIC)
        .exists()
    )
    tuples = (
        finished.exclude(team_id__in=hosts)
        .annotate(
            on_split=_score_in_db(split, metric),
            on_public=_score_in_db("public", metric)
            if public_rule
            else Value(None, output_field=FloatField()),
        )
        .order_by("created_at", "pk")
        .values_list("pk", "team_id", "is_final", "on_split", "on_public")
    )
    # team → [(order, pk, final?, score on split, score on public)]
    by_team: dict[int, list[tuple[int, int, bool, float | None, float | None]]] = {}
    for order, (pk, team_id, final, on_split, on_public) in enumerate(tuples):
        by_team.setdefault(team_id, []).append((order, pk, final, on_split, on_public))
    entries: list[tuple[float, int, int, int, float]] = []  # (key, order, pk, count, score)
    for team_submissions in by_team.values():
        candidates = team_submissions
        if public_rule:
            chosen = [s for s in team_submissions if s[2]]
            if not chosen:
                scored = [s for s in team_submissions if s[4] is not None]
                scored.sort(key=lambda s: (sign * float(s[4] or 0.0), s[0]))
                chosen = scored[: competition.final_submissions]
            candidates = chosen or team_submissions
        best = None
        for candidate in candidates:
            value = candidate[3]
            if value is not None and (best is None or sign * value < sign * float(best[3] or 0)):
                best = candidate
        if best is not None and best[3] is not None:
            entries.append((sign * best[3], best[0], best[1], len(team_submissions), best[3]))
    entries.sort()
    winners = {
        pk: (team_id, name, created_at)
        for pk, team_id, name, created_at in Submission.objects.filter(
            pk__in=[e[2] for e in entries]
        ).values_list("pk", "team_id", "team__name", "created_at")
    }
    return metric, entries, winners


# The ranking is cached under a key that changes with every write that can change it (see
# :func:`_cache_key`); the time-to-live only bounds what the key cannot see.
RANKING_TTL = 300


def _cache_key(
    competition: Competition,
    phase: Phase,
    split: str,
    finished: QuerySet[Submission],
    hosts: set[int],
) -> str:
    """What the ranking of ``split`` depends on, in one aggregate over the phase's finished
    submissions (no JSON read): a newly scored or re-scored one (count, last id, last
    finish), merged teams (sum of team ids), changed final selections (count, sum and sum of
    squares of their ids), the host teams, and the competition's ranking settings."""
    marks = finished.aggregate(
        count=Count("pk"),
        last=Max("pk"),
        finished=Max("finished_at"),
        created=Max("created_at"),
        teams=Sum("team_id"),
        finals=Count("pk", filter=Q(is_final=True)),
        finals_sum=Sum("pk", filter=Q(is_final=True)),
        finals_squares=Sum(_as_float("pk") * _as_float("pk"), filter=Q(is_final=True)),
    )
    state = repr(
        (
            competition.pk,
            competition.created_at,
            competition.metric,
            competition.higher_is_better,
            competition.final_submissions,
            phase.pk,
            split,
            sorted(hosts),
            sorted(marks.items()),
            sorted(Split.objects.filter(competition=competition).values_list("name", "visibility")),
        )
    )
    return "challenges:ranking:" + hashlib.sha256(state.encode()).hexdigest()


def _as_float(field: str) -> Any:
    return Cast(F(field), FloatField())  # squares of ids never overflow an integer column


def _score_in_db(split: str, metric: str) -> Any:
    """``scores[split][metric]`` as a float column, extracted by the database (NULL when the
    submission has no such score). Scores are always numbers: the scorer's results are
    checked and converted with ``float`` before they are stored."""
    return Cast(KeyTextTransform(metric, KeyTransform(split, "scores")), FloatField())


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


def _repositories(
    competition: Competition, team_ids: list[int] | None = None
) -> dict[int, list[dict[str, str]]]:
    """The repositories winning teams linked (public ones only: a repository made private
    after linking disappears from the entry)."""
    from nbopen.challenges.models import WinnerRepository

    found: dict[int, list[dict[str, str]]] = {}
    links = WinnerRepository.objects.filter(
        team__competition=competition, repository__private=False
    ).select_related("repository__owner")
    if team_ids is not None:
        links = links.filter(team_id__in=team_ids)
    for link in links:
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


def _members(competition: Competition, team_ids: list[int] | None = None) -> dict[int, list[str]]:
    from nbopen.challenges.models import TeamMember

    found: dict[int, list[str]] = {}
    people = TeamMember.objects.filter(competition=competition)
    if team_ids is not None:
        people = people.filter(team_id__in=team_ids)
    for team_id, username in people.values_list("team_id", "user__username"):
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
