"""The built-in metrics (scikit-learn's and pycocotools' implementations) and the reasons a
submission fails.

Imported by the scoring child only (:mod:`.sandbox`): numpy and scikit-learn are loaded
there, never in a web worker. No Django here.

Kinds of prediction a metric reads from the submission's target column:

* ``label`` and ``numeric``: one value per id;
* ``ranking`` (``map@K``, ``ndcg@K``): a ranked list per id, items separated by spaces (the
  Kaggle format); the ground truth lists the relevant items, each optionally ``item:grade``
  (a graded relevance for NDCG; MAP counts every listed item as relevant);
* ``detection`` (``coco_map``, ``coco_map50``, ``coco_map75``, ``mean_iou``): not a CSV —
  the ground truth is a COCO annotation file and the submission a COCO results list
  ``[{image_id, category_id, bbox: [x, y, w, h], score}]`` (:mod:`.detection`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    numeric: bool  # predictions are numbers (regression, probabilities), else labels
    kind: str = ""  # "ranking" or "detection" (see the module docstring); "" otherwise
    k: int = 0  # the cut-off of a ranking metric


# The cut-offs offered by name (``map@K`` / ``ndcg@K`` with another K also works where the
# metric name is looked up with :func:`metric`).
RANKING_CUTOFFS = (1, 3, 5, 10, 12, 20, 50, 100)
MAX_CUTOFF = 1000
DETECTION = ("coco_map", "coco_map50", "coco_map75", "mean_iou")


def metric(name: str) -> Metric | None:
    """The metric called ``name``: a built-in one, or ``map@K`` / ``ndcg@K`` for any K."""
    if name in METRICS:
        return METRICS[name]
    family, sep, cutoff = name.partition("@")
    if sep and family in ("map", "ndcg") and cutoff.isdigit() and 0 < int(cutoff) <= MAX_CUTOFF:
        return Metric(f"{family}@{int(cutoff)}", True, False, "ranking", int(cutoff))
    return None


# name → (higher is better, numeric predictions). The functions are looked up in the child.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", True, False),
        Metric("f1_macro", True, False),
        Metric("f1_micro", True, False),
        Metric("f1_weighted", True, False),
        Metric("precision_macro", True, False),
        Metric("recall_macro", True, False),
        Metric("roc_auc", True, True),
        Metric("log_loss", False, True),
        Metric("mae", False, True),
        Metric("rmse", False, True),
        Metric("rmsle", False, True),
        Metric("mape", False, True),
        Metric("smape", False, True),
        Metric("r2", True, True),
        *(
            Metric(f"{family}@{k}", True, False, "ranking", k)
            for family in ("map", "ndcg")
            for k in RANKING_CUTOFFS
        ),
        *(Metric(name, True, False, "detection") for name in DETECTION),
    )
}


def compute(name: str, truth: Sequence[Any], predicted: Sequence[Any]) -> float:
    """``name`` of ``predicted`` against ``truth`` (scikit-learn where it has the metric)."""
    import numpy as np
    from sklearn import metrics as sk

    functions: dict[str, Callable[[Any, Any], Any]] = {
        "accuracy": sk.accuracy_score,
        "f1_macro": lambda y, p: sk.f1_score(y, p, average="macro"),
        "f1_micro": lambda y, p: sk.f1_score(y, p, average="micro"),
        "f1_weighted": lambda y, p: sk.f1_score(y, p, average="weighted"),
        "precision_macro": lambda y, p: sk.precision_score(y, p, average="macro", zero_division=0),
        "recall_macro": lambda y, p: sk.recall_score(y, p, average="macro", zero_division=0),
        "roc_auc": sk.roc_auc_score,
        "log_loss": lambda y, p: sk.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]),
        "mae": sk.mean_absolute_error,
        "rmse": sk.root_mean_squared_error,
        "rmsle": sk.root_mean_squared_log_error,
        "mape": sk.mean_absolute_percentage_error,
        "smape": _smape,
        "r2": sk.r2_score,
    }
    found = metric(name)
    if found is None:
        raise ValueError(f"unknown metric {name!r}")
    if found.kind == "ranking":
        ranked = [list(p) for p in predicted]
        if found.name.startswith("map@"):
            return mean_average_precision(list(truth), ranked, found.k)
        return ndcg(list(truth), ranked, found.k)
    if found.numeric:
        y = np.asarray(truth, dtype=float)
        if name in {"roc_auc", "log_loss"}:
            y = y.astype(int)
        return float(functions[name](y, np.asarray(predicted, dtype=float)))
    return float(functions[name](list(truth), list(predicted)))


Relevant = dict[str, float]  # a ground truth's relevant items → grade (1 when not given)


def relevant_items(cell: str) -> Relevant:
    """``"a b:3 c"`` → ``{"a": 1.0, "b": 3.0, "c": 1.0}`` (the first grade of an item wins);
    a grade that is not a finite number ≥ 0 is a ValueError (the host's file is wrong)."""
    found: Relevant = {}
    for token in cell.split():
        item, sep, grade = token.rpartition(":") if ":" in token else (token, "", "")
        value = float(grade) if sep else 1.0
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"relevance grade {grade!r} of {item!r} is not a number ≥ 0")
        found.setdefault(item, value)
    return found


def mean_average_precision(truth: list[Relevant], ranked: list[list[str]], k: int) -> float:
    """MAP@K as Kaggle and ``ml_metrics.mapk`` define it (scikit-learn has no MAP@K):
    per id, AP@K = Σ_{i≤K} P(i)·rel(i) / min(|relevant|, K), where P(i) is the precision of
    the first i predictions, rel(i) is 1 when the i-th prediction is relevant and was not
    already predicted higher (a repeated item counts once); an id with nothing relevant
    scores 0. The mean over ids."""
    if not truth:
        return 0.0
    total = 0.0
    for relevant, predicted in zip(truth, ranked, strict=True):
        if not relevant:
            continue
        hits, score, seen = 0, 0.0, set()
        for position, item in enumerate(predicted[:k], start=1):
            if item in relevant and item not in seen:
                hits += 1
                score += hits / position
            seen.add(item)
        total += score / min(len(relevant), k)
    return total / len(truth)


def ndcg(truth: list[Relevant], ranked: list[list[str]], k: int, chunk: int = 10_000) -> float:
    """NDCG@K by scikit-learn's ``ndcg_score`` (gain = the relevance grade, discount
    1/log2(rank + 1); an id with nothing relevant scores 0), the mean over ids.

    scikit-learn takes a score per candidate item, so each id becomes one row: its first K
    distinct predictions with decreasing scores, then K irrelevant fillers (so a list
    shorter than K never borrows an unpredicted item), then the K most relevant items it did
    not predict, scored lowest (they count in the ideal DCG only). Rows go in chunks so
    memory stays at 3K columns × ``chunk`` rows.
    """
    import numpy as np
    from sklearn.metrics import ndcg_score

    if not truth:
        return 0.0
    width = 3 * k
    total = 0.0
    for start in range(0, len(truth), chunk):
        rows = range(start, min(start + chunk, len(truth)))
        relevance = np.zeros((len(rows), width))
        scores = np.zeros((len(rows), width))
        for row, index in enumerate(rows):
            relevant = truth[index]
            chosen = list(dict.fromkeys(ranked[index]))[:k]
            for position, item in enumerate(chosen):
                relevance[row, position] = relevant.get(item, 0.0)
                scores[row, position] = 3.0 + k - position
            scores[row, k : 2 * k] = 2.0  # the fillers: relevance 0
            missed = sorted((g for i, g in relevant.items() if i not in chosen), reverse=True)
            relevance[row, 2 * k : 2 * k + min(k, len(missed))] = missed[:k]
            scores[row, 2 * k :] = 1.0
        total += float(ndcg_score(relevance, scores, k=k, ignore_ties=True)) * len(rows)
    return total / len(truth)


def preload() -> None:
    """Import what :func:`compute` needs (the scoring zygote calls this once, so every
    forked child finds the modules loaded)."""
    import contextlib

    import numpy  # noqa: F401
    from sklearn import metrics  # noqa: F401

    with contextlib.suppress(ImportError):  # optional: only the COCO metrics need it
        import pycocotools.cocoeval  # noqa: F401


def _smape(truth: Any, predicted: Any) -> float:
    """Symmetric MAPE (not in scikit-learn): mean of 2|p−y| / (|y|+|p|), 0 where both are 0."""
    import numpy as np

    denominator = np.abs(truth) + np.abs(predicted)
    ratio = np.where(denominator == 0, 0.0, 2 * np.abs(predicted - truth) / (denominator + 1e-300))
    return float(np.mean(ratio))


def split_of(key: str, fraction: float) -> str:
    """The split of an id the ground truth does not assign: a stable hash of the id, so the
    same ``fraction`` of ids is public in every run and nobody can choose which."""
    import hashlib

    bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0x100000000
    return "public" if bucket < fraction else "private"


class SubmissionRejected(Exception):
    """The submission cannot be scored; ``code`` names the reason (translated by the server)."""

    def __init__(self, code: str, **detail: Any) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
