"""A scoring request for :func:`nbopen.challenges.sandbox.run`, as the scoring task builds it
(``challenges.services.score_submission``), for tests that drive the child directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def score_request(
    ground_truth: Path,
    submission: Path,
    *,
    metric: str,
    data_dir: Path,
    scorer: Path | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "ground_truth": str(ground_truth),
        "submission": str(submission),
        "phase": "main",
        "id_column": "id",
        "target_column": "target",
        "split_column": "split",
        "metric": metric,
        "public_fraction": 0.5,
        "data_dir": str(data_dir),
    }
    if scorer is not None:
        request["scorer"] = str(scorer)
    return request


def outcome(request: dict[str, Any], work: Path, limits: dict[str, int]) -> tuple[str, Any]:
    """("scored", scores) or (the failure's code, its detail)."""
    from nbopen.challenges import sandbox

    try:
        return "scored", sandbox.run(request, work_dir=work, limits=limits)
    except sandbox.ScoringFailed as failed:
        return failed.code, failed.detail
