"""Explained ranking for open calls: BM25, tag overlap and platform evidence, fused by RRF.

Pure Python over plain records (no Django, no network, no GPU), so the same code ranks in the
request, in tests and in ``bench/matching.py`` against the labelled set, and a result is the
same on every machine. Text goes through the search service's analysis (``search.analysis
.terms``: jieba for Chinese, Snowball for English), so a call about 港口智能调度 meets a
repository about 港口调度 exactly as search would.

Five rankers each order the documents on their own evidence:

* ``bm25`` — the call's text against everything a candidate says about itself and the
  repositories that count as its evidence, concatenated;
* ``tags`` — how many of the call's tags the candidate or its repositories carry;
* ``evidence`` — the single best-matching repository (BM25 among repositories), lifted
  by its downloads: one strongly related, used repository says more than many loose words;
* ``competition`` — the candidate's best final rank in the competition the call is linked
  to, or in a competition about the same words.

* ``embedding`` — closeness in meaning: the call and each thing a candidate says (its
  profile, each repository) as multilingual sentence vectors (:mod:`.embeddings`), the
  candidate scored by its nearest one. It finds the Chinese-only lab for an English call
  and the paraphrase that shares no word. When the encoder is not installed or switched
  off it scores nothing and the other rankers rank alone (the BM25 fallback).

Reciprocal-rank fusion (``Σ 1/(k + rank)``, k = 60) combines them without tuning weights
across incomparable scales. Every result carries its reasons: the shared keywords (highest
IDF first), the shared tags, the nearest repository with the words it shares, and the
profile or repository the call is closest in meaning to.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbopen.programs import embeddings
from nbopen.search.analysis import is_cjk, terms

K1, B = 1.2, 0.75
RRF_K = 60


@dataclass(frozen=True)
class Evidence:
    """A repository counted for a candidate (only ones the reader may read are passed in)."""

    name: str
    text: str
    tags: tuple[str, ...] = ()
    downloads: int = 0


@dataclass(frozen=True)
class Result:
    """A candidate's final rank in a competition the reader may see. ``linked`` when it is
    the competition the call names for its acceptance: a rank there is direct proof."""

    competition: str
    text: str
    rank: int
    linked: bool = False


@dataclass(frozen=True)
class Doc:
    """Something to rank: a candidate (org or user) for a call, or a call for a user."""

    kind: str
    name: str
    text: str
    tags: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    results: tuple[Result, ...] = ()


@dataclass
class Ranked:
    doc: Doc
    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


class _BM25:
    """Okapi BM25 over a small in-memory collection."""

    def __init__(self, docs: Sequence[list[str]]) -> None:
        self.tfs = [Counter(d) for d in docs]
        self.lens = [len(d) for d in docs]
        self.avg = (sum(self.lens) / len(docs)) if docs else 0.0
        df: Counter[str] = Counter()
        for tf in self.tfs:
            df.update(tf.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def score(self, query: Sequence[str], i: int) -> float:
        tf, length, total = self.tfs[i], self.lens[i], 0.0
        for term in set(query):
            f = tf.get(term, 0)
            if f:
                norm = K1 * (1 - B + B * length / (self.avg or 1))
                total += self.idf[term] * f * (K1 + 1) / (f + norm)
        return total

    def shared(self, query: Sequence[str], i: int, limit: int = 8) -> list[str]:
        """The query's words this document has, most distinctive first (for the reasons)."""
        found = {t for t in query if t in self.tfs[i] and _readable(t)}
        return sorted(found, key=lambda t: (-self.idf.get(t, 0.0), t))[:limit]


def _readable(term: str) -> bool:
    """Single characters and digits explain nothing to a reader."""
    return (len(term) >= 2 if is_cjk(term) else len(term) >= 3) and not term.isdigit()


def _norm_tags(tags: Sequence[str]) -> set[str]:
    return {t.strip().lower() for t in tags if t.strip()}


def _doc_tags(doc: Doc) -> set[str]:
    out = _norm_tags(doc.tags)
    for e in doc.evidence:
        out |= _norm_tags(e.tags)
    return out


def _doc_terms(doc: Doc) -> list[str]:
    return terms(" ".join([doc.text, *(f"{e.name} {e.text}" for e in doc.evidence)]))


@dataclass(frozen=True)
class Query:
    """What the documents are ranked against: the raw text (for the encoder), its analysed
    terms (for BM25) and its normalised tags."""

    text: str
    terms: list[str]
    tags: set[str]


Scores = dict[int, float]
Ranker = Callable[[Query, Sequence[Doc]], tuple[Scores, list[list[dict[str, Any]]]]]


def _by_bm25(query: Query, docs: Sequence[Doc]) -> tuple[Scores, list[Any]]:
    q = query.terms
    index = _BM25([_doc_terms(d) for d in docs])
    scores = {i: index.score(q, i) for i in range(len(docs))}
    reasons = [
        [{"kind": "keywords", "terms": words}] if (words := index.shared(q, i)) else []
        for i in range(len(docs))
    ]
    return scores, reasons


def _by_tags(query: Query, docs: Sequence[Doc]) -> tuple[Scores, list[Any]]:
    tags = query.tags
    scores: Scores = {}
    reasons: list[list[dict[str, Any]]] = []
    for i, doc in enumerate(docs):
        shared = sorted(tags & _doc_tags(doc))
        scores[i] = float(len(shared)) / (len(tags) or 1)
        reasons.append([{"kind": "tags", "tags": shared}] if shared else [])
    return scores, reasons


def _by_evidence(query: Query, docs: Sequence[Doc]) -> tuple[Scores, list[Any]]:
    q = query.terms
    owners = [(i, e) for i, d in enumerate(docs) for e in d.evidence]
    index = _BM25([terms(f"{e.name} {e.text} {' '.join(e.tags)}") for _, e in owners])
    best: dict[int, tuple[float, int]] = {}
    for j, (i, e) in enumerate(owners):
        s = index.score(q, j)
        if s <= 0:
            continue
        s *= 1 + math.log1p(e.downloads) / 10
        if s > best.get(i, (0.0, -1))[0]:
            best[i] = (s, j)
    scores: Scores = {i: best[i][0] if i in best else 0.0 for i in range(len(docs))}
    reasons: list[list[dict[str, Any]]] = [[] for _ in docs]
    for i, (_, j) in best.items():
        repo = owners[j][1]
        reasons[i] = [
            {
                "kind": "repository",
                "repository": repo.name,
                "terms": index.shared(q, j, limit=4),
                "downloads": repo.downloads,
            }
        ]
    return scores, reasons


def _by_competition(query: Query, docs: Sequence[Doc]) -> tuple[Scores, list[Any]]:
    """Best final rank per candidate, in the call's linked competition (full weight) or in a
    competition whose title and overview share words with the call (half weight): placing
    well on a related benchmark is evidence of solving the problem, an unrelated one is not."""
    q = query.terms
    owners = [(i, r) for i, d in enumerate(docs) for r in d.results]
    index = _BM25([terms(r.text) for _, r in owners])
    scores: Scores = {i: 0.0 for i in range(len(docs))}
    reasons: list[list[dict[str, Any]]] = [[] for _ in docs]
    for j, (i, r) in enumerate(owners):
        if r.rank < 1 or not (r.linked or index.score(q, j) > 0):
            continue
        s = (1.0 if r.linked else 0.5) / r.rank
        if s > scores[i]:
            scores[i] = s
            reasons[i] = [
                {
                    "kind": "competition",
                    "competition": r.competition,
                    "rank": r.rank,
                    "linked": r.linked,
                }
            ]
    return scores, reasons


# Below this cosine two texts are about different things. Set from the encoder's published
# behaviour (DATASETS.md 5.2: unrelated pairs .15-.17, related .47-.67), not from the
# labelled set: it only keeps unrelated candidates out of the fused list.
MEANING_FLOOR = 0.3
EXCERPT = 60


def _by_embedding(query: Query, docs: Sequence[Doc]) -> tuple[Scores, list[Any]]:
    """Nearest in meaning: cosine between the query and each of a candidate's texts (its
    profile, each repository's name and description), the candidate scored by the best."""
    model = embeddings.encoder()
    if model is None or not docs or not query.text.strip():
        return {}, [[] for _ in docs]
    units: list[tuple[int, str | None, str]] = []  # (doc, repository or None, text)
    for i, doc in enumerate(docs):
        if doc.text.strip():
            units.append((i, None, doc.text.strip()))
        for e in doc.evidence:
            units.append((i, e.name, f"{e.name.rsplit('/', 1)[-1]} {e.text}".strip()))
    if not units:
        return {}, [[] for _ in docs]
    vectors = model.encode([query.text, *(u[2] for u in units)])
    similarity = vectors[1:] @ vectors[0]
    best: dict[int, tuple[float, int]] = {}
    for j, (i, _, _) in enumerate(units):
        s = float(similarity[j])
        if s >= MEANING_FLOOR and s > best.get(i, (0.0, -1))[0]:
            best[i] = (s, j)
    scores: Scores = {i: best[i][0] if i in best else 0.0 for i in range(len(docs))}
    reasons: list[list[dict[str, Any]]] = [[] for _ in docs]
    for i, (s, j) in best.items():
        _, repository, text = units[j]
        reason: dict[str, Any] = {"kind": "meaning", "similarity": round(s, 3)}
        if repository is not None:
            reason["repository"] = repository
        else:
            reason["text"] = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
        reasons[i] = [reason]
    return scores, reasons


RANKERS: dict[str, Ranker] = {
    "bm25": _by_bm25,
    "tags": _by_tags,
    "evidence": _by_evidence,
    "competition": _by_competition,
    "embedding": _by_embedding,
}
# Everything; ``embedding`` adds nothing (and costs nothing) when no encoder is available.
DEFAULT_RANKERS = ("bm25", "tags", "evidence", "competition", "embedding")


def rank(
    query_text: str,
    query_tags: Sequence[str],
    docs: Sequence[Doc],
    *,
    rankers: Sequence[str] = DEFAULT_RANKERS,
    limit: int = 20,
) -> list[Ranked]:
    """``docs`` ordered by reciprocal-rank fusion of ``rankers``, with reasons; documents no
    ranker finds anything for are left out. Ties break on (kind, name): deterministic."""
    query = Query(query_text, terms(query_text), _norm_tags(query_tags))
    fused: dict[int, float] = {}
    why: dict[int, list[dict[str, Any]]] = {}
    for name in rankers:
        scores, reasons = RANKERS[name](query, docs)
        order = sorted(
            (i for i, s in scores.items() if s > 0),
            key=lambda i: (-scores[i], docs[i].kind, docs[i].name),
        )
        for position, i in enumerate(order, 1):
            fused[i] = fused.get(i, 0.0) + 1 / (RRF_K + position)
            why.setdefault(i, []).extend(reasons[i])
    ordered = sorted(fused, key=lambda i: (-fused[i], docs[i].kind, docs[i].name))
    return [Ranked(docs[i], round(fused[i], 6), why[i]) for i in ordered[:limit]]
