"""The monthly SQL pipeline on hand-made event logs (Parquet written here, row by row)."""

from __future__ import annotations

import itertools
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from nbopen.analytics import store
from nbopen.analytics.compute import Affiliations, compute_month

_ids = itertools.count(1)


def ev(kind: str, actor: int, repo: int, when: str, **extra: Any) -> dict[str, Any]:
    etype, _, action = kind.partition(":")
    row: dict[str, Any] = dict.fromkeys(store.EVENT_FIELDS)
    row.update(
        id=str(next(_ids)),
        type=etype,
        action=action,
        actor_id=actor,
        actor_login=f"u{actor}",
        repo_id=repo,
        repo_name=f"org{repo}/r{repo}",
        org_login="",
        is_pull=False,
        pull_merged=False,
        private=False,
        created_at=datetime.fromisoformat(when),
    )
    row.update(extra)
    return row


def write(base: Path, platform: str, month: str, rows: list[dict[str, Any]]) -> None:
    store.write_atomic(
        store.event_file(platform, month, "test", base),
        pa.Table.from_pylist(rows, schema=store.EVENT_SCHEMA),
    )


def metrics(base: Path, month: str) -> dict[tuple[str, str, str, str], float]:
    rows = duckdb.execute(
        "SELECT entity_type, entity_id, metric, scope, value FROM read_parquet(?)",
        [str(store.metrics_file(month, base))],
    ).fetchall()
    return {(t, i, m, s): v for t, i, m, s, v in rows}


def test_bus_factor_and_response_times(tmp_path: Path) -> None:
    issue = {"issue_author_id": 1, "issue_created_at": datetime(2024, 5, 1, 0, 0)}
    rows = [
        # repo 1: u1 opens 3 issues; u2 comments twice; u3 once.
        *[
            ev("IssuesEvent:opened", 1, 1, f"2024-05-0{d} 00:00", issue_id=100 + d, **issue)
            for d in (1, 2, 3)
        ],
        ev("IssueCommentEvent:created", 2, 1, "2024-05-01 06:00", issue_id=101, comment_id=1),
        ev("IssueCommentEvent:created", 2, 1, "2024-05-03 12:00", issue_id=103, comment_id=2),
        ev("IssueCommentEvent:created", 3, 1, "2024-05-02 18:00", issue_id=102, comment_id=3),
        # the author's own comment on 102 comes first but is no response
        ev("IssueCommentEvent:created", 1, 1, "2024-05-02 01:00", issue_id=102, comment_id=4),
        ev("IssuesEvent:closed", 1, 1, "2024-05-05 00:00", issue_id=101, **issue),
    ]
    # repo 2: a private repository with lots of activity
    rows += [
        ev("IssuesEvent:opened", 4, 2, "2024-05-09 00:00", issue_id=200 + i, private=True)
        for i in range(5)
    ]
    write(tmp_path, "github", "2024-05", rows)
    ctx = Affiliations(
        developers={("github", 2): "uni", ("github", 3): "corp", ("github", 1): "corp"}
    )
    assert compute_month("2024-05", ctx, base=tmp_path) > 0
    m = metrics(tmp_path, "2024-05")
    a1 = math.sqrt(3 * 2.2235 + 0.5252)  # three issues and one (own) comment
    a2 = math.sqrt(2 * 0.5252)
    a3 = math.sqrt(0.5252)
    assert m[("repo", "1", "activity", "public")] == round(a1 + a2 + a3, 2)
    assert m[("repo", "1", "bus_factor", "public")] == 1  # u1: 2.68 of 4.43
    # corp = u1 + u3 (3.41), uni = u2 (1.02): corp alone holds half
    assert m[("repo", "1", "elephant_factor", "public")] == 1
    # responses: 101 after 6 h, 102 after 18 h (not the author's 1 h), 103 after 12 h
    assert m[("repo", "1", "issue_response_time.avg", "public")] == pytest.approx(0.5)
    assert m[("repo", "1", "issue_response_time.quantile_4", "public")] == pytest.approx(0.75)
    assert m[("repo", "1", "issue_resolution_duration.avg", "public")] == pytest.approx(4.0)
    # private repository: its own row is flagged, and it is absent from public aggregates
    private = duckdb.execute(
        "SELECT DISTINCT private FROM read_parquet(?) WHERE entity_type = 'repo'"
        " AND entity_id = '2'",
        [str(store.metrics_file("2024-05", tmp_path))],
    ).fetchall()
    assert private == [(True,)]
    assert m[("city", "city", "activity", "public")] == round(a1 + a2 + a3, 2)
    assert ("user", "4", "activity", "public") not in m
    assert ("repo", "2", "openrank", "public") not in m


def test_recompute_is_idempotent(tmp_path: Path) -> None:
    write(
        tmp_path,
        "github",
        "2024-06",
        [
            ev("IssuesEvent:opened", 1, 1, "2024-06-01 00:00", issue_id=1),
            ev("PushEvent", 1, 1, "2024-06-01 01:00", commits=2),
        ],
    )
    compute_month("2024-06", Affiliations(), base=tmp_path)
    first = metrics(tmp_path, "2024-06")
    compute_month("2024-06", Affiliations(), base=tmp_path)
    assert metrics(tmp_path, "2024-06") == first
    assert first[("repo", "1", "commits", "public")] == 2


def test_quiet_months_carry_attenuated_openrank(tmp_path: Path) -> None:
    from nbopen.analytics.compute import _write

    _write(
        store.metrics_file("2024-01", tmp_path),
        [
            ("repo", "github", "7", "a/b", "openrank", 10.0, False, "public"),
            ("user", "github", "8", "carol", "openrank", 1.1, False, "public"),
        ],
    )
    assert compute_month("2024-02", Affiliations(), base=tmp_path) == 2
    feb = metrics(tmp_path, "2024-02")
    assert feb[("repo", "7", "openrank", "public")] == pytest.approx(8.5)
    assert feb[("user", "8", "openrank", "public")] == pytest.approx(0.935)
    # 0.935 ≤ 1: the user drops out; the repository keeps attenuating.
    assert compute_month("2024-03", Affiliations(), base=tmp_path) == 1
    assert metrics(tmp_path, "2024-03") == {
        ("repo", "7", "openrank", "public"): pytest.approx(7.225)
    }
