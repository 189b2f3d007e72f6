"""Activity, bus factor, response times and the Compass score on hand-made inputs."""

from __future__ import annotations

import math

import pytest

from nbopen.analytics.formulas import (
    TimedEvent,
    activity,
    bus_factor,
    compass_score,
    duration_stats,
    elephant_factor,
    openrank_pair_weight,
    response_times,
)


def test_activity_by_hand() -> None:
    # 2 comments, 1 issue, 1 PR, 3 review comments, 1 merged PR:
    # 2·0.5252 + 2.2235 + 4.0679 + 3·0.7427 + 2.0339 = 1.0504 + 2.2235 + 4.0679 + 2.2281 + 2.0339
    value = activity(
        issue_comments=2, open_issues=1, open_pulls=1, review_comments=3, merged_pulls=1
    )
    assert value == pytest.approx(math.sqrt(11.6038), abs=1e-12)
    assert round(value, 2) == 3.41
    assert activity(issue_comments=4) == pytest.approx(math.sqrt(2.1008))
    assert activity() == 0


def test_openrank_pair_weight_by_hand() -> None:
    # 1 issue opened, 2 comments, 1 close, 1 review comment, 1 PR, 3 pushes
    weight = openrank_pair_weight(
        open_issues=1, issue_comments=2, closed_issues=1, review_comments=1, open_pulls=1, pushes=3
    )
    assert weight == pytest.approx(22.235 + 10.504 + 9.712 + 7.427 + 40.679 + 44.085)


def test_bus_factor_hand_made_logs() -> None:
    assert bus_factor({"a": 10, "b": 5, "c": 5}) == 1  # a holds exactly half
    assert bus_factor({"a": 4, "b": 3, "c": 2, "d": 1}) == 2  # 4 < 5, 4 + 3 ≥ 5
    assert bus_factor({"a": 1, "b": 1, "c": 1, "d": 1}) == 4  # ties at the cut are included
    assert bus_factor({"a": 5, "b": 2, "c": 2, "d": 1}) == 1
    assert bus_factor({"a": 3, "b": 2, "c": 2, "d": 2, "e": 1}) == 4  # 3+2 < 5 → b, c, d tie
    assert bus_factor({}) == 0
    assert elephant_factor({"corp": 8, "uni": 1, "gov": 1}) == 1


def test_response_times_hand_made_log() -> None:
    events = [
        TimedEvent("i1", "open", "alice", 0.0),
        TimedEvent("i1", "comment", "alice", 0.5),  # the author talking to herself: no response
        TimedEvent("i1", "comment", "bob", 2.25),
        TimedEvent("i1", "close", "carol", 1.5),  # a close by someone else is a response
        TimedEvent("i2", "open", "bob", 10.0),
        TimedEvent("i2", "review", "alice", 17.0),
        TimedEvent("i3", "open", "carol", 3.0),  # never answered
        TimedEvent("i3", "comment", "carol", 4.0),
    ]
    times = response_times(events)
    assert times == {"i1": 1.5, "i2": 7.0, "i3": 15.0}
    stats = duration_stats(times.values())
    assert stats is not None
    assert stats.avg == pytest.approx((1.5 + 7 + 15) / 3)
    assert stats.quantiles == (1.5, 4.25, 7.0, 11.0, 15.0)
    assert stats.levels == (1, 1, 1, 0)
    two = duration_stats([16.0, 3.0])
    assert two is not None and two.levels == (1, 0, 0, 1)


def test_compass_score_bounds() -> None:
    best = {
        "contributor_count": 2000,
        "commit_frequency": 1000,
        "updated_since": 0,
        "org_count": 10,
        "comment_frequency": 5,
        "code_review_count": 8,
        "updated_issues_count": 2500,
        "recent_releases": 12,
    }
    assert compass_score(best) == pytest.approx(1.0)
    worst = {"updated_since": 120}
    assert compass_score(worst) == pytest.approx(0.0)
    middle = compass_score({"contributor_count": 10, "commit_frequency": 20, "updated_since": 1})
    assert 0 < middle < 1
