"""Render time of repository pages for a repository with 1,000 files and 5,000 commits.

    .venv/bin/python bench/web_render.py [--requests 50]

Starts a real ``nbopen serve`` on a temporary data dir, pushes the generated repository with
git, then times (median and p95 over N requests, keep-alive HTTP) the repository page, a tree
page and two commit-list pages. Two references are measured in the same run on the same
machine: a static file served by the same server (the floor for any response), and the git
plumbing the repository page needs, run directly (the floor for reading git).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.live import LiveServer

FILES = 1000
COMMITS = 5000
DIRS = 20


def fast_import_stream() -> bytes:
    """A git fast-import stream: one commit adding FILES files, then single-file edits."""
    out: list[bytes] = []
    t0 = 1_700_000_000

    def commit(n: int, message: str, changes: list[tuple[str, bytes]]) -> None:
        msg = message.encode()
        out.append(b"commit refs/heads/main\n")
        out.append(f"committer Bench <bench@example.org> {t0 + n * 60} +0800\n".encode())
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        for path, data in changes:
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))

    first = [("README.md", b"# Bench repository\n\nGenerated for bench/web_render.py.\n")]
    for i in range(FILES - 1):
        path = f"pkg{i % DIRS:02d}/module_{i:04d}.py"
        first.append((path, f"VALUE = {i}\n".encode()))
    commit(0, "initial import", first)
    for n in range(1, COMMITS):
        i = n % (FILES - 1)
        path = f"pkg{i % DIRS:02d}/module_{i:04d}.py"
        commit(n, f"change {n} in module {i}", [(path, f"VALUE = {i}\nREV = {n}\n".encode())])
    return b"".join(out)


def build_source(tmp: Path) -> Path:
    src = tmp / "src"
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=src, input=fast_import_stream(), check=True
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=src, check=True)
    return src


def time_requests(host: str, port: int, path: str, n: int) -> list[float]:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    times = []
    for _ in range(n + 2):  # two warm-up requests are discarded
        start = time.perf_counter()
        conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
        response = conn.getresponse()
        body = response.read()
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}: {body[:200]!r}")
    conn.close()
    return times[2:]


def time_plumbing(git_dir: Path, n: int, *, commit_graph: bool = True) -> list[float]:
    """The git calls the repository page makes, run directly (same subprocess cost).

    ``commit_graph=False`` ignores the commit-graph NBopen writes after every update, i.e. the
    plumbing as it ran before NBopen wrote one (the reference of issue 21's first figures)."""
    config = [] if commit_graph else ["-c", "core.commitGraph=false"]
    times = []
    for _ in range(n):
        start = time.perf_counter()
        for args in (
            ["for-each-ref", "--format=%(refname)%00%(objectname)", "refs/heads", "refs/tags"],
            ["rev-parse", "--verify", "--quiet", "refs/heads/main^{commit}"],
            ["cat-file", "-t", "main^{tree}"],
            ["ls-tree", "-z", "-l", "--full-tree", "main^{tree}"],
            ["cat-file", "blob", "main:README.md"],
            ["log", "--format=%H%x00%P%x00%an%x00%B", "--max-count=1", "main", "--"],
            ["rev-list", "--count", "main"],
        ):
            subprocess.run(["git", *config, *args], cwd=git_dir, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--clients",
        type=int,
        default=1,
        help="concurrent clients (each makes --requests requests; the plumbing reference runs "
        "with as many concurrent workers); latencies are pooled",
    )
    args = parser.parse_args()
    n, clients = args.requests, max(1, args.clients)

    def pooled(measure: Callable[[], list[float]]) -> list[float]:
        if clients == 1:
            return measure()
        with ThreadPoolExecutor(clients) as pool:
            runs = [pool.submit(measure) for _ in range(clients)]
            return [t for run in runs for t in run.result()]

    with tempfile.TemporaryDirectory(prefix="nbopen-bench-") as tmpdir:
        tmp = Path(tmpdir)
        os.environ.setdefault("GIT_AUTHOR_NAME", "Bench")
        os.environ.setdefault("GIT_AUTHOR_EMAIL", "bench@example.org")
        os.environ.setdefault("GIT_COMMITTER_NAME", "Bench")
        os.environ.setdefault("GIT_COMMITTER_EMAIL", "bench@example.org")
        print(f"building a repository with {FILES} files and {COMMITS} commits…", file=sys.stderr)
        src = build_source(tmp)
        server = LiveServer(tmp / "server").start()
        try:
            token = server.create_user("bench")
            request = urllib.request.Request(
                server.url + "/api/repos/create",
                method="POST",
                data=json.dumps({"name": "big", "type": "code"}).encode(),
                headers={"Authorization": f"Bearer {token}"},
            )
            urllib.request.urlopen(request).close()
            push = server.url.replace("http://", f"http://bench:{token}@") + "/bench/big.git"
            subprocess.run(["git", "push", "-q", push, "main"], cwd=src, check=True)
            count = subprocess.run(
                ["git", "rev-list", "--count", "main"], cwd=src, capture_output=True, text=True
            ).stdout.strip()
            files = subprocess.run(
                ["git", "ls-files"], cwd=src, capture_output=True, text=True
            ).stdout.count("\n")
            print(f"pushed: {count} commits, {files} files", file=sys.stderr)
            host, port = "127.0.0.1", server.port
            pages = {
                "repository page /bench/big": "/bench/big",
                "tree page /tree/main/pkg07": "/bench/big/tree/main/pkg07",
                "commits page 1": "/bench/big/commits/main",
                "commits page 100": "/bench/big/commits/main?page=100",
                "file view (blob)": "/bench/big/blob/main/pkg03/module_0003.py",
            }
            rows = []
            static = summary(
                pooled(lambda: time_requests(host, port, "/static/web/css/app.css", n))
            )
            rows.append(("reference: static file, same server", *static))
            git_dir = next((server.data_dir / "git").glob("*/*.git"))
            # Measure what the push computed: wait for the after-update job (commit-graph, then
            # the page cache at the new tip) rather than timing it.
            deadline = time.monotonic() + 120
            while (
                time.monotonic() < deadline
                and not (git_dir / "objects/info/commit-graphs/commit-graph-chain").exists()
            ):
                time.sleep(0.2)
            time.sleep(3)
            plumbing = summary(pooled(lambda: time_plumbing(git_dir, n)))
            rows.append(("reference: repo-page git plumbing alone", *plumbing))
            no_graph = summary(pooled(lambda: time_plumbing(git_dir, n, commit_graph=False)))
            rows.append(("  the same without the commit-graph", *no_graph))
            for label, path in pages.items():
                timed = pooled(lambda path=path: time_requests(host, port, path, n))
                rows.append((label, *summary(timed)))
        finally:
            server.stop()
    print(
        f"\n{n} requests each × {clients} concurrent client(s), {FILES} files, {COMMITS} commits"
        " (milliseconds)"
    )
    print("÷git: median ÷ the plumbing's median; p95÷git: p95 ÷ the plumbing's p95 (goal ≤ 0.5)")
    print(f"{'what':44} {'median':>8} {'p95':>8} {'÷static':>8} {'÷git':>6} {'p95÷git':>8}")
    for label, med, p95 in rows:
        print(
            f"{label:44} {med:8.1f} {p95:8.1f} {med / static[0]:8.1f} {med / plumbing[0]:6.2f}"
            f" {p95 / plumbing[1]:8.2f}"
        )


if __name__ == "__main__":
    main()
