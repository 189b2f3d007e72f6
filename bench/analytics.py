"""Monthly analytics pipeline at 1M / 10M / 50M synthetic events (embedded default: DuckDB).

For each size: synthetic events of one month are written as Parquet in the store's layout
(DuckDB generates them), then the measurements run, each in a fresh child process. Peak
memory is the larger of the child's maximum RSS (``os.wait4``) and the peak of the summed RSS
of its whole process tree sampled every 0.2 s (so Spark's JVM counts):

* ``floor``    — DuckDB's raw scan of the same Parquet (every column the pipeline reads);
* ``pipeline`` — :func:`nbopen.analytics.compute.compute_month` (every metric, OpenRank) on
  each engine of ``--engines`` (``duckdb``, the embedded default; ``spark``, Apache Spark
  local mode, master ``--spark-master``).

Usage: ``python bench/analytics.py [--sizes 1M,10M,50M] [--engines duckdb,spark]
[--workdir DIR] [--memory-limit 1GB]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MONTH = "2024-05"
FILE_ROWS = 5_000_000

# type, action, share (per mille)
MIX = [
    ("PushEvent", "", 330),
    ("IssueCommentEvent", "created", 200),
    ("WatchEvent", "started", 100),
    ("PullRequestEvent", "opened", 50),
    ("PullRequestEvent", "closed", 50),
    ("IssuesEvent", "opened", 50),
    ("IssuesEvent", "closed", 30),
    ("PullRequestReviewCommentEvent", "created", 70),
    ("PullRequestReviewEvent", "created", 20),
    ("ForkEvent", "", 30),
    ("CreateEvent", "", 50),
    ("ReleaseEvent", "published", 20),
]


def _type_case(column: str) -> str:
    """A CASE mapping a 0..999 bucket to the event type (or action) by the mix above."""
    parts, upper = [], 0
    for etype, action, share in MIX:
        upper += share
        value = etype if column == "type" else action
        parts.append(f"WHEN b < {upper} THEN '{value}'")
    return "CASE " + " ".join(parts) + " END"


def generate(base: Path, size: int) -> float:
    """Write ``size`` events of one month; users ≈ size/100, repos ≈ size/1000, skewed."""
    import duckdb

    from nbopen.analytics import store

    users = max(100, size // 100)
    repos = max(10, size // 1000)
    folder = store.event_file("github", MONTH, "x", base).parent
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    con = duckdb.connect()
    for start in range(0, size, FILE_ROWS):
        stop = min(size, start + FILE_ROWS)
        path = folder / f"bench-{start // FILE_ROWS:03d}.parquet"
        con.execute(
            f"""
            COPY (
              WITH r AS (
                SELECT i, hash(i) % 1000 AS b,
                  -- skewed actors: a few very active developers, a long tail
                  CAST(floor({users} * pow((hash(i * 3 + 1) % 1000003) / 1000003.0, 3)) AS BIGINT)
                    AS actor,
                  hash(i * 5 + 2) % 1000 AS spread
                FROM range({start}, {stop}) t(i))
              SELECT CAST(i AS VARCHAR) AS id,
                {_type_case("type")} AS type, {_type_case("action")} AS action,
                actor AS actor_id, 'u' || actor AS actor_login,
                -- each developer works mostly in a home repository, sometimes elsewhere
                CAST(CASE WHEN spread < 800 THEN (actor * 7919) % {repos}
                     ELSE (actor * 7919 + spread) % {repos} END AS BIGINT) AS repo_id,
                'o' || (repo_id % 97) || '/r' || repo_id AS repo_name,
                CAST(repo_id % 97 AS BIGINT) AS org_id, 'o' || (repo_id % 97) AS org_login,
                CAST(repo_id * 1000 + hash(i * 11 + 3) % 300 AS BIGINT) AS issue_id,
                CAST(hash(i * 11 + 3) % 300 AS BIGINT) AS issue_number,
                CAST((hash(repo_id * 1000 + hash(i * 11 + 3) % 300) % {users}) AS BIGINT)
                  AS issue_author_id,
                'u' || issue_author_id AS issue_author_login,
                TIMESTAMP '{MONTH}-01' - INTERVAL 3 DAY AS issue_created_at,
                type LIKE 'PullRequest%' AS is_pull,
                CAST(i AS BIGINT) AS comment_id,
                hash(i * 13 + 4) % 10 < 7 AS pull_merged,
                CAST(1 + hash(i * 17) % 4 AS INTEGER) AS commits,
                repo_id % 50 = 0 AS private,
                TIMESTAMP '{MONTH}-01' + to_seconds(CAST(hash(i * 19) % (30 * 86400) AS BIGINT))
                  AS created_at
              FROM r
            ) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 500000)
            """  # noqa: S608
        )
    con.close()
    return time.perf_counter() - started


def write_hour_file(path: Path, lines: int) -> None:
    """A GH Archive–shaped hour file: ``lines`` events, 2 % of them on city repositories."""
    import gzip
    import json

    payloads = {
        "PushEvent": {
            "push_id": 1,
            "size": 2,
            "distinct_size": 2,
            "ref": "refs/heads/main",
            "commits": [{"sha": "a" * 40, "message": "fix", "distinct": True}] * 2,
        },
        "IssueCommentEvent": {
            "action": "created",
            "issue": {
                "id": 5,
                "number": 5,
                "user": {"id": 9, "login": "x"},
                "created_at": "2024-05-01T00:00:00Z",
                "body": "t" * 400,
            },
            "comment": {"id": 7, "body": "c" * 300},
        },
        "WatchEvent": {"action": "started"},
    }
    kinds = list(payloads)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(lines):
            kind = kinds[i % 3]
            owner = "city" if i % 50 == 0 else f"o{i % 9973}"
            event = {
                "id": str(40_000_000_000 + i),
                "type": kind,
                "actor": {
                    "id": i % 50_000,
                    "login": f"u{i % 50_000}",
                    "gravatar_id": "",
                    "url": "https://api.github.com/users/x",
                    "avatar_url": "https://x",
                },
                "repo": {
                    "id": i % 20_000,
                    "name": f"{owner}/r{i % 20_000}",
                    "url": "https://api.github.com/repos/x",
                },
                "payload": payloads[kind],
                "public": True,
                "created_at": f"2024-05-01T10:{(i // 60) % 60:02d}:{i % 60:02d}Z",
            }
            fh.write(json.dumps(event) + "\n")


def _child(mode: str, base: str, memory_limit: str, engine: str = "duckdb") -> None:
    """Runs inside the measured child process."""
    from nbopen.analytics import store

    started = time.perf_counter()
    if mode == "import":
        from nbopen.analytics.gharchive import CityFilter, import_file

        hour = Path(base) / "2024-05-01-10.json.gz"
        result = import_file(hour, CityFilter(frozenset({"city"}), frozenset()), base=Path(base))
        print(result.kept, time.perf_counter() - started)
        return
    if mode == "parse":
        import gzip
        import json

        with gzip.open(Path(base) / "2024-05-01-10.json.gz", "rt", encoding="utf-8") as fh:
            count = sum(1 for line in fh if json.loads(line))
        print(count, time.perf_counter() - started)
        return
    if mode == "pipeline":
        from nbopen.analytics.compute import Affiliations, compute_month

        # 1 developer in 20 is affiliated with one of 40 organizations; 97 GitHub orgs → 40.
        ctx = Affiliations(
            registry={("github", f"o{i}"): f"org{i % 40}" for i in range(97)},
            org_kinds={
                f"org{i}": ("enterprise", "university", "institute")[i % 3] for i in range(40)
            },
            developers={("github", d): f"org{d % 40}" for d in range(0, 2_000_000, 20)},
        )
        rows = compute_month(MONTH, ctx, base=Path(base), memory_limit=memory_limit, engine=engine)
        print(rows, time.perf_counter() - started, flush=True)
        if engine == "spark":
            from nbopen.analytics.engines import stop_spark

            stop_spark()
    else:
        con = store.connect(memory_limit)
        files = store.parquet_list(store.month_event_files(MONTH, Path(base)))
        result = con.execute(
            f"""
            SELECT count(*), max(id), min(type), max(action), sum(actor_id),
              max(actor_login), sum(repo_id), max(repo_name), max(org_login), sum(issue_id),
              sum(issue_author_id), max(issue_author_login), max(issue_created_at),
              sum(CAST(is_pull AS INT)), sum(comment_id), sum(CAST(pull_merged AS INT)),
              sum(commits), sum(CAST(private AS INT)), max(created_at)
            FROM read_parquet({files})
            """  # noqa: S608
        ).fetchone()
        print(result[0] if result else 0, time.perf_counter() - started)


def _tree_usage(root: int) -> tuple[int, dict[int, float]]:
    """Summed resident memory (bytes) of ``root`` and all its descendants, and each one's CPU
    seconds so far, from /proc (Spark's JVM is a child the driver never reaps)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[int, float]] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rpartition(")")[2].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # field 4: ppid
        # fields 14/15: utime/stime in ticks; field 24: rss in pages
        stats[pid] = (int(fields[21]) * page, (int(fields[11]) + int(fields[12])) / tick)
    total, cpu, todo = 0, {}, [root]
    while todo:
        pid = todo.pop()
        rss, seconds = stats.get(pid, (0, 0.0))
        total += rss
        cpu[pid] = seconds
        todo.extend(children.get(pid, []))
    return total, cpu


def measure(
    mode: str, base: Path, memory_limit: str, engine: str = "duckdb", spark_master: str = ""
) -> tuple[float, float, float, str]:
    """(wall seconds of work, CPU seconds, peak RSS in MiB, child's result) for one child run.
    Wall time is measured inside the child (interpreter start-up not counted); CPU time is
    the child's user + system time, or its process tree's as sampled from /proc when larger
    (Spark's JVM), which stays meaningful on a shared, loaded machine."""
    started = time.perf_counter()
    env = dict(os.environ)
    if spark_master:
        env["NBOPEN_SPARK_MASTER"] = spark_master
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            str(base),
            "--memory-limit",
            memory_limit,
            "--engines",
            engine,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = 0
    tree_cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            rss, cpu_now = _tree_usage(proc.pid)
            peak = max(peak, rss)
            for pid, seconds in cpu_now.items():
                tree_cpu[pid] = max(tree_cpu.get(pid, 0.0), seconds)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{mode} child failed ({proc.returncode})")
    result, _, seconds = out.strip().splitlines()[-1].rpartition(" ")
    # the child's own CPU (with the children it reaped) or the sampled tree's (last samples,
    # so slightly low), whichever is larger
    cpu = max(usage.ru_utime + usage.ru_stime, sum(tree_cpu.values()))
    peak_mib = max(usage.ru_maxrss * 1024, peak) / 2**20
    return float(seconds) if seconds else elapsed, cpu, peak_mib, result


def _size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * factor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1M,10M,50M")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's (it spills beyond)")
    parser.add_argument("--engines", default="duckdb", help="duckdb and/or spark, comma-separated")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--keep", action="store_true", help="keep the generated Parquet")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse Parquet kept in --workdir by --keep"
    )
    parser.add_argument(
        "--import-lines", type=int, default=0, help="also time importing one hour file of N lines"
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "BASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.memory_limit, args.engines)
        return
    work = Path(args.workdir or tempfile.mkdtemp(prefix="nbopen-bench-analytics-"))
    load = os.getloadavg()[0]
    print(
        f"# {os.cpu_count()} cores (load {load:.1f}), DuckDB memory limit {args.memory_limit},"
        f" month {MONTH}; floor = DuckDB scan of every column the pipeline reads"
    )
    header = (
        f"{'events':>11} {'parquet MiB':>11} {'gen s':>6} | {'engine':>7} {'pipeline s':>10} "
        f"{'cpu s':>7} {'peak MiB':>9} {'rows':>9} | {'scan s':>7} {'cpu s':>6} {'peak MiB':>9} | "
        f"{'ratio wall':>10} {'ratio cpu':>9}"
    )
    print(header)
    if args.import_lines:
        folder = work / "import"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        write_hour_file(folder / "2024-05-01-10.json.gz", args.import_lines)
        mib = (folder / "2024-05-01-10.json.gz").stat().st_size / 2**20
        imp_s, imp_cpu, imp_mem, kept = measure("import", folder, args.memory_limit)
        par_s, par_cpu, par_mem, _ = measure("parse", folder, args.memory_limit)
        print(
            f"# GH Archive import, one hour file of {args.import_lines:,} events ({mib:.0f} MiB gz,"
            f" {kept} kept): {imp_s:.1f} s wall, {imp_cpu:.1f} s CPU, peak {imp_mem:.0f} MiB;"
            f" floor gzip+json.loads: {par_s:.1f} s wall, {par_cpu:.1f} s CPU, peak"
            f" {par_mem:.0f} MiB; ratio cpu {imp_cpu / par_cpu:.2f}x",
            flush=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
    for text in args.sizes.split(","):
        size = _size(text)
        base = work / f"n{size}"
        if args.reuse and any(base.rglob("*.parquet")):
            shutil.rmtree(base / "metrics", ignore_errors=True)
            gen = 0.0
        else:
            shutil.rmtree(base, ignore_errors=True)
            gen = generate(base, size)
        mib = sum(p.stat().st_size for p in base.rglob("*.parquet")) / 2**20
        scan_s, scan_cpu, scan_mem, _ = measure("scan", base, args.memory_limit)
        for engine in args.engines.split(","):
            pipe_s, pipe_cpu, pipe_mem, rows = measure(
                "pipeline", base, args.memory_limit, engine, args.spark_master
            )
            print(
                f"{size:>11,} {mib:>11.0f} {gen:>6.1f} | {engine:>7} {pipe_s:>10.1f} "
                f"{pipe_cpu:>7.1f} {pipe_mem:>9.0f} {rows:>9} | {scan_s:>7.2f} {scan_cpu:>6.1f} "
                f"{scan_mem:>9.0f} | {pipe_s / scan_s:>9.1f}x {pipe_cpu / scan_cpu:>8.1f}x",
                flush=True,
            )
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
