"""Competition scoring throughput: the sandboxed child against the same metric in-process.

    .venv/bin/python bench/competitions.py [--submissions 20] [--rows 100000]

Scores ``--submissions`` CSV submissions of ``--rows`` rows with the built-in RMSE through
``nbopen.challenges.sandbox.run`` (what the scoring task does: a warm zygote under
``unshare -rnm`` forks a fresh child per submission with its rlimits, wall-time and memory
watch), and, in the same run, the reference: the same parsing and metric
(``sandbox._builtin``) called directly in this process, alternating one with the other so
both see the same machine load. Prints submissions per second of both (median per
submission, and over the whole run — the first zygote's start included) and the ratios (the
issue's goal is ≤ 1.5×).

With ``--leaderboard`` it measures the issue's other goal instead, "leaderboard page p95 <
100 ms with 10 000 submissions": a live ``nbopen serve`` (``bench/_nbopenserver.py``; SQLite,
or ``--database-url`` for PostgreSQL), a running competition seeded with ``--submissions``
(default 10 000) scored submissions from ``--teams`` (default 2 000) teams — the rows
``services._finish`` writes (state finished, ``{split: {metric: value}}`` rounded to the
competition's precision), bulk-inserted because scoring 10 000 files would take hours —
then the p95 of ``GET /competitions/SLUG?tab=leaderboard`` and ``GET
/api/v1/competitions/SLUG/leaderboard``, on the public split while running and on the private
one after the host closed the phase. The references, in the same run: ``/healthz`` on the
same server (its floor per request), and the ranking as one SQL query straight on the
database (best finished submission per team on the public split, ordered).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nbopen.challenges import sandbox


def _files(work: Path, rows: int) -> tuple[Path, Path]:
    rng = random.Random(15)
    truth = [rng.random() * 100 for _ in range(rows)]
    gt = work / "gt.csv"
    sub = work / "sub.csv"
    gt.write_text(
        "id,target,split\n"
        + "".join(f"{i},{v:.4f},{'public' if i % 3 else 'private'}\n" for i, v in enumerate(truth))
    )
    sub.write_text(
        "id,target\n" + "".join(f"{i},{v + rng.gauss(0, 1):.4f}\n" for i, v in enumerate(truth))
    )
    return gt, sub


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--leaderboard", action="store_true")
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", choices=["create", "close"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        _seed(args.seed, args.submissions or 10_000, args.teams)
        return
    if args.leaderboard:
        _leaderboard(args.submissions or 10_000, args.teams, args.requests, args.database_url)
        return
    args.submissions = args.submissions or 20
    work = Path(tempfile.mkdtemp(prefix="bench-compete-"))
    gt, sub = _files(work, args.rows)
    request = {
        "ground_truth": str(gt),
        "submission": str(sub),
        "phase": "main",
        "id_column": "id",
        "target_column": "target",
        "split_column": "split",
        "metric": "rmse",
        "public_fraction": 0.5,
        "data_dir": str(work / "data"),
    }
    limits = {"cpu": 120, "wall": 300, "memory": 2048 << 20, "output": 64 << 20}
    sandboxed, direct = [], []
    for _ in range(args.submissions):
        start = time.perf_counter()
        sandbox.run(request, work_dir=work, limits=limits)
        sandboxed.append(time.perf_counter() - start)
        start = time.perf_counter()
        sandbox._builtin({**request, "limits": limits})
        direct.append(time.perf_counter() - start)
    sandbox.shutdown()
    ours, reference = statistics.median(sandboxed), statistics.median(direct)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "submissions": args.submissions,
                "isolation": sandbox.isolation(),
                "sandboxed_per_s": round(1 / ours, 2),
                "direct_per_s": round(1 / reference, 2),
                "sandboxed_median_s": round(ours, 3),
                "direct_median_s": round(reference, 3),
                "ratio": round(ours / reference, 2),
                "sandboxed_total_s": round(sum(sandboxed), 1),
                "direct_total_s": round(sum(direct), 1),
                "ratio_total": round(sum(sandboxed) / sum(direct), 2),
            }
        )
    )


SLUG = "bench-lb"


def _seed(step: str, submissions: int, teams: int) -> None:
    """Run in a child with the server's environment: the competition through the service
    layer, its teams and scored submissions in bulk; or the host closing the phase."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from nbopen.access.policy import Principal
    from nbopen.challenges import services
    from nbopen.challenges.models import Competition, Submission, Team, TeamMember
    from nbopen.orgs.services import org_create

    user_model = get_user_model()
    host = user_model.objects.get(username="bench")
    if step == "close":
        competition = Competition.objects.get(slug=SLUG)
        services.competition_close(actor=Principal(user=host), competition=competition)
        print(json.dumps({"closed": True}))
        return
    org = org_create(name="bench-host", kind="enterprise", owner=host)
    competition = services.competition_create(
        actor=Principal(user=host),
        organization=org,
        slug=SLUG,
        title="Leaderboard bench",
        datasets=[],
        metric="rmse",
        daily_quota=1000,
        end=None,
    )
    services.ground_truth_set(
        actor=Principal(user=host),
        competition=competition,
        source=io.BytesIO(b"id,target\n" + b"".join(b"%d,1.0\n" % i for i in range(100))),
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    phase = competition.phases.get()
    rng = random.Random(15)
    with transaction.atomic():
        users = user_model.objects.bulk_create(
            [
                user_model(username=f"player{i}", email=f"player{i}@example.org", password="!")  # noqa: S106 - unusable
                for i in range(teams)
            ]
        )
        made = Team.objects.bulk_create(
            [
                Team(competition=competition, name=f"team-{i:05d}", join_code=f"bench{i:08d}")
                for i in range(teams)
            ]
        )
        TeamMember.objects.bulk_create(
            [
                TeamMember(competition=competition, team=team, user=user)
                for team, user in zip(made, users, strict=True)
            ]
        )
        now = time.time()
        rows = []
        for n in range(submissions):
            skill = 5 + (n % teams) / teams * 20
            public = round(skill + rng.random(), competition.precision)
            private = round(skill + rng.random(), competition.precision)
            rows.append(
                Submission(
                    competition=competition,
                    phase=phase,
                    team=made[n % teams],
                    user=users[n % teams],
                    file_oid=f"{n:064x}",
                    size=1000,
                    state=Submission.State.FINISHED,
                    scores={"public": {"rmse": public}, "private": {"rmse": private}},
                )
            )
        Submission.objects.bulk_create(rows, batch_size=1000)
        Submission.objects.filter(competition=competition).update(finished_at=_aware(now))
    # The reference: the ranking as one query on the database itself.
    score = (
        "CAST(scores -> 'public' ->> 'rmse' AS double precision)"
        if connection.vendor == "postgresql"
        else "CAST(json_extract(scores, '$.public.rmse') AS REAL)"
    )
    sql = (
        f"SELECT team_id, MIN({score}) AS best FROM challenges_submission "  # noqa: S608 - score is one of two literals above
        "WHERE phase_id = %s AND state = 'finished' GROUP BY team_id ORDER BY best"
    )
    times = []
    for _ in range(30):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, [phase.pk])
            ranked = cursor.fetchall()
        times.append(time.perf_counter() - start)
    assert len(ranked) == teams, len(ranked)
    print(json.dumps({"sql_p95_ms": round(_p95(times) * 1000, 1), "vendor": connection.vendor}))


def _aware(epoch: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _timed(url: str, count: int, expect: bytes) -> dict[str, float]:
    """p50/p95 in ms of ``count`` sequential GETs after two warm-up ones; ``first_ms`` is the
    first one (the ranking computed, not yet cached)."""
    times, first = [], 0.0
    for n in range(count + 2):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
        if n >= 2:
            times.append(time.perf_counter() - start)
        elif n == 0:
            first = time.perf_counter() - start
        if expect not in body:
            raise RuntimeError(f"{url}: {expect!r} not in the answer")
    return {
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(_p95(times) * 1000, 1),
        "first_ms": round(first * 1000, 1),
        "bytes": len(body),
    }


def _leaderboard(submissions: int, teams: int, count: int, database_url: str | None) -> None:
    import socket

    from bench._nbopenserver import NBopenServer

    work = Path(tempfile.mkdtemp(prefix="bench-leaderboard-"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = NBopenServer(work / "data", port, work, database_url=database_url)
    env = {**server.env, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}

    def seed(step: str) -> dict[str, Any]:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--seed",
                step,
                "--submissions",
                str(submissions),
                "--teams",
                str(teams),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode:
            raise RuntimeError(proc.stderr[-3000:])
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))

    server.env = env
    try:
        server.start()
        started = time.perf_counter()
        reference = seed("create")
        seeded = round(time.perf_counter() - started, 1)
        page = f"{server.url}/competitions/{SLUG}?tab=leaderboard"
        api = f"{server.url}/api/v1/competitions/{SLUG}/leaderboard"
        last = f"team-{0:05d}".encode()
        result: dict[str, Any] = {
            "submissions": submissions,
            "teams": teams,
            "requests": count,
            "database": reference["vendor"],
            "seed_s": seeded,
            "healthz": _timed(server.url + "/healthz", count, b""),
            "ranking_sql_p95_ms": reference["sql_p95_ms"],
            "page_public": _timed(page, count, last),
            "api_public": _timed(api, count, last),
        }
        seed("close")
        result["page_private"] = _timed(page + "&split=private", count, last)
        result["api_private"] = _timed(api + "?split=private", count, last)
        print(json.dumps(result))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
