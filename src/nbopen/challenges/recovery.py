"""Submissions a worker crash or restart left queued or running: queued again once, then
failed with a clear reason — never stuck (a stuck submission also holds the team's
concurrent quota).

Run by ``nbopen serve`` at start (``interrupted=True`` with the in-process task queue: the
process that held those jobs is gone, so every unfinished job is orphaned now) and by
``nbopen gc`` (leases only: with Celery, or while a server runs, a job may be alive).

The rule, per submission in ``submitted``/``queued``/``running``:

* its lease (:mod:`.lease`) has not run out → left alone;
* no lease yet: a running one (claimed before leases existed) and a re-scored queued one
  get one now; a never-scored queued one counts from its creation;
* the lease ran out and it was never queued again → queued again, with a fresh lease;
* the lease ran out a second time → failed with reason ``interrupted`` (a failure uses
  no quota, and the participant reads why).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from nbopen.challenges import lease
from nbopen.challenges.models import Submission
from nbopen.challenges.services import score_submission
from nbopen.core import tasks

MAX_REQUEUES = 1
UNFINISHED = (Submission.State.SUBMITTED, Submission.State.QUEUED, Submission.State.RUNNING)


@dataclass
class Recovered:
    requeued: int = 0
    failed: int = 0
    leased: int = 0

    def as_json(self) -> dict[str, int]:
        return {"requeued": self.requeued, "failed": self.failed, "leased": self.leased}


def recover_stuck(*, interrupted: bool = False, now: float | None = None) -> Recovered:
    """Queue again or fail the submissions whose worker is gone (see the module docstring)."""
    now = time.time() if now is None else now
    done = Recovered()
    rows = Submission.objects.filter(state__in=UNFINISHED).values_list(
        "pk", "state", "reason_detail", "created_at", "finished_at"
    )
    for pk, state, detail, created_at, finished_at in rows.iterator():
        until = lease.lease_until(detail)
        if until is None and not interrupted:
            if state != Submission.State.RUNNING and finished_at is None:
                until = created_at.timestamp() + lease.QUEUED_LEASE_SECONDS
            else:
                seconds = (
                    lease.running_lease_seconds()
                    if state == Submission.State.RUNNING
                    else lease.QUEUED_LEASE_SECONDS
                )
                stamped = {"lease_until": now + seconds, "requeued": lease.requeued(detail)}
                done.leased += _update(pk, state, reason_detail=stamped)
                continue
        if not interrupted and until is not None and until > now:
            continue
        if lease.requeued(detail) >= MAX_REQUEUES:
            done.failed += _update(
                pk,
                state,
                state_to=Submission.State.FAILED,
                reason_code="interrupted",
                reason_detail={"attempts": lease.requeued(detail) + 1},
                finished_at=timezone.now(),
            )
            continue
        with transaction.atomic():
            fresh = {
                "lease_until": now + lease.QUEUED_LEASE_SECONDS,
                "requeued": lease.requeued(detail) + 1,
            }
            if _update(pk, state, state_to=Submission.State.QUEUED, reason_detail=fresh):
                tasks.defer(score_submission, pk)
                done.requeued += 1
    return done


def recover_at_start() -> Recovered:
    """``nbopen serve`` with the in-process task queue, before granian forks its workers:
    every unfinished submission's job died with the old process, so they are queued again
    (or failed) and scored now — a fork while a task thread scores could leave a worker
    holding a lock, as the demo's jobs could (``cli/admin.serve`` waits for those too)."""
    from nbopen.challenges import sandbox

    done = recover_stuck(interrupted=True)
    if done.requeued:
        tasks.wait_idle(timeout=900)
        sandbox.shutdown()  # the zygotes stay with this process, not its workers
    return done


def _update(pk: int, state: str, *, state_to: str | None = None, **fields: object) -> int:
    """Change one submission only if it is still in ``state`` (a worker that finished it
    meanwhile wins)."""
    if state_to is not None:
        fields["state"] = state_to
    return Submission.objects.filter(pk=pk, state=state).update(**fields)
