"""Dataset conversion and viewer API benchmark.

    .venv/bin/python bench/datasets.py [--rows 10000000] [--keep DIR] [--requests 40]

1. generates a CSV of ``--rows`` rows (ints, floats, booleans, timestamps, nulls, Chinese
   categories and Chinese free text) with DuckDB;
2. converts it to Parquet with NBopen's converter and with DuckDB's own
   ``read_csv`` → ``COPY … (FORMAT parquet)``, each in a fresh process, and prints wall time
   and peak resident memory of both, with the ratio;
3. pushes the same file with git-lfs to a live ``nbopen serve``, waits for the whole
   background job (conversion, statistics, search index) and prints its time and the
   server's peak memory;
4. prints median and p95 latencies of ``/rows`` (random offsets), ``/search`` (Chinese
   words) and ``/filter`` (where + orderby) against that server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.live import LiveServer  # noqa: E402

MACRO = "CREATE MACRO h(x, n) AS (hash(x) % n)::BIGINT"
GENERATE = """
COPY (
  SELECT
    i AS id,
    ['宁波', '杭州', '温州', '舟山', '绍兴', '嘉兴'][1 + h(i, 6)] AS city,
    round(h(i * 3, 1000000) / 100.0, 2) AS amount,
    CASE WHEN h(i * 5, 40) = 0 THEN NULL ELSE h(i * 7, 1000) END AS qty,
    h(i * 11, 2) = 0 AS paid,
    TIMESTAMP '2020-01-01' + to_seconds(h(i * 13, 150000000)) AS created,
    ['集装箱吞吐量', '智能制造产线', '港口物流调度', '工业软件许可', '智能终端出货']
      [1 + h(i * 17, 5)]
      || '第' || h(i * 19, 997)::VARCHAR || '批次，'
      || ['运行平稳', '需要复核', '提前完成', '客户满意', '延误两天'][1 + h(i * 23, 5)]
      AS note
  FROM range(?) t(i)
) TO '{path}' (FORMAT csv, HEADER true)
"""

OURS = """
import json, resource, sys, time
from pathlib import Path
from nbopen.datasets.convert import Source, convert_split
src, out = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
result = convert_split(fmt="csv", sources=[Source(src.name, src, src.stat().st_size)],
                       out_dir=out, options={})
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": result.num_rows,
                  "parquet_bytes": sum(f.size for f in result.files),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

DUCKDB = """
import json, resource, sys, time
import duckdb
src, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
con = duckdb.connect()
con.execute("COPY (SELECT * FROM read_csv(?)) TO '" + out + "' (FORMAT parquet)", [src])
rows = con.execute("SELECT count(*) FROM read_parquet(?)", [out]).fetchall()[0][0]
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": rows,
                  "parquet_bytes": __import__("os").path.getsize(out),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="nbopen-bench-ds-data-")
    env = {**os.environ, "NBOPEN_DATA_DIR": data_dir}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def api(server: LiveServer, endpoint: str, **params: Any) -> tuple[float, Any]:
    url = f"{server.url}/datasets-server/{endpoint}?{urllib.parse.urlencode(params)}"
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = json.loads(response.read())
    return time.perf_counter() - t0, body


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the server and its children (granian runs the app in a worker process)."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total = max(total, int(line.split()[1]) / 1024)
    return total


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: temporary)")
    opts = parser.parse_args()
    work = opts.keep or Path(tempfile.mkdtemp(prefix="nbopen-bench-ds-"))
    work.mkdir(parents=True, exist_ok=True)
    import duckdb

    csv_path = work / "repo" / "orders.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    gen = duckdb.connect()
    gen.execute(MACRO)
    gen.execute(GENERATE.format(path=str(csv_path)), [opts.rows])
    gen.close()
    size_mb = csv_path.stat().st_size / 1e6
    print(f"generated {opts.rows:,} rows, {size_mb:,.0f} MB in {time.perf_counter() - t0:.1f} s")

    ours = child(OURS, str(csv_path), str(work / "ours"))
    ref = child(DUCKDB, str(csv_path), str(work / "duckdb.parquet"))
    assert ours["rows"] == ref["rows"] == opts.rows, (ours, ref)
    print("\nCSV → Parquet (fresh process each)        time        peak RSS    parquet")
    for name, r in (
        ("NBopen converter (pyarrow streaming)", ours),
        ("DuckDB read_csv → COPY", ref),
    ):
        print(
            f"  {name:<38} {r['seconds']:7.1f} s  {r['peak_rss_mb']:7.0f} MB"
            f"  {r['parquet_bytes'] / 1e6:7.0f} MB"
        )
    print(
        f"  ratio NBopen/DuckDB: time {ours['seconds'] / ref['seconds']:.2f}x, "
        f"memory {ours['peak_rss_mb'] / ref['peak_rss_mb']:.2f}x"
    )

    server = LiveServer(work / "server").start()
    try:
        token = server.create_user("bench")
        request = urllib.request.Request(
            server.url + "/api/repos/create",
            method="POST",
            data=json.dumps({"name": "orders", "type": "dataset"}).encode(),
            headers={"Authorization": f"Bearer {token}"},
        )
        urllib.request.urlopen(request).close()
        repo = csv_path.parent
        env_home = work / "home"
        env_home.mkdir(exist_ok=True)
        os.environ.setdefault("GIT_AUTHOR_NAME", "bench")
        os.environ.setdefault("GIT_AUTHOR_EMAIL", "bench@example.org")
        os.environ.setdefault("GIT_COMMITTER_NAME", "bench")
        os.environ.setdefault("GIT_COMMITTER_EMAIL", "bench@example.org")
        git("init", "-q", "-b", "main", cwd=repo)
        git("lfs", "install", "--local", cwd=repo)
        git("lfs", "track", "*.csv", cwd=repo)
        git("add", "-A", cwd=repo)
        git("commit", "-qm", "orders", cwd=repo)
        url = server.url.replace("http://", f"http://bench:{token}@") + "/datasets/bench/orders.git"
        t0 = time.perf_counter()
        git("push", "-q", url, "main", cwd=repo)
        pushed = time.perf_counter() - t0
        dataset = "bench/orders"
        while True:
            _, body = api(server, "splits", dataset=dataset)
            if not body["pending"] and (body["splits"] or body["failed"]):
                break
            time.sleep(0.5)
        total = time.perf_counter() - t0
        assert body["splits"], body
        assert server.proc is not None
        print(
            f"\nlive server: git-lfs push {pushed:.1f} s; push → converted + statistics + search "
            f"index {total:.1f} s; server peak RSS {peak_rss_mb(server.proc.pid):.0f} MB"
        )
        split = {"dataset": dataset, "config": "default", "split": "train"}
        rng = random.Random(1)
        n = opts.requests
        rows = [
            api(server, "rows", **split, offset=rng.randrange(opts.rows - 100), length=100)[0]
            for _ in range(n)
        ]
        queries = ["吞吐量", "智能制造 复核", "港口物流", "延误", "工业软件 客户满意"]
        searches = [
            api(
                server,
                "search",
                **split,
                query=queries[i % 5],
                offset=rng.randrange(50),
                length=100,
            )[0]
            for i in range(n)
        ]
        wheres = [
            ('"city" = \'宁波\' AND "amount" > 5000', '"amount" DESC'),
            ('"qty" IS NULL', ""),
            ('"paid" = true AND "qty" < 10', '"created"'),
        ]
        filters = [
            api(server, "filter", **split, where=wheres[i % 3][0], orderby=wheres[i % 3][1])[0]
            for i in range(n)
        ]
        _, stats = api(server, "statistics", **split)
        print(f"statistics: {len(stats['statistics'])} columns over {stats['num_examples']:,} rows")
        print(f"\nviewer API latency over {n} requests each ({opts.rows:,} rows)")
        print(f"  /rows   (random offset, 100 rows)  {summary(rows)}")
        print(f"  /search (Chinese words, jieba)     {summary(searches)}")
        print(f"  /filter (where + orderby)          {summary(filters)}")
    finally:
        server.stop()
        if opts.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
