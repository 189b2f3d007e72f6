"""The small rules both the writes (:mod:`.services`) and the leaderboards
(:mod:`.leaderboard`) apply: who hosts, when a phase has ended, why a submission failed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nbopen.access.policy import Level, Principal, org_level
from nbopen.challenges.models import Competition, Phase, Submission

# Why a submission failed, as users read it (code → message with the detail's fields).
REASONS = {
    "too_large": _("The file is larger than %(limit)s bytes."),
    "empty": _("The file is empty."),
    "not_csv": _("The file is not a UTF-8 CSV file."),
    "wrong_columns": _("Wrong columns: expected %(expected)s, found %(found)s."),
    "bad_row": _("Line %(line)s does not have as many fields as the header."),
    "missing_ids": _("%(count)s ids of the test set are missing (e.g. %(example)s)."),
    "unknown_ids": _("%(count)s ids are not in the test set (e.g. %(example)s)."),
    "duplicate_ids": _("The id %(id)s appears more than once."),
    "nan": _("The prediction for id %(id)s is empty or NaN."),
    "not_numeric": _("The prediction for id %(id)s is not a number."),
    "metric_error": _("The metric could not be computed: %(error)s"),
    "timeout": _("Scoring took longer than %(seconds)s seconds."),
    "cpu": _("Scoring needed more than %(seconds)s seconds of CPU time."),
    "memory": _("Scoring needed more than %(mib)s MiB of memory."),
    "output": _("Scoring wrote more than %(mib)s MiB."),
    "crashed": _("The scorer stopped unexpectedly (exit %(exit)s)."),
    "scorer_error": _("The scorer failed: %(error)s"),
    "interrupted": _(
        "Scoring was interrupted %(attempts)s times (the scoring worker stopped); "
        "submit again: this attempt used no quota."
    ),
    "not_json": _("The file is not valid JSON: %(error)s"),
    "bad_detection": _(
        "Detection %(index)s is not {image_id, category_id, bbox: [x, y, width, height], score}."
    ),
}


def reason_text(submission: Submission) -> str:
    """The failure reason in the active language ("" when it did not fail)."""
    if not submission.reason_code:
        return ""
    template = REASONS.get(submission.reason_code)
    if template is None:
        return submission.reason_code
    try:
        return str(template) % {k: _plain(v) for k, v in submission.reason_detail.items()}
    except (KeyError, TypeError, ValueError):
        return str(template).split("%")[0].strip()


def _plain(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def is_host(principal: Principal, competition: Competition) -> bool:
    return org_level(principal, competition.organization) >= Level.ADMIN


def phase_ended(phase: Phase, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return phase.closed_at is not None or (phase.end is not None and phase.end <= now)
