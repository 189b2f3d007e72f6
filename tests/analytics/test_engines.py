"""DuckDB and Apache Spark give the same metrics for the same events.

A seeded, generated event log over two months (every event kind the job reads, private
repositories, a bot, merged PRs credited to their authors, registry and membership
affiliations) is computed month by month with each engine into its own store; every metric
row must match. One Spark session (``local[1]``) serves the whole module.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nbopen.analytics import engines, store
from nbopen.analytics.compute import Affiliations, compute_month
from nbopen.cli.main import main
from tests.analytics.test_compute import ev, write

pytestmark = pytest.mark.once  # DuckDB and Spark over Parquet: no Django database

MONTHS = ["2024-05", "2024-06"]
KINDS = [
    ("PushEvent", 30),
    ("IssuesEvent:opened", 12),
    ("IssuesEvent:closed", 6),
    ("IssueCommentEvent:created", 20),
    ("PullRequestEvent:opened", 8),
    ("PullRequestEvent:closed", 8),
    ("PullRequestReviewCommentEvent:created", 6),
    ("PullRequestReviewEvent:created", 3),
    ("WatchEvent:started", 5),
    ("ForkEvent", 2),
]


def _events(month: str, rng: random.Random, start_id: int) -> list[dict[str, Any]]:
    rows = []
    t0 = datetime.fromisoformat(f"{month}-01")
    kinds, weights = zip(*KINDS, strict=True)
    for n in range(500):
        kind = rng.choices(kinds, weights)[0]
        actor = rng.choice([1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99])
        repo = rng.choice([1, 1, 2, 3, 4, 5, 6])
        issue = repo * 100 + rng.randrange(15)
        author = rng.randrange(1, 13)
        extra: dict[str, Any] = {
            "repo_name": f"org{repo % 3}/r{repo}",
            "actor_login": "ci[bot]" if actor == 99 else f"u{actor}",
            "private": repo == 6,
            # distinct timestamps: "latest name" picks cannot tie
            "created_at": t0 + timedelta(minutes=37 * n + rng.randrange(30)),
        }
        if kind.split(":")[0] != "PushEvent" and not kind.startswith(("Watch", "Fork")):
            extra |= {
                "issue_id": issue,
                "issue_author_id": author,
                "issue_author_login": f"u{author}",
                "issue_created_at": t0 - timedelta(days=rng.randrange(20)),
                "is_pull": kind.startswith("PullRequest"),
                "comment_id": start_id + n,
                "pull_merged": kind == "PullRequestEvent:closed" and rng.random() < 0.7,
            }
        if kind == "PushEvent":
            extra["commits"] = rng.randrange(1, 5)
        rows.append(ev(kind, actor, repo, "2024-01-01", **extra))
    return rows


def _metrics(base: Path, month: str) -> dict[tuple[str, ...], tuple[float, Any, Any]]:
    rows = duckdb.execute(
        "SELECT entity_type, platform, entity_id, metric, scope, value, entity_name, private "
        "FROM read_parquet(?)",
        [str(store.metrics_file(month, base))],
    ).fetchall()
    out = {tuple(r[:5]): (r[5], r[6], r[7]) for r in rows}
    assert len(out) == len(rows), "one row per entity, metric and scope"
    return out


@pytest.fixture(scope="module")
def spark() -> Iterator[None]:
    engines.spark_session("local[1]")
    yield
    engines.stop_spark()


def test_duckdb_and_spark_give_identical_metrics(tmp_path: Path, spark: None) -> None:
    rng = random.Random(7)
    duck, spk = tmp_path / "duckdb", tmp_path / "spark"
    for i, month in enumerate(MONTHS):
        write(duck, "github", month, _events(month, rng, 10_000 * (i + 1)))
    shutil.copytree(duck, spk)
    ctx = Affiliations(
        registry={("github", "org1"): "nbcorp", ("github", "u5"): "nbu"},
        org_kinds={"nbcorp": "enterprise", "nbu": "university"},
        developers={("github", 1): "nbcorp", ("github", 2): "nbu", ("github", 3): "nbu"},
    )
    for month in MONTHS:
        counts = {
            engine: compute_month(month, ctx, base=base, engine=engine)
            for engine, base in (("duckdb", duck), ("spark", spk))
        }
        assert counts["duckdb"] == counts["spark"] > 0
        expected, got = _metrics(duck, month), _metrics(spk, month)
        assert got.keys() == expected.keys()
        for key, (value, name, private) in expected.items():
            assert got[key][0] == pytest.approx(value, rel=1e-12, abs=1e-12), key
            assert got[key][1:] == (name, private), key
    # The comparison covered what the Spark side computes: activity counts, OpenRank (carried
    # across months), contributor history, per-actor counts, affiliations.
    june = _metrics(duck, "2024-06")
    metrics = {k[3] for k in june}
    for needed in ("activity", "openrank", "new_contributors", "pushes", "elephant_factor"):
        assert needed in metrics
    assert sum(1 for k in june if k[0] == "user" and k[3] == "openrank") >= 10
    assert not any(k[2] == "99" for k in june if k[3] == "openrank"), "bots have no OpenRank"
    assert june[("repo", "github", "6", "activity", "public")][2] is True  # private flagged


def test_unknown_engine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="analytics engine"):
        compute_month("2024-05", Affiliations(), base=tmp_path, engine="hadoop")


def test_cli_offers_the_engines_and_refuses_others(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["analytics", "compute", "--engine", "hadoop"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'hadoop'" in err and "'duckdb', 'spark'" in err
