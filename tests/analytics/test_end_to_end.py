"""GH Archive hour files → ``nbopen analytics import-gharchive`` → ``compute`` → ``export``,
checked against values computed here by hand-written rules (not by the pipeline's code)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.analytics.gharchive_factory import Account, Archive, Repo, at
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

ORG_NBCORP = Account(9001, "nbcorp")
ALICE, BOB, CAROL = Account(1, "alice"), Account(2, "bob"), Account(3, "carol")
DAVE, ERIN, ZED = Account(4, "dave"), Account(5, "erin"), Account(6, "zed")
BOT = Account(7, "ci[bot]")
ENGINE = Repo(101, "nbcorp/engine", org=ORG_NBCORP)
VISION = Repo(202, "nbu-lab/vision")
NOISE = Repo(303, "other/thing")


def _archive() -> Archive:
    a = Archive()
    # March, engine (nbcorp): an issue with a reply, a PR from carol merged by alice.
    i1 = a.open_issue(ALICE, ENGINE, at(1))
    a.comment(CAROL, ENGINE, i1, at(2))
    a.comment(ALICE, ENGINE, i1, at(2, 11))
    a.close_issue(ALICE, ENGINE, i1, at(3))
    p1 = a.open_pull(CAROL, ENGINE, at(4))
    a.review_comment(ALICE, ENGINE, p1, at(5))
    a.merge_pull(ALICE, ENGINE, p1, at(6))
    a.push(BOT, ENGINE, at(6, 12), commits=3)
    a.star(DAVE, ENGINE, at(7))
    a.fork(ERIN, ENGINE, at(7, 13))
    # March, vision (registered repo of the university): an unanswered issue, pushes, a PR
    # from alice (nbcorp) merged by bob.
    a.open_issue(BOB, VISION, at(10))
    a.push(BOB, VISION, at(11), commits=2)
    a.push(BOB, VISION, at(12))
    p2 = a.open_pull(ALICE, VISION, at(13))
    a.merge_pull(BOB, VISION, p2, at(14))
    # Noise outside the city: dropped at import.
    a.open_issue(ZED, NOISE, at(15))
    a.push(ZED, NOISE, at(15, 11))
    # April, engine: carol opens an issue, alice answers after two days.
    i3 = a.open_issue(CAROL, ENGINE, at(2, month=4))
    a.comment(ALICE, ENGINE, i3, at(4, month=4))
    return a


def _act(ic: int = 0, oi: int = 0, op: int = 0, rc: int = 0, mp: int = 0) -> float:
    return math.sqrt(0.5252 * ic + 2.2235 * oi + 4.0679 * op + 0.7427 * rc + 2.0339 * mp)


def _closed_form_openrank(
    pairs: dict[tuple[str, str], float], last: dict[str, float]
) -> dict[str, float]:
    """OpenDigger's graph solved exactly: v = (I − (I−R)S)⁻¹ R·init, background shared."""
    repos = sorted({r for r, _ in pairs})
    users = sorted({u for _, u in pairs})
    names = [*repos, *users, "bg"]
    n = len(names)
    ix = {k: i for i, k in enumerate(names)}
    s = np.zeros((n, n))
    rsum = {r: sum(a for (rr, _), a in pairs.items() if rr == r) for r in repos}
    usum = {u: sum(a for (_, uu), a in pairs.items() if uu == u) for u in users}
    for (r, u), a in pairs.items():
        s[ix[u], ix[r]] += 0.95 * a / rsum[r]
        s[ix[r], ix[u]] += 0.95 * a / usum[u]
    for k in names[:-1]:
        s[ix["bg"], ix[k]] += 0.05
        s[ix[k], ix["bg"]] += 1 / (n - 1)
    init = np.array(
        [0.85 * last.get(r, 0.0) for r in repos]
        + [0.85 * last.get(u, 0.0) + 1 / (1 + math.exp(0.10425 * (44.08 - usum[u]))) for u in users]
        + [0.0]
    )
    retention = np.diag([0.3] * len(repos) + [0.5] * len(users) + [0.15])
    v = np.linalg.solve(np.eye(n) - (np.eye(n) - retention) @ s, retention @ init)
    share = v[-1] / (n - 1)
    return {k: float(v[ix[k]] + share) for k in names[:-1]}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path / "data")
    srv.data_dir.mkdir(parents=True)
    srv.cli("migrate")
    try:
        yield srv
    finally:
        srv.stop()


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*.json"))}


def _read(folder: Path, *parts: str) -> dict[str, object]:
    return json.loads(folder.joinpath(*parts).read_text())


def test_import_compute_export(server: LiveServer, tmp_path: Path) -> None:
    hours = _archive().write_hours(tmp_path / "gha")
    server.cli("user", "create", "owner", "--email", "o@example.org", "--password", "pw-Owner-9x")
    server.cli("org", "create", "nbcorp", "--kind", "enterprise", "--owner", "owner")
    server.cli("org", "create", "nbu", "--kind", "university", "--owner", "owner")
    for login, org in [
        ("nbcorp", "nbcorp"),
        ("nbu-lab/vision", "nbu"),
        ("alice", "nbcorp"),
        ("bob", "nbu"),
    ]:
        server.cli(
            "analytics",
            "registry",
            "add",
            "--platform",
            "github",
            "--login",
            login,
            "--organization",
            org,
        )

    imported = server.cli("analytics", "import-gharchive", *map(str, hours))
    statuses = [json.loads(line) for line in imported.stdout.splitlines()]
    assert len(statuses) == len(hours) and all(s["status"] == "done" for s in statuses)
    assert sum(s["kept"] for s in statuses) == 17  # 19 generated, 2 outside the city
    server.cli("analytics", "compute", "--tolerance", "1e-10")
    out = tmp_path / "export"
    server.cli("analytics", "export", str(out))

    # Activity: merged PRs credited to the PR's author; pushes and stars do not count.
    alice_engine = _act(oi=1, ic=1, rc=1)
    carol_engine = _act(ic=1, op=1, mp=1)
    bob_vision, alice_vision = _act(oi=1), _act(op=1, mp=1)
    engine = _read(out, "github", "nbcorp", "engine", "activity.json")
    carol_april = _act(oi=1)
    alice_april = _act(ic=1)
    assert engine == {
        "2024-03": round(alice_engine + carol_engine, 2),
        "2024-04": round(carol_april + alice_april, 2),
        "2024Q1": round(alice_engine + carol_engine, 2),
        "2024Q2": round(carol_april + alice_april, 2),
        "2024": round(alice_engine + carol_engine + carol_april + alice_april, 2),
    }
    vision = _read(out, "github", "nbu-lab", "vision", "activity.json")
    assert vision["2024-03"] == round(bob_vision + alice_vision, 2)
    assert "2024-04" not in vision  # zero values are omitted
    assert _read(out, "github", "alice", "activity.json")["2024-03"] == round(
        alice_engine + alice_vision, 2
    )
    assert not (out / "github" / "other").exists()

    # Attention = stars + 2 × forks; contributors; bus factor (carol alone holds ≥ 50 %).
    assert _read(out, "github", "nbcorp", "engine", "attention.json")["2024-03"] == 3
    assert _read(out, "github", "nbcorp", "engine", "new_contributors.json") == {
        "2024": 1,
        "2024-03": 1,
        "2024Q1": 1,
    }
    assert carol_engine > alice_engine
    assert _read(out, "github", "nbcorp", "engine", "bus_factor.json")["2024-03"] == 1

    # Response times: engine's issue answered after 1 day (March) and 2 days (April); vision's
    # issue never answered → 15 days; vision's PR answered by the merge after 1 day.
    engine_rt = _read(out, "github", "nbcorp", "engine", "issue_response_time.json")
    assert engine_rt["avg"] == {"2024-03": 1, "2024-04": 2}
    assert engine_rt["levels"] == {"2024-03": [1, 0, 0, 0], "2024-04": [1, 0, 0, 0]}
    vision_rt = _read(out, "github", "nbu-lab", "vision", "issue_response_time.json")
    assert vision_rt["avg"] == {"2024-03": 15}
    assert vision_rt["levels"] == {"2024-03": [0, 0, 1, 0]}
    cr = _read(out, "github", "nbu-lab", "vision", "change_request_response_time.json")
    assert cr["avg"] == {"2024-03": 1}
    accepted = _read(out, "github", "nbu-lab", "vision", "change_request_acceptance_ratio.json")
    assert accepted == {"2024-03": 1}
    compass = _read(out, "github", "nbcorp", "engine", "compass_activity.json")
    assert set(compass) == {"2024-03", "2024-04"} and 0 < compass["2024-04"] < compass["2024-03"]
    resolution = _read(out, "github", "nbcorp", "engine", "issue_resolution_duration.json")
    assert resolution["avg"] == {"2024-03": 2}

    # OpenRank, March: pair weights by hand, then the closed form.
    march_pairs = {
        ("engine", "alice"): 22.235 + 5.252 + 9.712 + 7.427,
        ("engine", "carol"): 5.252 + 40.679,
        ("vision", "bob"): 22.235 + 2 * 14.695,
        ("vision", "alice"): 40.679,
    }
    march = _closed_form_openrank(march_pairs, {})
    april_pairs = {("engine", "carol"): 22.235, ("engine", "alice"): 5.252}
    april = _closed_form_openrank(april_pairs, march)
    # vision was inactive in April: it keeps 0.85× its March value while that exceeds 1.
    expected_vision = {"2024-03": march["vision"]}
    if march["vision"] > 1:
        expected_vision["2024-04"] = 0.85 * march["vision"]
    engine_or = _read(out, "github", "nbcorp", "engine", "openrank.json")
    assert engine_or["2024-03"] == round(march["engine"], 2)
    assert engine_or["2024-04"] == round(april["engine"], 2)
    assert engine_or["2024"] == round(march["engine"] + april["engine"], 2)
    vision_or = _read(out, "github", "nbu-lab", "vision", "openrank.json")
    assert vision_or["2024-03"] == round(expected_vision["2024-03"], 2)
    assert vision_or.get("2024-04") == (
        round(expected_vision["2024-04"], 2) if "2024-04" in expected_vision else None
    )
    assert _read(out, "github", "carol", "openrank.json")["2024-04"] == round(april["carol"], 2)
    assert not (out / "github" / "ci[bot]").exists()

    # Re-importing changes nothing: the ledger skips, --force rewrites the same files.
    before = _snapshot(out)
    again = server.cli("analytics", "import-gharchive", *map(str, hours))
    assert all(json.loads(line)["status"] == "done" for line in again.stdout.splitlines())
    server.cli("analytics", "import-gharchive", "--force", *map(str, hours))
    server.cli("analytics", "compute", "--tolerance", "1e-10")
    out2 = tmp_path / "export2"
    server.cli("analytics", "export", str(out2))
    assert _snapshot(out2) == before
