"""The published formulas, as small pure functions (the SQL pipeline uses the same constants).

Sources: OpenDigger ``src/metrics/indices.ts`` (activity) and ``globalOpenrank.ts`` (OpenRank
pair weights); CHAOSS (bus factor, elephant factor, response times); OSS Compass
(compass-metrics-model, criticality-score form). See docs/ANALYTICS.md in the design notes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Activity (OpenDigger since Dec 2023): per (developer, repository, month), distinct items.
ISSUE_COMMENT_WEIGHT = 0.5252
OPEN_ISSUE_WEIGHT = 2.2235
OPEN_PULL_WEIGHT = 4.0679
REVIEW_COMMENT_WEIGHT = 0.7427
PULL_MERGED_WEIGHT = 2.0339

# OpenRank collaboration weight of a (repo, user) pair in a month (globalOpenrank.ts).
OR_OPEN_ISSUE = 22.235
OR_ISSUE_COMMENT = 5.252
OR_CLOSE_ISSUE = 9.712
OR_REVIEW_COMMENT = 7.427
OR_OPEN_PULL = 40.679
OR_PUSH = 14.695
MAX_USER_REPOS = 300  # users touching more repositories in a month are treated as bots

NO_RESPONSE_DAYS = 15.0
LEVEL_BOUNDS = (3.0, 7.0, 15.0)


def activity(
    *,
    issue_comments: int = 0,
    open_issues: int = 0,
    open_pulls: int = 0,
    review_comments: int = 0,
    merged_pulls: int = 0,
) -> float:
    """One developer's activity in one repository in one month (not yet rounded)."""
    return math.sqrt(
        ISSUE_COMMENT_WEIGHT * issue_comments
        + OPEN_ISSUE_WEIGHT * open_issues
        + OPEN_PULL_WEIGHT * open_pulls
        + REVIEW_COMMENT_WEIGHT * review_comments
        + PULL_MERGED_WEIGHT * merged_pulls
    )


def openrank_pair_weight(
    *,
    open_issues: int = 0,
    issue_comments: int = 0,
    closed_issues: int = 0,
    review_comments: int = 0,
    open_pulls: int = 0,
    pushes: int = 0,
) -> float:
    """The collaboration weight ``a`` of a (repository, user) pair in a month."""
    return (
        OR_OPEN_ISSUE * open_issues
        + OR_ISSUE_COMMENT * issue_comments
        + OR_CLOSE_ISSUE * closed_issues
        + OR_REVIEW_COMMENT * review_comments
        + OR_OPEN_PULL * open_pulls
        + OR_PUSH * pushes
    )


def bus_factor(contributions: Mapping[str, float]) -> int:
    """Smallest number of contributors who together hold ≥ 50 % of the activity.

    Ties at the cut are included: everyone whose share equals the last one counted is counted
    too, so the answer does not depend on the order in which equal contributors are listed.
    """
    values = sorted((v for v in contributions.values() if v > 0), reverse=True)
    total = sum(values)
    if total <= 0:
        return 0
    running = 0.0
    for i, value in enumerate(values):
        running += value
        if running * 2 >= total - 1e-12:
            count = i + 1
            while count < len(values) and values[count] == value:
                count += 1
            return count
    return len(values)


def elephant_factor(contributions_by_org: Mapping[str, float]) -> int:
    """Bus factor over organizations (CHAOSS elephant factor)."""
    return bus_factor(contributions_by_org)


@dataclass(frozen=True)
class DurationStats:
    count: int
    avg: float
    quantiles: tuple[float, float, float, float, float]  # min, q1, median, q3, max
    levels: tuple[int, int, int, int]  # ≤3, ≤7, ≤15, >15 days


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (the one DuckDB's ``quantile_cont`` computes)."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def duration_stats(days: Iterable[float]) -> DurationStats | None:
    values = sorted(days)
    if not values:
        return None
    levels = [0, 0, 0, 0]
    for v in values:
        slot = next((i for i, bound in enumerate(LEVEL_BOUNDS) if v <= bound), 3)
        levels[slot] += 1
    return DurationStats(
        count=len(values),
        avg=sum(values) / len(values),
        quantiles=(
            values[0],
            quantile(values, 0.25),
            quantile(values, 0.5),
            quantile(values, 0.75),
            values[-1],
        ),
        levels=(levels[0], levels[1], levels[2], levels[3]),
    )


@dataclass(frozen=True)
class TimedEvent:
    """What response-time computation needs from an event on an issue or change request."""

    item: str  # issue / pull request id
    kind: str  # "open", "comment", "review", "close"
    actor: str
    at_days: float  # time in days from any fixed origin


def response_times(events: Iterable[TimedEvent]) -> dict[str, float]:
    """Days from opening to the first response by someone other than the author.

    Responses are comments, reviews and closes. Items without one count as
    ``NO_RESPONSE_DAYS`` (OpenDigger's rule), so a silent project is not rewarded.
    """
    opened: dict[str, tuple[str, float]] = {}
    reactions: dict[str, list[tuple[str, float]]] = {}
    for e in events:
        if e.kind == "open":
            opened[e.item] = (e.actor, e.at_days)
        else:
            reactions.setdefault(e.item, []).append((e.actor, e.at_days))
    result: dict[str, float] = {}
    for item, (author, t0) in opened.items():
        times = [t - t0 for actor, t in reactions.get(item, []) if actor != author and t >= t0]
        result[item] = min(times) if times else NO_RESPONSE_DAYS
    return result


# OSS Compass activity model: (weight, threshold); negative weight = lower is better.
COMPASS_ACTIVITY: dict[str, tuple[float, float]] = {
    "contributor_count": (0.18009, 2000),
    "commit_frequency": (0.18009, 1000),
    "updated_since": (-0.12742, 0.25),
    "org_count": (0.11501, 10),
    "comment_frequency": (0.07768, 5),
    "code_review_count": (0.04919, 8),
    "updated_issues_count": (0.04919, 2500),
    "recent_releases": (0.03177, 12),
}


def compass_score(
    values: Mapping[str, float], model: Mapping[str, tuple[float, float]] = COMPASS_ACTIVITY
) -> float:
    """Criticality-score form normalised to [0, 1]: ``(S − MIN)/(MAX − MIN)``.

    ``S = Σ wᵢ·log(1+xᵢ)/log(1+max(xᵢ,Tᵢ)) / Σ|wᵢ|`` with ``MAX = P/(P−N)``, ``MIN = −N/(P−N)``
    where P is the sum of positive and N the sum of negative weights (N ≤ 0).
    """
    positive = sum(w for w, _ in model.values() if w > 0)
    negative = sum(w for w, _ in model.values() if w < 0)
    total = positive - negative
    raw = 0.0
    for name, (weight, threshold) in model.items():
        x = max(0.0, float(values.get(name, 0.0)))
        raw += weight * math.log1p(x) / math.log1p(max(x, threshold))
    score = raw / total
    lo, hi = negative / total, positive / total
    return (score - lo) / (hi - lo)
