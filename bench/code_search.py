"""Code search at 10,000 repositories × 50 files: indexing throughput and query latency,
SQLite and PostgreSQL.

    .venv/bin/python bench/code_search.py [--repos 10000] [--files 50] [--queries 200]
                                          [--workdir DIR [--reuse]] [--no-postgres] [--no-sqlite]

``--workdir`` keeps the SQLite data directory and the PostgreSQL database after the run;
``--reuse`` then skips generation and indexing and measures queries only (for tuning).
After the bulk writes the tables get what autovacuum would give them: ``VACUUM ANALYZE`` on
PostgreSQL (statistics, the visibility map, GIN's pending list merged), ``ANALYZE`` on SQLite.

Repository rows are bulk-inserted (no git directories: 10,000 bare repositories would measure
git, not search); their files are written through the indexing service
(``code_index.write_files``: the real analysis, pinyin included, and the real full-text
writes). File contents are real: 12–30 line slices of the Python standard library's own
sources, each with one line naming a unique function and, in a fifth of them, a Chinese
comment. 10 % of repositories are private.

Queries go through the real service (``code_search.search_code``, with the line hits and
highlighted fragments of the first page), as an anonymous visitor and as a signed-in member
of three organizations: rare identifiers (one file), common words (``encoding``, ``socket``
… thousands of files), Chinese words, their pinyin, and each of those with a language or an
owner filter.

Reference, measured in the same run on the same index: the engine's bare match as one raw
SQL statement (FTS5 ``MATCH`` / ``tsv @@ tsquery``, newest ``WINDOW`` ids, no privacy, no
ranking, no lines) — the floor any code search over this index pays. Ratios are ours ÷
reference.

Each database runs in a child process, because configuration is read once at import.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

PG_DB = "nbopen_bench_codesearch"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
ZH = ["港口", "调度", "集装箱", "泊位", "码头", "物流", "智能", "检测", "电池", "交通"]
PINYIN = ["gangkou", "diaodu", "jizhuangxiang", "matou", "wuliu"]
COMMON = ["encoding", "socket", "buffer", "thread", "timeout", "parse", "import os", "self"]
KINDS = ["enterprise", "university", "government", "community"]


def _chunks(rng: random.Random, n: int = 4000) -> list[str]:
    """``n`` real source slices from the standard library (what code looks like)."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    sources = []
    for path in sorted(lib.glob("*.py")):
        try:
            sources.append(path.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            continue
    chunks = []
    while len(chunks) < n:
        lines = rng.choice(sources)
        if len(lines) < 40:
            continue
        start = rng.randrange(0, len(lines) - 30)
        chunks.append("\n".join(lines[start : start + rng.randint(12, 30)]))
    return chunks


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
    django.setup()


EXTENSIONS = [".py"] * 6 + [".md", ".txt", ".yaml", ".sh"]


def generate(n_repos: int, n_files: int, rng: random.Random) -> tuple[float, float, int]:
    """Repository rows in bulk, then every file through ``code_index.write_files``.

    Returns (seconds for rows, seconds for indexing, bytes indexed).
    """
    from django.db import transaction

    from nbopen.accounts.models import Namespace, User
    from nbopen.orgs.models import Membership, Organization
    from nbopen.repos.models import Repository
    from nbopen.search import code_index

    started = time.perf_counter()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"user{i}", email=f"user{i}@example.org") for i in range(1000)]
        )
        orgs = Organization.objects.bulk_create(
            [Organization(name=f"org{i}", kind=rng.choice(KINDS)) for i in range(100)]
        )
        spaces = Namespace.objects.bulk_create(
            [Namespace(name=u.username, name_lower=u.username, kind="user", user=u) for u in users]
            + [Namespace(name=o.name, name_lower=o.name, kind="org", organization=o) for o in orgs]
        )
        Membership.objects.bulk_create(
            [Membership(organization=orgs[i], user=users[0], role="read") for i in range(3)]
        )
        repos = Repository.objects.bulk_create(
            [
                Repository(
                    owner=rng.choice(spaces),
                    name=f"repo-{i}",
                    name_lower=f"repo-{i}",
                    type="code",
                    private=rng.random() < 0.1,
                )
                for i in range(n_repos)
            ],
            batch_size=5000,
        )
    rows_s = time.perf_counter() - started
    owners = {s.pk: s.name for s in spaces}
    chunks = _chunks(rng)
    started = time.perf_counter()
    size = 0
    for repo in repos:
        owner = owners[repo.owner_id]
        info = code_index.RepoInfo(repo.pk, f"{owner}/{repo.name}", owner, "code")
        files = []
        for j in range(n_files):
            body = rng.choice(chunks)
            extra = f"\n\ndef handler_{repo.pk}_{j}(event):\n    return event\n"
            if rng.random() < 0.2:
                extra += f"# {rng.choice(ZH)}{rng.choice(ZH)}模块：负责{rng.choice(ZH)}\n"
            text = body + extra
            size += len(text.encode())
            path = f"src/pkg{j % 5}/module_{j}{rng.choice(EXTENSIONS)}"
            files.append(code_index.SourceFile(path, f"{repo.pk:020x}{j:020x}", text))
        code_index.write_files(info, files)
    return rows_s, time.perf_counter() - started, size


def _queries(rng: random.Random, n: int, n_repos: int, n_files: int) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    while len(out) < n:
        kind = rng.choice(["rare", "common", "zh", "pinyin", "rare"])
        if kind == "rare":
            q = {"q": f"handler_{rng.randrange(1, n_repos)}_{rng.randrange(n_files)}"}
        elif kind == "common":
            q = {"q": rng.choice(COMMON)}
        elif kind == "zh":
            q = {"q": rng.choice(ZH)}
        else:
            q = {"q": rng.choice(PINYIN)}
        roll = rng.random()
        if roll < 0.25:
            q["language"] = rng.choice(["python", "markdown", "yaml"])
        elif roll < 0.4:
            q["owner"] = f"org{rng.randrange(100)}"
        out.append(q)
    return out


def _reference(q: str) -> None:
    """The engine's bare match (no privacy, ranking, filters or lines), newest WINDOW ids."""
    from django.db import connection

    from nbopen.search import backends
    from nbopen.search.code_search import WINDOW, code_groups

    groups = code_groups(q)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT id FROM search_code_file WHERE tsv @@ %s::tsquery"
                " ORDER BY id DESC LIMIT %s",
                [backends.tsquery_expression(groups), WINDOW + 1],
            )
        else:
            cur.execute(
                "SELECT rowid FROM code_fts WHERE code_fts MATCH %s ORDER BY rowid DESC LIMIT %s",
                [backends.fts5_expression(groups), WINDOW + 1],
            )
        cur.fetchall()


def measure(queries: list[dict[str, str]]) -> tuple[dict[str, list[float]], list[tuple[int, str]]]:
    from nbopen.access.policy import Principal
    from nbopen.accounts.models import User
    from nbopen.search.code_search import search_code

    member = Principal(user=User.objects.get(username="user0"))
    anon = Principal.anonymous()
    for q in queries[:10]:  # warm caches (jieba, the page cache) as a running server would be
        search_code(principal=anon, **q)
    timings: dict[str, list[float]] = {"anonymous": [], "member": [], "reference": []}
    totals: list[tuple[int, str]] = []
    for i, q in enumerate(queries):
        who = member if i % 2 else anon
        started = time.perf_counter()
        result = search_code(principal=who, **q)
        timings["member" if i % 2 else "anonymous"].append(time.perf_counter() - started)
        totals.append((result.total, result.total_relation))
        started = time.perf_counter()
        _reference(q["q"])
        timings["reference"].append(time.perf_counter() - started)
    return timings, totals


def child(n_repos: int, n_files: int, n_queries: int, reuse: bool) -> dict[str, Any]:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from nbopen.search.models import CodeFile

    call_command("migrate", verbosity=0)
    rng = random.Random(20261205)
    if reuse and CodeFile.objects.count() == n_repos * n_files:
        rows_s = index_s = 0.0
        size = 0
    else:
        rows_s, index_s, size = generate(n_repos, n_files, rng)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in ("search_code_file", "repos_repository", "accounts_namespace"):
                cur.execute(f"VACUUM ANALYZE {table}")
        else:
            cur.execute("ANALYZE")
    queries = _queries(random.Random(2026), n_queries, n_repos, n_files)
    timings, totals = measure(queries)
    all_ours = timings["anonymous"] + timings["member"]
    out: dict[str, Any] = {
        "database": connection.vendor,
        "repositories": n_repos,
        "files": n_repos * n_files,
        "megabytes": round(size / 1e6, 1),
        "rows_s": round(rows_s, 1),
        "index_s": round(index_s, 1),
        "files_per_s": round(n_repos * n_files / index_s) if index_s else 0,
        "queries": len(queries),
        "zero_result_queries": sum(1 for t, _ in totals if t == 0),
        "median_total": statistics.median(t for t, _ in totals),
        "lower_bound_totals": sum(1 for _, rel in totals if rel == "gte"),
    }
    for name, samples in {**timings, "all": all_ours}.items():
        median, p95 = _percentiles(samples)
        out[f"{name}_median_ms"] = round(median, 2)
        out[f"{name}_p95_ms"] = round(p95, 2)
    return out


def _run_child(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--repos", str(args.repos)]
    cmd += ["--files", str(args.files), "--queries", str(args.queries)]
    cmd += ["--reuse"] if args.reuse else []
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child failed ({env.get('NBOPEN_DATABASE_URL', 'sqlite')})")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--workdir", help="keep the data here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="reuse the index in --workdir")
    parser.add_argument("--pg-db", default=PG_DB, help="PostgreSQL database (dropped first)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.repos, args.files, args.queries, args.reuse)))
        return
    if args.reuse and not args.workdir:
        parser.error("--reuse needs --workdir")
    pg_url = PG_URL.replace(PG_DB, args.pg_db)
    with tempfile.TemporaryDirectory(prefix="nbopen-bench-code-") as tmp:
        data = args.workdir or tmp
        os.makedirs(data, exist_ok=True)
        base = {**os.environ, "NBOPEN_DATA_DIR": data, "NBOPEN_SECRET_KEY": "bench"}
        base.pop("NBOPEN_DATABASE_URL", None)
        base["NBOPEN_TASKS"] = "sync"
        if not args.no_sqlite:
            _report(_run_child(base, args))  # printed at once: the second run takes a while
        if not args.no_postgres:
            if not args.reuse:
                _pg_admin(f'DROP DATABASE IF EXISTS "{args.pg_db}"')
                _pg_admin(f'CREATE DATABASE "{args.pg_db}"')
            try:
                _report(_run_child({**base, "NBOPEN_DATABASE_URL": pg_url}, args))
            finally:
                if not args.workdir:
                    _pg_admin(f'DROP DATABASE IF EXISTS "{args.pg_db}"')


def _report(r: dict[str, Any]) -> None:
    print(f"\n== {r['database']}: {r['repositories']:,} repositories, {r['files']:,} files ==")
    print(
        f"indexing: {r['index_s']} s for {r['megabytes']} MB, {r['files_per_s']:,} files/s"
        f" (repository rows in {r['rows_s']} s)"
    )
    print(
        f"{r['queries']} mixed queries (median {r['median_total']} files,"
        f" {r['zero_result_queries']} with none,"
        f" {r['lower_bound_totals']} totals reported as lower bounds)"
    )
    ref = r["reference_p95_ms"]
    for name, label in (
        ("all", "code search, all callers"),
        ("anonymous", "  as anonymous"),
        ("member", "  as an organization member"),
        ("reference", "reference: bare FTS match in SQL"),
    ):
        p95 = r[f"{name}_p95_ms"]
        ratio = f"  ({p95 / ref:.1f}× reference)" if name != "reference" and ref else ""
        print(f"{label:36} median {r[f'{name}_median_ms']:8.2f} ms   p95 {p95:8.2f} ms{ratio}")
    print("goal: p95 < 100 ms")


if __name__ == "__main__":
    main()
