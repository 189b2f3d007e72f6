"""Search at 100,000 repositories: indexing throughput and query latency, SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--repos 100000] [--queries 200] [--no-postgres]
                                     [--workdir DIR [--reuse]] [--no-sqlite]

``--workdir`` keeps the SQLite data directory and the PostgreSQL database after the run;
``--reuse`` then skips generation and indexing and measures queries only (for tuning).

Repository rows are bulk-inserted (no git directories: creating 100k bare repositories
measures git, not search); the index is then built by the real ``reindex_all`` and queried
through the real service, as anonymous and as a signed-in organization member, with facets
(what ``/api/v1/search`` does) and without (instant suggestions).

Reference, measured in the same run: what a site without a search index does — a
case-insensitive ``LIKE '%word%'`` over name and description (``icontains``), count plus
first page, for the first word of the same queries. Ratios are ours ÷ reference.

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
import tempfile
import time
from typing import Any

PG_URL = "postgres://postgres@127.0.0.1:5432/nbopen_bench_search"

ZH = [
    "港口",
    "集装箱",
    "物流",
    "调度",
    "智能",
    "制造",
    "缺陷",
    "检测",
    "材料",
    "电池",
    "交通",
    "流量",
    "政务",
    "问答",
    "语音",
    "识别",
    "方言",
    "轴承",
    "故障",
    "诊断",
    "水质",
    "监测",
    "服装",
    "纺织",
    "模具",
    "石化",
    "安全",
    "预警",
    "海洋",
    "渔业",
    "气象",
    "能源",
    "医疗",
    "影像",
    "教育",
    "金融",
    "风控",
    "农业",
    "病虫害",
    "图像",
    "分割",
    "翻译",
    "摘要",
    "推荐",
    "知识图谱",
    "预测",
    "优化",
    "仿真",
    "机器人",
    "船舶",
    "轨迹",
    "宁波",
]
EN = [
    "port",
    "container",
    "logistics",
    "scheduling",
    "smart",
    "manufacturing",
    "defect",
    "detection",
    "materials",
    "battery",
    "traffic",
    "flow",
    "government",
    "question",
    "answering",
    "speech",
    "recognition",
    "dialect",
    "bearing",
    "fault",
    "diagnosis",
    "water",
    "quality",
    "monitoring",
    "garment",
    "textile",
    "mold",
    "petrochemical",
    "safety",
    "warning",
    "ocean",
    "fishery",
    "weather",
    "energy",
    "medical",
    "imaging",
    "education",
    "finance",
    "risk",
    "agriculture",
    "pest",
    "image",
    "segmentation",
    "translation",
    "summarization",
    "recommendation",
    "knowledge",
    "graph",
    "forecast",
    "optimization",
    "simulation",
    "robot",
    "vessel",
    "trajectory",
    "ningbo",
]
TASKS = ["object-detection", "text-generation", "time-series-forecasting", "image-classification"]
HARDWARE = ["ascend", "cambricon", "hygon-dcu", "kunlunxin", "cuda", "cpu"]
LICENSES = ["apache-2.0", "mit", "cc-by-4.0", "gpl-3.0", "bsd-3-clause"]
LIBS = ["pytorch", "transformers", "paddlepaddle", "mindspore", "sklearn"]
KINDS = ["enterprise", "university", "institute", "government", "community"]


def _description(rng: random.Random) -> str:
    zh = "".join(rng.sample(ZH, rng.randint(2, 4)))
    en = " ".join(rng.sample(EN, rng.randint(3, 6)))
    suffix = rng.choice(["模型", "数据集", "系统", "平台", "工具"])
    return f"{zh}{suffix} — {en}"


def _queries(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        kind = len(out) % 5
        if kind == 0:
            out.append("".join(rng.sample(ZH, rng.randint(1, 2))))
        elif kind == 1:
            out.append(" ".join(rng.sample(EN, rng.randint(1, 2))))
        elif kind == 2:
            out.append(f"{rng.choice(ZH)} {rng.choice(EN)}")
        elif kind == 3:  # a typo: one letter dropped or two swapped
            word = rng.choice([w for w in EN if len(w) >= 6])
            i = rng.randrange(1, len(word) - 2)
            typo = (
                word[:i] + word[i + 1 :]
                if rng.random() < 0.5
                else (word[:i] + word[i + 1] + word[i] + word[i + 2 :])
            )
            out.append(typo)
        else:  # typing: a prefix
            word = rng.choice(EN + ZH)
            out.append(word[: max(1, min(len(word) - 1, rng.randint(2, 5)))])
    return out


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
    django.setup()


def generate(n_repos: int, rng: random.Random) -> float:
    """Bulk-insert users, organizations and ``n_repos`` repositories; returns seconds."""
    from django.db import transaction

    from nbopen.accounts.models import Namespace, User
    from nbopen.orgs.models import Membership, Organization
    from nbopen.repos.models import Repository

    started = time.perf_counter()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"user{i}", email=f"user{i}@example.org") for i in range(2000)]
        )
        orgs = Organization.objects.bulk_create(
            [Organization(name=f"org{i}", kind=rng.choice(KINDS)) for i in range(200)]
        )
        spaces = Namespace.objects.bulk_create(
            [Namespace(name=u.username, name_lower=u.username, kind="user", user=u) for u in users]
            + [Namespace(name=o.name, name_lower=o.name, kind="org", organization=o) for o in orgs]
        )
        Membership.objects.bulk_create(
            [Membership(organization=orgs[i], user=users[0], role="read") for i in range(3)]
        )
        batch: list[Repository] = []
        for i in range(n_repos):
            words = rng.sample(EN, 2)
            card = {
                "pipeline_tag": rng.choice(TASKS),
                "library_name": rng.choice(LIBS),
                "language": rng.sample(["zh", "en"], rng.randint(1, 2)),
                "tags": [rng.choice(HARDWARE)],
            }
            batch.append(
                Repository(
                    owner=rng.choice(spaces),
                    name=f"{words[0]}-{words[1]}-{i}",
                    name_lower=f"{words[0]}-{words[1]}-{i}",
                    type=rng.choice(["model", "model", "dataset", "code"]),
                    private=rng.random() < 0.1,
                    description=_description(rng),
                    license=rng.choice(LICENSES),
                    card_data=card,
                )
            )
            if len(batch) == 5000:
                Repository.objects.bulk_create(batch)
                batch = []
        Repository.objects.bulk_create(batch)
    return time.perf_counter() - started


def measure(queries: list[str]) -> tuple[dict[str, list[float]], list[tuple[int, str]]]:
    """Time every query as the API and the suggestion box run it, beside the reference."""
    from django.db.models import Q

    from nbopen.access.policy import Principal
    from nbopen.accounts.models import User
    from nbopen.repos.models import Repository
    from nbopen.search.services import search

    member = Principal(user=User.objects.get(username="user0"))
    anonymous = Principal.anonymous()
    for q in queries[:10]:  # warm caches (jieba, vocabulary, database pages)
        search(principal=anonymous, q=q)
    timings: dict[str, list[float]] = {"facets": [], "suggest": [], "reference": []}
    totals = []
    for i, q in enumerate(queries):
        who = member if i % 2 else anonymous
        t = time.perf_counter()
        result = search(principal=who, q=q, per_page=20)
        timings["facets"].append(time.perf_counter() - t)
        totals.append((result.total, result.total_relation))
        t = time.perf_counter()
        search(principal=who, q=q, per_page=8, with_facets=False)
        timings["suggest"].append(time.perf_counter() - t)
        word = q.split()[0]
        t = time.perf_counter()
        ref = Repository.objects.filter(
            Q(name__icontains=word) | Q(description__icontains=word), private=False
        )
        ref.count()
        list(ref.order_by("-updated_at")[:20])
        timings["reference"].append(time.perf_counter() - t)
    # The explore pages: no query, each sort, all types or one (what /models etc. run).
    timings["browse"] = []
    for i, (sort, types) in enumerate(
        (s, t)
        for s in ("relevance", "trending", "downloads", "likes", "updated")
        for t in (None, ["model"], ["dataset"])
    ):
        who = member if i % 2 else anonymous
        t0 = time.perf_counter()
        search(principal=who, q="", types=types, sort=sort, per_page=20)
        timings["browse"].append(time.perf_counter() - t0)
    return timings, totals


def child(n_repos: int, n_queries: int, reuse: bool) -> dict[str, Any]:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from nbopen.repos.models import Repository
    from nbopen.search import indexer
    from nbopen.search.models import SearchDocument

    call_command("migrate", verbosity=0)
    rng = random.Random(20261126)
    if reuse and Repository.objects.count() == n_repos:
        generated = index_seconds = 0.0
        stats = {"documents": SearchDocument.objects.count(), "terms": 0}
    else:
        generated = generate(n_repos, rng)
        started = time.perf_counter()
        stats = indexer.reindex_all()
        index_seconds = time.perf_counter() - started

    queries = _queries(random.Random(2026), n_queries)  # the same set whether reused or not
    timings, totals = measure(queries)
    out: dict[str, Any] = {
        "database": connection.vendor,
        "repositories": n_repos,
        "generate_s": round(generated, 1),
        "index_s": round(index_seconds, 1),
        "index_docs_per_s": round(stats["documents"] / index_seconds) if index_seconds else 0,
        "terms": stats["terms"],
        "queries": len(queries),
        "zero_result_queries": sum(1 for t, _ in totals if t == 0),
        "median_total": statistics.median(t for t, _ in totals),
        "lower_bound_totals": sum(1 for _, rel in totals if rel == "gte"),
    }
    for name, samples in timings.items():
        median, p95 = _percentiles(samples)
        out[f"{name}_median_ms"] = round(median, 2)
        out[f"{name}_p95_ms"] = round(p95, 2)
    return out


def _run_child(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--repos", str(args.repos)]
    cmd += ["--queries", str(args.queries)] + (["--reuse"] if args.reuse else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child failed ({env.get('NBOPEN_DATABASE_URL', 'sqlite')})")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _fresh_pg_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS nbopen_bench_search")
        c.execute("CREATE DATABASE nbopen_bench_search")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--workdir", help="keep the data here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="reuse the index in --workdir")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.repos, args.queries, args.reuse)))
        return
    if args.reuse and not args.workdir:
        parser.error("--reuse needs --workdir")
    with tempfile.TemporaryDirectory(prefix="nbopen-bench-search-") as tmp:
        data = args.workdir or tmp
        os.makedirs(data, exist_ok=True)
        base = {**os.environ, "NBOPEN_DATA_DIR": data, "NBOPEN_SECRET_KEY": "bench"}
        base.pop("NBOPEN_DATABASE_URL", None)
        base["NBOPEN_TASKS"] = "sync"
        if not args.no_sqlite:
            _report(_run_child(base, args))  # printed at once: the second run takes a while
        if not args.no_postgres:
            if not args.reuse:
                _fresh_pg_database()
            _report(_run_child({**base, "NBOPEN_DATABASE_URL": PG_URL}, args))


def _report(r: dict[str, Any]) -> None:
    print(f"\n== {r['database']}: {r['repositories']:,} repositories ==")
    print(
        f"indexing: {r['index_s']} s, {r['index_docs_per_s']:,} documents/s,"
        f" {r['terms']:,} terms (rows generated in {r['generate_s']} s)"
    )
    print(
        f"{r['queries']} mixed queries (median {r['median_total']} hits,"
        f" {r['zero_result_queries']} with none,"
        f" {r['lower_bound_totals']} totals reported as lower bounds)"
    )
    for name, label in (
        ("facets", "search + facets"),
        ("suggest", "suggest (no facets)"),
        ("reference", "reference LIKE scan"),
        ("browse", "browse (explore pages)"),
    ):
        print(
            f"  {label:22} median {r[name + '_median_ms']:8.2f} ms"
            f"   p95 {r[name + '_p95_ms']:8.2f} ms"
        )
    ratio = r["facets_p95_ms"] / max(r["reference_p95_ms"], 1e-9)
    print(f"  p95 ratio search+facets / reference: {ratio:.2f}  (target p95 < 50 ms)", flush=True)


if __name__ == "__main__":
    main()
