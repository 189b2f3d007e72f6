"""Submissions a crashed or restarted worker left queued or running (issue 15): queued
again once, then failed with a clear reason, never stuck; and one that is queued again
really scores."""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import pytest
from django.utils import timezone, translation

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.challenges import lease, sandbox, services
from nbopen.challenges.models import Submission
from nbopen.challenges.recovery import recover_at_start, recover_stuck
from nbopen.challenges.rules import reason_text
from tests.unit.test_challenges import _hosted

pytestmark = pytest.mark.django_db

TRUTH = b"id,target\na,1\nb,2\nc,3\nd,4\n"


def _running_competition(prefix: str) -> tuple[Any, Any, Any]:
    """(published competition, a player's team, the player); quotas wide enough."""
    host, _org, competition = _hosted(prefix, "mae", daily_quota=20, concurrent_quota=20)
    services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(TRUTH)
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    player = user_create(
        username=f"{prefix}-player", email=f"{prefix}p@example.org", password="pw-Secret-99"
    )
    team = services.join(actor=Principal(user=player), competition=competition)
    return competition, team, player


def _row(competition: Any, team: Any, state: str, **fields: Any) -> Submission:
    made = Submission.objects.create(
        competition=competition,
        phase=competition.phases.get(),
        team=team,
        file_oid="x",
        state=state,
    )
    if fields:
        Submission.objects.filter(pk=made.pk).update(**fields)
    made.refresh_from_db()
    return made


def test_leases_decide_requeue_once_then_fail(django_capture_on_commit_callbacks: Any) -> None:
    competition, team, _player = _running_competition("rec")
    now = time.time()
    past, future = now - 1, now + 600
    Q, R = Submission.State.QUEUED, Submission.State.RUNNING
    old = timezone.now() - dt.timedelta(hours=2)
    lost_in_queue = _row(competition, team, Q, created_at=old)
    waiting = _row(competition, team, Q)  # queued a moment ago: its worker may come
    rescored = _row(competition, team, Q, created_at=old, finished_at=old)
    crashed = _row(competition, team, R, reason_detail={"lease_until": past, "requeued": 0})
    crashed_twice = _row(competition, team, R, reason_detail={"lease_until": past, "requeued": 1})
    alive = _row(competition, team, R, reason_detail={"lease_until": future, "requeued": 0})
    legacy = _row(competition, team, R)  # claimed before leases: gets one now
    finished = _row(competition, team, Submission.State.FINISHED)

    with django_capture_on_commit_callbacks() as queued:
        report = recover_stuck(now=now)
    assert report.as_json() == {"requeued": 2, "failed": 1, "leased": 2}
    assert len(queued) == 2  # the scoring task deferred again for each re-queued one

    def state(made: Submission) -> tuple[str, dict[str, Any]]:
        made.refresh_from_db()
        return made.state, made.reason_detail

    for requeued in (lost_in_queue, crashed):
        got_state, detail = state(requeued)
        assert got_state == Q and detail["requeued"] == 1 and detail["lease_until"] > now
    assert state(waiting) == (Q, {})
    assert state(alive)[1]["lease_until"] == future and state(alive)[0] == R
    for stamped in (rescored, legacy):
        assert state(stamped)[1]["lease_until"] > now and state(stamped)[1]["requeued"] == 0
    assert state(finished)[0] == Submission.State.FINISHED
    crashed_twice.refresh_from_db()
    assert crashed_twice.state == Submission.State.FAILED
    assert crashed_twice.reason_code == "interrupted" and crashed_twice.finished_at
    with translation.override("en"):
        assert "interrupted 2 times" in reason_text(crashed_twice)
    with translation.override("zh-hans"):
        assert "评分被中断了 2 次" in reason_text(crashed_twice)
    # Failed ones use no quota: the concurrent quota counts the six still unfinished.
    left = services.quota_left(competition, competition.phases.get(), team)
    assert left["concurrent"] == 20 - 6

    # Past every lease the queued-again ones fail now: never stuck forever.
    later = now + lease.QUEUED_LEASE_SECONDS + lease.running_lease_seconds() + 1
    with django_capture_on_commit_callbacks():
        recover_stuck(now=later)
    for requeued in (lost_in_queue, crashed):
        assert state(requeued)[0] == Submission.State.FAILED
    assert state(rescored)[0] == Q and state(rescored)[1]["requeued"] == 1


def test_a_restart_requeues_every_unfinished_submission(
    django_capture_on_commit_callbacks: Any,
) -> None:
    competition, team, _player = _running_competition("rst")
    future = time.time() + 600
    alive = _row(competition, team, Submission.State.RUNNING, reason_detail={"lease_until": future})
    with django_capture_on_commit_callbacks() as queued:
        assert recover_at_start().requeued == 1
    assert len(queued) == 1
    alive.refresh_from_db()
    assert alive.state == Submission.State.QUEUED


@pytest.mark.once
def test_a_requeued_submission_really_scores(django_capture_on_commit_callbacks: Any) -> None:
    competition, _team, player = _running_competition("rsc")
    with django_capture_on_commit_callbacks():  # the worker never gets the job
        submission = services.submit(
            actor=Principal(user=player),
            competition=competition,
            source=io.BytesIO(b"id,target\na,1\nb,2\nc,3\nd,5\n"),
        )
    assert lease.claim(submission.pk)  # a worker takes it …
    assert not lease.claim(submission.pk)  # … only one does
    # … and dies. Past its lease, recovery queues it again and the next worker scores it.
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = recover_stuck(now=time.time() + lease.running_lease_seconds() + 1)
    finally:
        sandbox.shutdown()
    assert report.requeued == 1
    submission.refresh_from_db()
    assert submission.state == Submission.State.FINISHED, submission.reason_code
    values = [v["mae"] for v in submission.scores.values()]
    assert values and all(0 <= v <= 0.5 for v in values)
