"""The built-in metrics (scikit-learn's implementations) and the reasons a submission fails.

Imported by the scoring child only (:mod:`.sandbox`): numpy and scikit-learn are loaded
there, never in a web worker. No Django here.
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
    metric = METRICS[name]
    if metric.numeric:
        y = np.asarray(truth, dtype=float)
        if name in {"roc_auc", "log_loss"}:
            y = y.astype(int)
        return float(functions[name](y, np.asarray(predicted, dtype=float)))
    return float(functions[name](list(truth), list(predicted)))


def preload() -> None:
    """Import what :func:`compute` needs (the scoring zygote calls this once, so every
    forked child finds the modules loaded)."""
    import numpy  # noqa: F401
    from sklearn import metrics  # noqa: F401


def _smape(truth: Any, predicted: Any) -> float:
    """Symmetric MAPE (not in scikit-learn): mean of 2|p−y| / (|y|+|p|), 0 where both are 0."""
    import numpy as np

    denominator = np.abs(truth) + np.abs(predicted)
    ratio = np.where(denominator == 0, 0.0, 2 * np.abs(predicted - truth) / (denominator + 1e-300))
    return float(np.mean(ratio))


class SubmissionRejected(Exception):
    """The submission cannot be scored; ``code`` names the reason (translated by the server)."""

    def __init__(self, code: str, **detail: Any) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
