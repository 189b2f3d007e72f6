"""Load test: many users at once against one ``nbopen serve``, beside a reference (issue 20).

Starts ``nbopen serve`` on a temp data dir (SQLite, or ``--database postgres://…`` — a fresh
database is created there and dropped afterwards) with the demo content plus a few seeded
repositories, then runs locust users on loopback for ``--duration`` seconds:

- git clones of a generated code repository (``git clone --bare``, the whole history),
- Hub uploads (a small file committed through ``/api/models/…/commit/main``, NDJSON, as
  ``huggingface_hub.upload_file`` does for small files) and downloads (``/resolve/``, an LFS
  file),
- page views (home, a repository page, the dataset viewer) and searches (page and API).

The reference runs in the same locust run, so it shares the machine's load: nginx serving a
static file of the resolve download's size (sendfile) and nginx + fcgiwrap + ``git
http-backend`` serving the same repository for clones (see bench/_refserver.py). Reported: errors
per route (goal 0), p50/p95 per route, and peak RSS of each server's whole process tree.

    .venv/bin/python bench/load.py                        # 60 s on SQLite
    .venv/bin/python bench/load.py --duration 600         # the issue's 10 minutes
    .venv/bin/python bench/load.py --database postgres://postgres@127.0.0.1:5432/nbopen_bench
"""

from __future__ import annotations

# locust patches the standard library with gevent on import: it comes first.
from locust import HttpUser, between, events, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gevent
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _nbopenserver import NBopenServer
from _refserver import INSTALL_HINT, ReferenceServer, missing_tools
from _repogen import ensure_repo
from git_transport import client_env, free_port
from hub_transfer import start_nginx

ROOT = Path(__file__).resolve().parent
USER = "bench"
CODE, MODEL, DATASET, UPLOADS = "history", "weights", "table", "uploads"
WEIGHTS = "weights.bin"


class Target:
    """What the users hit, filled in by :func:`main` before locust starts."""

    nbopen = ""
    token = ""
    reference = ""  # nginx + git http-backend
    static = ""  # nginx serving WEIGHTS
    scratch = Path()
    git_env: dict[str, str] = {}


def _clone(user: HttpUser, url: str, name: str) -> None:
    """One ``git clone --bare`` timed as a locust request (git is not HTTP to locust)."""
    dest = Target.scratch / f"clone-{uuid.uuid4().hex}"
    started = time.perf_counter()
    proc = subprocess.run(
        ["git", "clone", "-q", "--bare", url, str(dest)],
        env=Target.git_env,
        capture_output=True,
        text=True,
    )
    elapsed = (time.perf_counter() - started) * 1000
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file()) if dest.exists() else 0
    shutil.rmtree(dest, ignore_errors=True)
    error = RuntimeError(proc.stderr.strip()[-300:]) if proc.returncode else None
    user.environment.events.request.fire(
        request_type="GIT",
        name=name,
        response_time=elapsed,
        response_length=size,
        exception=error,
        context={},
    )


class NBopenUser(HttpUser):
    """A user of the forge and the Hub, weighted like a busy instance: reads dominate."""

    weight = 4
    wait_time = between(0.5, 2)

    @task(4)
    def home(self) -> None:
        self.client.get("/", name="page /")

    @task(3)
    def repo_page(self) -> None:
        self.client.get(f"/{USER}/{MODEL}", name="page /{owner}/{model}")

    @task(2)
    def viewer(self) -> None:
        self.client.get(f"/datasets/{USER}/{DATASET}/viewer", name="page dataset viewer")

    @task(2)
    def search_page(self) -> None:
        self.client.get("/search?q=model", name="page /search")

    @task(2)
    def search_api(self) -> None:
        self.client.get("/api/models?search=bench&limit=20", name="api /api/models?search")

    @task(3)
    def download(self) -> None:
        # The whole body is read before the time is taken (not streamed): a download's time.
        self.client.get(f"/{USER}/{MODEL}/resolve/main/{WEIGHTS}", name="hub resolve")

    @task(1)
    def upload(self) -> None:
        content = os.urandom(4096)
        lines = [
            {"key": "header", "value": {"summary": "load test upload"}},
            {
                "key": "file",
                "value": {
                    "path": f"uploads/{uuid.uuid4().hex}.bin",
                    "content": base64.b64encode(content).decode(),
                    "encoding": "base64",
                },
            },
        ]
        self.client.post(
            f"/api/models/{USER}/{UPLOADS}/commit/main",
            data="\n".join(json.dumps(line) for line in lines).encode(),
            headers={
                "Authorization": f"Bearer {Target.token}",
                "Content-Type": "application/x-ndjson",
            },
            name="hub commit (upload)",
        )

    @task(1)
    def clone(self) -> None:
        _clone(self, f"{Target.nbopen}/{USER}/{CODE}.git", "git clone")


class ReferenceUser(HttpUser):
    """The same downloads and clones from nginx, at the same time."""

    weight = 1
    wait_time = between(0.5, 2)

    @task(3)
    def download(self) -> None:
        self.client.get(f"/{WEIGHTS}", name="ref: nginx static")

    @task(1)
    def clone(self) -> None:
        _clone(self, f"{Target.reference}/{CODE}.git", "ref: git http-backend clone")


# --- set-up ---------------------------------------------------------------------------------


def _postgres(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _api(server: NBopenServer, path: str, body: bytes, content_type: str) -> None:
    request = urllib.request.Request(
        server.url + path,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()


def seed(server: NBopenServer, reference: ReferenceServer, work: Path, args: Any) -> int:
    """The repositories users hit; returns the size of the resolve download."""
    history = ensure_repo(ROOT / "out" / "cache", commits=args.commits, files=args.files)
    env = client_env(work / "home")
    for url in (server.create_repo(CODE), reference.create_repo(CODE, {})):
        subprocess.run(
            ["git", "-C", str(history.path), "push", "-q", url, "--all"],
            env=env,
            check=True,
            capture_output=True,
        )
    server.create_repo(MODEL, "model")
    server.create_repo(UPLOADS, "model")
    server.create_repo(DATASET, "dataset")
    weights = work / "static" / WEIGHTS
    weights.parent.mkdir(parents=True)
    weights.write_bytes(os.urandom(args.download_mib << 20))
    upload = (
        "from huggingface_hub import HfApi; import sys; "
        "HfApi().upload_file(path_or_fileobj=sys.argv[1], path_in_repo=sys.argv[2], "
        "repo_id=sys.argv[3], commit_message='weights')"
    )
    subprocess.run(
        [sys.executable, "-c", upload, str(weights), WEIGHTS, f"{USER}/{MODEL}"],
        env={
            **os.environ,
            "HF_ENDPOINT": server.url,
            "HF_TOKEN": server.token,
            "HF_HUB_DISABLE_XET": "1",  # an LFS object: what /resolve serves at sendfile speed
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HOME": str(work / "hf"),
        },
        check=True,
        capture_output=True,
    )
    rows = "id,city,score\n" + "".join(f"{i},城市{i % 50},{i * 0.37:.2f}\n" for i in range(5000))
    lines = [
        {"key": "header", "value": {"summary": "table"}},
        {
            "key": "file",
            "value": {
                "path": "data/train.csv",
                "content": base64.b64encode(rows.encode()).decode(),
                "encoding": "base64",
            },
        },
    ]
    _api(
        server,
        f"/api/datasets/{USER}/{DATASET}/commit/main",
        "\n".join(json.dumps(line) for line in lines).encode(),
        "application/x-ndjson",
    )
    return weights.stat().st_size


class PeakRss:
    """Peak resident memory of each process tree (children included), sampled every 0.2 s."""

    def __init__(self, roots: dict[str, list[int]]) -> None:
        self.roots = roots
        self.peak = dict.fromkeys(roots, 0)
        self._greenlet: gevent.Greenlet | None = None

    @staticmethod
    def tree_rss(pids: list[int]) -> int:
        total = 0
        for pid in pids:
            try:
                root = psutil.Process(pid)
                for proc in [root, *root.children(recursive=True)]:
                    total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while True:
            for name, pids in self.roots.items():
                self.peak[name] = max(self.peak[name], self.tree_rss(pids))
            gevent.sleep(0.2)

    def __enter__(self) -> PeakRss:
        self._greenlet = gevent.spawn(self._run)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()


def report(env: Environment, peaks: dict[str, int], args: Any, size: int) -> int:
    database = "PostgreSQL" if args.database else "SQLite"
    print(f"\nload: {args.users} users, {args.duration} s, {database}, download {size >> 20} MiB")
    print(f"{'route':34} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>6}")
    errors = 0
    entries = sorted(env.stats.entries.values(), key=lambda e: (e.name.startswith("ref:"), e.name))
    for entry in entries:
        errors += entry.num_failures if not entry.name.startswith("ref:") else 0
        print(
            f"{entry.name:34} {entry.num_requests:8d} {entry.num_failures:6d}"
            f" {entry.get_response_time_percentile(0.5):8.0f}"
            f" {entry.get_response_time_percentile(0.95):8.0f}"
            f" {entry.total_rps:6.1f}"
        )
    pairs = [("hub resolve", "ref: nginx static"), ("git clone", "ref: git http-backend clone")]
    for ours, theirs in pairs:
        a, b = env.stats.entries.get((ours, "GET" if "resolve" in ours else "GIT")), None
        b = env.stats.entries.get((theirs, "GET" if "static" in theirs else "GIT"))
        if a and b and a.num_requests and b.num_requests:
            ratio = a.get_response_time_percentile(0.5) / max(
                b.get_response_time_percentile(0.5), 1
            )
            print(f"p50 {ours} / {theirs}: {ratio:.2f}×")
    for name, peak in peaks.items():
        print(f"peak RSS {name}: {peak / (1 << 20):.0f} MiB")
    for _key, count in env.stats.errors.items():
        print(f"error ×{count.occurrences}: {count.method} {count.name}: {str(count.error)[:200]}")
    print(f"errors (NBopen routes): {errors} (goal 0)")
    return 0 if errors == 0 and entries else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument(
        "--database",
        default="",
        help="postgres://user@host:port/NAME: create NAME fresh, drop it afterwards"
        " (default: SQLite in the data dir)",
    )
    parser.add_argument("--workers", type=int, default=1, help="granian workers")
    parser.add_argument("--commits", type=int, default=300, help="history of the cloned repo")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--download-mib", type=int, default=8, help="size of the resolve file")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    # A plain SIGTERM would skip the clean-up below and leave the servers running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if missing_tools():
        print(f"missing reference tools; install with: {INSTALL_HINT}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="nbopen-bench-load-"))
    work.chmod(0o755)  # nginx workers may run as another user and read the static file
    if args.database:
        _postgres(args.database, f'DROP DATABASE IF EXISTS "{urlsplit(args.database).path[1:]}"')
        _postgres(args.database, f'CREATE DATABASE "{urlsplit(args.database).path[1:]}"')
    server = NBopenServer(
        work / "data",
        free_port(),
        work / "home",
        workers=args.workers,
        demo=True,
        database_url=args.database or None,
    )
    reference = ReferenceServer(work / "ref", work / "ref-repos", free_port())
    nginx: subprocess.Popen[bytes] | None = None
    try:
        (work / "home").mkdir()
        started = time.monotonic()
        server.start()
        reference.start()
        size = seed(server, reference, work, args)
        (work / "nginx").mkdir()
        nginx, static_port = start_nginx(work / "static", work / "nginx")
        print(f"set-up (demo, seeding): {time.monotonic() - started:.0f} s", flush=True)
        Target.nbopen, Target.token = server.url, server.token
        Target.reference, Target.static = reference.url, f"http://127.0.0.1:{static_port}"
        Target.scratch = work / "clones"
        Target.scratch.mkdir()
        Target.git_env = client_env(work / "home")
        NBopenUser.host, ReferenceUser.host = Target.nbopen, Target.static
        env = Environment(user_classes=[NBopenUser, ReferenceUser], events=events)
        runner = env.create_local_runner()
        roots = {
            "nbopen serve (+ workers, git)": server.root_pids(),
            "nginx + fcgiwrap + git (reference)": [*reference.root_pids(), nginx.pid],
        }
        with PeakRss(roots) as rss:
            runner.start(args.users, spawn_rate=args.spawn_rate)
            gevent.sleep(args.duration)
            runner.quit()
        return report(env, rss.peak, args, size)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait()
        reference.stop()
        server.stop()
        if args.database:
            _postgres(
                args.database,
                f'DROP DATABASE IF EXISTS "{urlsplit(args.database).path[1:]}" WITH (FORCE)',
            )
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
