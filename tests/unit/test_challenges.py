"""Competition rules that need no server: the quota's day boundary and what it counts, and the
reasons the scoring child gives for bad submissions (issue 15)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.challenges import sandbox, services
from nbopen.challenges.models import Submission
from nbopen.orgs.services import org_create

GROUND_TRUTH = "id,target,split\na,1,public\nb,0,public\nc,1,private\nd,0,private\n"
LIMITS = {"cpu": 20, "wall": 30, "memory": 600 << 20, "output": 8 << 20}


def _hosted(prefix: str, metric: str, **options: Any) -> tuple[Any, Any, Any]:
    """(host user, organization, draft competition) named after ``prefix``."""
    host = user_create(
        username=f"{prefix}-host", email=f"{prefix}h@example.org", password="pw-Secret-99"
    )
    org = org_create(name=f"{prefix}-org", kind="enterprise", owner=host)
    competition = services.competition_create(
        actor=Principal(user=host),
        organization=org,
        slug=f"{prefix}-comp",
        title=prefix,
        datasets=[],
        metric=metric,
        **options,
    )
    return host, org, competition


def test_the_day_starts_at_midnight_in_shanghai() -> None:
    competition = services.Competition(timezone="Asia/Shanghai")
    # 16:30 UTC is 00:30 the next day in Shanghai: the quota day began half an hour ago.
    now = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    assert services._day_start(competition, now) == dt.datetime(2026, 3, 1, 16, 0, tzinfo=dt.UTC)
    before = dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    assert services._day_start(competition, before) == dt.datetime(
        2026, 2, 28, 16, 0, tzinfo=dt.UTC
    )


@pytest.mark.django_db
def test_quota_counts_every_submission_that_has_not_failed() -> None:
    host, _org, competition = _hosted("q", "accuracy", daily_quota=2, concurrent_quota=5)
    player = user_create(username="q-player", email="p@example.org", password="pw-Secret-99")
    services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(b"id,target\n")
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    team = services.join(actor=Principal(user=player), competition=competition)
    phase = competition.phases.get()

    def add(state: str, at: dt.datetime | None = None) -> None:
        made = Submission.objects.create(
            competition=competition, phase=phase, team=team, file_oid="x", state=state
        )
        if at is not None:
            Submission.objects.filter(pk=made.pk).update(created_at=at)

    add(Submission.State.FAILED)
    add(Submission.State.FAILED)
    add(Submission.State.QUEUED)
    assert services.quota_left(competition, phase, team)["daily"] == 1  # failures are free
    add(Submission.State.FINISHED, at=timezone.now() - dt.timedelta(days=2))  # another day
    assert services.quota_left(competition, phase, team)["daily"] == 1
    add(Submission.State.RUNNING)
    left = services.quota_left(competition, phase, team)
    assert left["daily"] == 0 and left["concurrent"] == 3
    with pytest.raises(services.QuotaExceeded, match="Daily quota"):
        services.submit(
            actor=Principal(user=player),
            competition=competition,
            source=io.BytesIO(b"id,target\n"),
        )


def _score(tmp_path: Path, submission: bytes) -> str:
    (tmp_path / "gt.csv").write_text(GROUND_TRUTH)
    (tmp_path / "sub.csv").write_bytes(submission)
    request = {
        "ground_truth": str(tmp_path / "gt.csv"),
        "submission": str(tmp_path / "sub.csv"),
        "phase": "main",
        "id_column": "id",
        "target_column": "target",
        "split_column": "split",
        "metric": "rmse",
        "public_fraction": 0.5,
        "data_dir": str(tmp_path / "data"),
    }
    try:
        sandbox.run(request, work_dir=tmp_path, limits=LIMITS)
    except sandbox.ScoringFailed as failed:
        return failed.code
    return "scored"


@pytest.mark.once
@pytest.mark.parametrize(
    ("submission", "reason"),
    [
        (b"ident,label\na,1\n", "wrong_columns"),
        (b"id,target\na,1\nb,0\nc,1\n", "missing_ids"),
        (b"id,target\na,1\nb,0\nc,1\nd,0\ne,1\n", "unknown_ids"),
        (b"id,target\na,1\na,0\nc,1\nd,0\n", "duplicate_ids"),
        (b"id,target\na,1\nb,NaN\nc,1\nd,0\n", "nan"),
        (b"id,target\na,1\nb,yes\nc,1\nd,0\n", "not_numeric"),
        (b"\xff\xfe\x00garbage\x00\x80\x81", "not_csv"),
        (b"", "empty"),
        (b"id,target\na,1\nb,0\nc,1\nd,0\n", "scored"),
    ],
)
def test_bad_submissions_fail_with_a_reason(tmp_path: Path, submission: bytes, reason: str) -> None:
    assert _score(tmp_path, submission) == reason


@pytest.mark.django_db
def test_teams_join_by_code_one_team_per_person() -> None:
    from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound

    host, _org, competition = _hosted("t", "f1_macro")
    users = [
        user_create(username=f"t-{n}", email=f"t{n}@example.org", password="pw-Secret-99")
        for n in ("ann", "ben", "cat")
    ]
    competition.max_team_size = 2
    competition.save()
    with pytest.raises(InvalidInput):  # a draft takes no entries
        services.join(actor=Principal(user=users[0]), competition=competition)
    services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(b"id,target\n")
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    ann, ben, cat = (Principal(user=u) for u in users)
    alpha = services.join(actor=ann, competition=competition, team_name="Alpha")
    with pytest.raises(NotFound):
        services.join(actor=ben, competition=competition, code="not-a-code")
    assert services.join(actor=ben, competition=competition, code=alpha.join_code) == alpha
    with pytest.raises(InvalidInput, match="full"):
        services.join(actor=cat, competition=competition, code=alpha.join_code)
    beta = services.join(actor=cat, competition=competition, team_name="Beta")
    with pytest.raises(AlreadyExists):  # one team per person per competition
        services.join(actor=cat, competition=competition, code=alpha.join_code)
    assert services.team_of(competition, users[2]) == beta
    assert sorted(alpha.members.values_list("user__username", flat=True)) == ["t-ann", "t-ben"]


@pytest.mark.django_db
def test_split_names_of_the_ground_truth_become_splits() -> None:
    """Tianchi's A/B: A shown while running, B after the end; unknown names host-only."""
    host, _org, competition = _hosted("s", "mae")
    truth = b"id,target,split\n1,0.5,A\n2,0.7,B\n3,0.1,audit\n4,0.2,B\n"
    rows = services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(truth)
    )
    assert rows == 4
    assert dict(competition.splits.values_list("name", "visibility")) == {
        "public": "public",
        "private": "private",
        "A": "public",
        "B": "private",
        "audit": "host",
    }


@pytest.mark.django_db
def test_ranking_best_entry_ties_by_time_finals_and_no_host() -> None:
    from nbopen.challenges import leaderboard

    host, _org, competition = _hosted("r", "accuracy")
    services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(b"id,target\n")
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    phase = competition.phases.get()
    people = {
        n: user_create(username=f"r-{n}", email=f"r{n}@example.org", password="pw-Secret-99")
        for n in ("ann", "ben")
    }
    teams = {n: services.join(actor=Principal(user=u), competition=competition, team_name=n)
             for n, u in people.items()}  # fmt: skip
    teams["host"] = services.join(actor=Principal(user=host), competition=competition)
    start = timezone.now() - dt.timedelta(hours=1)

    def scored(team: str, minute: int, public: float, private: float) -> None:
        made = Submission.objects.create(
            competition=competition,
            phase=phase,
            team=teams[team],
            file_oid="x",
            state=Submission.State.FINISHED,
            scores={"public": {"accuracy": public}, "private": {"accuracy": private}},
        )
        Submission.objects.filter(pk=made.pk).update(
            created_at=start + dt.timedelta(minutes=minute)
        )

    scored("ben", 1, 0.8, 0.7)
    scored("ann", 2, 0.8, 0.6)  # the same public score, later: ranked after ben
    scored("ann", 3, 0.5, 0.99)  # ann's third best public: not one of her two finals
    scored("ann", 4, 0.7, 0.65)
    scored("host", 5, 1.0, 1.0)  # the host's own test: not ranked
    public = leaderboard.ranking(competition, phase, "public")
    assert [(r["team"], r["rank"], r["score"]) for r in public] == [
        ("ben", 1, 0.8),
        ("ann", 2, 0.8),
    ]
    private = leaderboard.ranking(competition, phase, "private")
    assert [(r["team"], r["score"]) for r in private] == [("ben", 0.7), ("ann", 0.65)]
    assert leaderboard.visible_splits(Principal(user=people["ann"]), competition, phase) == [
        "public"
    ]
    assert leaderboard.visible_splits(Principal(user=host), competition, phase) == [
        "public",
        "private",
    ]
