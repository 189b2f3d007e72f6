"""A scoring job's lease: how long a queued or running submission may stay so before
:mod:`.recovery` decides its worker is gone.

Kept in the submission's ``reason_detail`` while it is queued or running (that field is read
only once a submission has failed, so users never see it): ``lease_until`` (epoch seconds)
and ``requeued`` (how many times recovery queued it again). No column of its own, so the
lease needs no migration; a finished or failed submission's detail is rewritten anyway.

Why a lease and not a heartbeat thread: the sandbox kills a scoring child at its wall-time
limit, so a live worker always finishes a job within ``wall + grace``; a running job past
that is certainly orphaned, and nothing needs to beat.
"""

from __future__ import annotations

import time
from typing import Any

from nbopen.challenges.models import Submission

# A live worker reports within the wall-time limit plus this (vault copies, the database).
RUNNING_GRACE_SECONDS = 120
# A queued job that no worker took for this long is taken to be lost with its queue.
QUEUED_LEASE_SECONDS = 30 * 60


def running_lease_seconds() -> int:
    from nbopen.config.env import CONFIG

    return 2 * CONFIG.score_cpu_seconds + 5 + RUNNING_GRACE_SECONDS


def claim(submission_id: int) -> bool:
    """Move a submitted or queued submission to running under a lease; False when another
    worker took it or it is no longer waiting (the task is then a no-op)."""
    waiting = (Submission.State.SUBMITTED, Submission.State.QUEUED)
    detail = (
        Submission.objects.filter(pk=submission_id, state__in=waiting)
        .values_list("reason_detail", flat=True)
        .first()
    )
    if detail is None:
        return False
    leased: dict[str, Any] = {
        "lease_until": time.time() + running_lease_seconds(),
        "requeued": requeued(detail),
    }
    return bool(
        Submission.objects.filter(pk=submission_id, state__in=waiting).update(
            state=Submission.State.RUNNING, reason_detail=leased
        )
    )


def requeued(detail: Any) -> int:
    value = detail.get("requeued", 0) if isinstance(detail, dict) else 0
    return value if isinstance(value, int) else 0


def lease_until(detail: Any) -> float | None:
    value = detail.get("lease_until") if isinstance(detail, dict) else None
    return float(value) if isinstance(value, int | float) else None
