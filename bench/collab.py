"""Pull requests and issues at size: the merge, the files-changed page and the issue list.

    .venv/bin/python bench/collab.py [--repeat 5] [--requests 30] [--issues 50000]

Runs in process on a temporary data dir (SQLite; ``NBOPEN_DATABASE_URL`` picks another
database), through the real services and Django's test client (the whole middleware and
template stack, no socket). Measured in the same run:

1. Merge of a pull request changing 1,000 files (``pulls.merge_pull``, merge commit) against
   the same ``git merge-tree --write-tree`` + ``commit-tree`` + ``update-ref`` run by hand on a
   copy of the repository (goal: ≤ 1.5×). Medians of ``--repeat`` merges; between runs the
   base branch is put back and the pull request reopened.
2. The files-changed tab of a pull request changing 500 files: median and p95 (goal p95 <
   300 ms).
3. The issue list of a repository with 50,000 issues, first page, open issues; also a page
   deep in the list and Chinese searches through thread search's index, a narrow one (超时,
   1 issue in 7) and one matching every issue (港口调度) (goal p95 < 100 ms); reference: the
   substring ``LIKE`` filter the list used before, same search, same page.

The git history is seeded with ``git fast-import`` straight into the bare repositories, and
the issues with ``bulk_create``: fixtures, not product writes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, input=data, check=True, capture_output=True
    ).stdout.decode()


def seed_history(repo: Path, files: int, big: int, mid: int) -> None:
    """main with ``files`` files; branch ``big`` changes ``big`` of them, ``mid`` changes
    ``mid`` (each on a side commit, main also moved so the merge is a true merge)."""
    out: list[bytes] = []

    def commit(
        ref: str, mark: int, parent: str | None, msg: str, changes: list[tuple[str, bytes]]
    ) -> None:
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(b"committer Bench <bench@example.org> 1700000000 +0800\n")
        out.append(b"data %d\n%s\n" % (len(msg.encode()), msg.encode()))
        if parent:
            out.append(f"from {parent}\n".encode())
        for path, body in changes:
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(body), body))

    paths = [f"pkg{i % 20:02d}/module_{i:04d}.py" for i in range(files)]

    def body(i: int) -> bytes:
        return "".join(f"LINE_{k} = {i}\n" for k in range(20)).encode()

    commit("refs/heads/main", 1, None, "initial", [(p, body(i)) for i, p in enumerate(paths)])
    commit("refs/heads/big", 2, ":1", "big", [(p, body(i + 1)) for i, p in enumerate(paths[:big])])
    commit("refs/heads/mid", 3, ":1", "mid", [(p, body(i + 2)) for i, p in enumerate(paths[:mid])])
    commit("refs/heads/main", 4, ":1", "unrelated change on main", [("README.md", b"# bench\n")])
    git(repo, "fast-import", "--quiet", "--force", data=b"".join(out))


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def time_get(client: Any, path: str, n: int) -> tuple[float, float]:
    samples = []
    for i in range(n + 2):
        start = time.perf_counter()
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN")
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code}")
        if i >= 2:  # two warm-up requests
            samples.append(elapsed)
    return _percentiles(samples)


def drain() -> None:
    """Wait until the embedded task pool's two workers have finished what was queued."""
    from nbopen.core import tasks

    barrier = threading.Barrier(3)
    for _ in range(2):
        tasks._pool().submit(barrier.wait)
    barrier.wait(timeout=600)


def by_hand(repo: Path, base: str, head: str) -> float:
    """The plumbing a merge needs, run directly: merge-tree, commit-tree, update-ref (CAS)."""
    start = time.perf_counter()
    tree = git(repo, "merge-tree", "--write-tree", base, head).split()[0]
    sha = git(repo, "commit-tree", tree, "-p", base, "-p", head, "-m", "merge").strip()
    git(repo, "update-ref", "refs/heads/main", sha, base)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--issues", type=int, default=50_000)
    parser.add_argument(
        "--profile", action="store_true", help="print where one merge spends its time (cProfile)"
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="nbopen-bench-collab-"))
    os.environ.update(
        {"NBOPEN_DATA_DIR": str(data), "NBOPEN_SECRET_KEY": "bench", "NBOPEN_TASKS": "thread"}
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from nbopen.access.policy import Principal
    from nbopen.accounts.services import user_create
    from nbopen.collab import pulls
    from nbopen.collab.models import Thread
    from nbopen.repos.services import repo_create

    try:
        user = user_create(
            username="bench", email="bench@example.org", password=secrets.token_urlsafe(16)
        )
        who = Principal(user=user)
        repo = repo_create(actor=who, owner=None, name="big", type="code")
        git_dir = Path(repo.git_path)
        seed_history(git_dir, 1000, 1000, 500)
        big = pulls.open_pull(actor=who, repo=repo, title="千个文件", head_branch="big")
        mid = pulls.open_pull(actor=who, repo=repo, title="五百个文件", head_branch="mid")
        base0 = git(git_dir, "rev-parse", "refs/heads/main").strip()
        head = git(git_dir, "rev-parse", "refs/heads/big").strip()

        ours, theirs = [], []
        for i in range(args.repeat):
            profiler = cProfile.Profile() if args.profile and i == 1 else None
            start = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            pulls.merge_pull(actor=who, thread=big, strategy=pulls.Strategy.MERGE)
            ours.append(time.perf_counter() - start)
            if profiler is not None:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            drain()  # the after-push jobs (scanning, pull sync) run in the background
            git(git_dir, "update-ref", "refs/heads/main", base0)
            Thread.objects.filter(pk=big.pk).update(state="open", merge_commit="")
            big.refresh_from_db()
            copy = data / "copy.git"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(git_dir, copy)
            theirs.append(by_hand(copy, base0, head))
        m_ours, m_ref = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
        print(
            f"merge, 1000 files: nbopen {m_ours:.0f} ms, git by hand {m_ref:.0f} ms, "
            f"ratio {m_ours / m_ref:.2f}x (goal <= 1.5x)"
        )

        client = Client()
        if args.profile:
            client.get(f"/bench/big/pulls/{mid.number}?tab=files")
            profiler = cProfile.Profile()
            profiler.enable()
            client.get(f"/bench/big/pulls/{mid.number}?tab=files")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        med, p95 = time_get(client, f"/bench/big/pulls/{mid.number}?tab=files", args.requests)
        print(f"files changed, 500 files: median {med:.0f} ms, p95 {p95:.0f} ms (goal p95 < 300)")

        issue_list(client, who, args.issues, args.requests)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def issue_list(client: Any, who: Any, count: int, requests: int) -> None:
    """Part 3: the list of a repository with ``count`` issues (seeded with ``bulk_create``
    and indexed for thread search in bulk, as ``nbopen search reindex-threads`` does).
    Reference, same run: the substring ``LIKE`` filter the list used before thread search,
    over the same rows through the same page."""
    from django.db import connection
    from django.db.models import Exists, OuterRef, Q

    from nbopen.collab import listing
    from nbopen.collab.models import Comment, Thread, ThreadCounter
    from nbopen.repos.services import repo_create
    from nbopen.search import thread_index

    issues_repo = repo_create(actor=who, owner=None, name="issues", type="code")
    start = time.perf_counter()
    batch = 5000
    for lo in range(1, count + 1, batch):
        made = Thread.objects.bulk_create(
            [
                Thread(
                    repository=issues_repo,
                    number=n,
                    kind="issue",
                    title=f"第 {n} 号问题：港口调度{'超时' if n % 7 == 0 else '异常'}",
                    author=who.user,
                    state="open" if n % 3 else "closed",
                )
                for n in range(lo, min(lo + batch, count + 1))
            ]
        )
        Comment.objects.bulk_create(
            [
                Comment(thread=t, author=who.user, body=f"描述 {t.number}", opening=True)
                for t in made
            ]
        )
    ThreadCounter.objects.update_or_create(repository=issues_repo, defaults={"last": count})
    print(f"seeded {count} issues in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    thread_index.sync_repository(issues_repo.pk)
    print(f"indexed {count} issues for thread search in {time.perf_counter() - start:.1f} s")
    if connection.vendor == "postgresql":  # what autovacuum does after a bulk load
        with connection.cursor() as cur:
            cur.execute("ANALYZE collab_thread, collab_comment, search_thread")
    cases = [
        ("issue list, open, page 1", "/bench/issues/issues"),
        ("issue list, all, page 500", "/bench/issues/issues?state=all&page=500"),
        ("issue list, search 超时", "/bench/issues/issues?q=%E8%B6%85%E6%97%B6"),
        ("issue list, search 港口调度", "/bench/issues/issues?q=" + quote("港口调度")),
    ]
    for label, path in cases:
        med, p95 = time_get(client, path, requests)
        print(f"{label}: median {med:.0f} ms, p95 {p95:.0f} ms (goal p95 < 100)")

    def like_refine(qs: Any, *, query: str | None = None, **_: Any) -> Any:
        bodies = Comment.objects.filter(thread=OuterRef("pk"), opening=True, body__icontains=query)
        return qs.filter(Q(title__icontains=query) | Exists(bodies))

    indexed = listing.refine
    listing.refine = like_refine  # type: ignore[assignment]
    try:
        med, p95 = time_get(client, cases[2][1], requests)
    finally:
        listing.refine = indexed  # type: ignore[assignment]
    print(f"reference, same search by substring LIKE: median {med:.0f} ms, p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
