"""The OpenRank kernel: one synchronous iteration scheme shared by the CLI and the monthly job.

It follows X-lab's ``OpenRankPregel`` (openrank-neo4j-gds): every node keeps an initial value
``init`` and a retention factor ``r``; each iteration computes, for all nodes at once,

    v ← r·init + (1 − r)·Σ_{edges s→t} w(s→t)·v(s)

starting from ``v = init``. A node whose value changed by less than ``tolerance`` is marked
converged (the mark is sticky, as the Pregel ``vote_to_halt`` property is); the run stops when
every node is marked or after ``max_iterations``. Values keep being updated until then, so the
result is the same fixed point as the closed form ``v = (I − (I−R)S)⁻¹ R·init`` up to the
tolerance. One iteration is a weighted ``bincount`` over the edge arrays (numpy), so a city's
graph of a few hundred thousand nodes runs in seconds without a graph engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

# OpenDigger's global-run parameters (src/cron/tasks/globalOpenrank.ts).
USER_RETENTION = 0.5
REPO_RETENTION = 0.3
BACKGROUND_RETENTION = 0.15
ATTENUATION = 0.85
EDGE_SHARE = 0.95  # of a node's out-weight spread over its collaboration edges
BACKGROUND_SHARE = 0.05  # of every node's out-weight sent to the background node
DEFAULT_TOLERANCE = 0.01
DEFAULT_MAX_ITERATIONS = 100


@dataclass(frozen=True)
class Node:
    id: str
    init: float
    retention: float


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    weight: float


class GraphError(ValueError):
    """The graph document is malformed (unknown node, bad number, duplicate id)."""


def openrank(
    nodes: Iterable[Node],
    edges: Iterable[Edge],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> dict[str, float]:
    """OpenRank of every node. Edge weights are used as given (callers normalise them)."""
    node_list = list(nodes)
    index: dict[str, int] = {}
    for i, node in enumerate(node_list):
        if node.id in index:
            raise GraphError(f"duplicate node id {node.id!r}")
        for label, value in (("init", node.init), ("retention", node.retention)):
            if not math.isfinite(value):
                raise GraphError(f"node {node.id!r}: {label} must be a finite number")
        if not 0.0 <= node.retention <= 1.0:
            raise GraphError(f"node {node.id!r}: retention must be within [0, 1]")
        index[node.id] = i
    if tolerance <= 0 or max_iterations < 0:
        raise GraphError("tolerance must be positive and max_iterations non-negative")
    sources: list[int] = []
    targets: list[int] = []
    weights: list[float] = []
    for edge in edges:
        if edge.source not in index or edge.target not in index:
            raise GraphError(f"edge {edge.source!r}→{edge.target!r} names an unknown node")
        if not math.isfinite(edge.weight):
            raise GraphError(f"edge {edge.source!r}→{edge.target!r}: weight must be finite")
        sources.append(index[edge.source])
        targets.append(index[edge.target])
        weights.append(edge.weight)
    values = iterate(
        np.asarray(sources, dtype=np.int64),
        np.asarray(targets, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
        np.asarray([n.init for n in node_list], dtype=np.float64),
        np.asarray([n.retention for n in node_list], dtype=np.float64),
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    return {node.id: float(values[i]) for i, node in enumerate(node_list)}


def iterate(
    src: np.ndarray,
    tgt: np.ndarray,
    weight: np.ndarray,
    init: np.ndarray,
    keep: np.ndarray,
    *,
    tolerance: float,
    max_iterations: int,
) -> np.ndarray:
    """The kernel proper on edge arrays (validated by the callers)."""
    size = len(init)
    values = init.copy()
    converged = np.zeros(size, dtype=bool)
    for _ in range(max_iterations):
        inflow = np.bincount(tgt, weights=weight * values[src], minlength=size)
        new = keep * init + (1.0 - keep) * inflow
        converged |= np.abs(new - values) < tolerance
        values = new
        if converged.all():
            break
    return values


def parse_graph(document: Mapping[str, object]) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges from ``{"nodes": [{id, init, retention}], "edges": [{source, target,
    weight}]}``; ids may be strings or numbers (compared as strings)."""
    raw_nodes = document.get("nodes")
    raw_edges = document.get("edges", [])
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        raise GraphError('the graph needs a "nodes" list and an "edges" list')
    try:
        nodes = [
            Node(str(n["id"]), float(n.get("init", 0.0)), float(n.get("retention", 0.0)))
            for n in raw_nodes
        ]
        edges = [
            Edge(str(e["source"]), str(e["target"]), float(e.get("weight", 1.0))) for e in raw_edges
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GraphError(f"malformed node or edge: {exc}") from exc
    return nodes, edges


def activity_to_init(activity: float) -> float:
    """A user's initial value from this month's collaboration weight (OpenDigger's logistic)."""
    return 1.0 / (1.0 + math.exp(0.10425 * (44.08 - activity)))


@dataclass(frozen=True)
class MonthGraph:
    """The month's collaboration pairs, (repo key, user key) → weight ``a`` (> 0)."""

    pairs: Mapping[tuple[str, str], float]
    last_values: Mapping[str, float]  # node key → last month's OpenRank (already attenuated)


BACKGROUND = "background"


def global_openrank(
    graph: MonthGraph,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> dict[str, float]:
    """OpenDigger's monthly global OpenRank for repo keys and user keys (background shared).

    Keys must be distinct between repositories and users (callers prefix them). The returned
    values already include the background node's value split equally among the other nodes.
    """
    repos: dict[str, int] = {}
    users: dict[str, int] = {}
    pair_repo, pair_user, pair_weight = [], [], []
    for (repo, user), a in graph.pairs.items():
        pair_repo.append(repos.setdefault(repo, len(repos)))
        pair_user.append(users.setdefault(user, len(users)))
        pair_weight.append(a)
    if not repos:
        return {}
    keys = list(repos) + list(users)
    last = np.asarray([graph.last_values.get(k, 0.0) for k in keys], dtype=np.float64)
    values = global_openrank_arrays(
        np.asarray(pair_repo, dtype=np.int64),
        np.asarray(pair_user, dtype=np.int64),
        np.asarray(pair_weight, dtype=np.float64),
        last[: len(repos)],
        last[len(repos) :],
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    return {key: float(values[i]) for i, key in enumerate(keys)}


def global_openrank_arrays(
    pair_repo: np.ndarray,
    pair_user: np.ndarray,
    pair_weight: np.ndarray,
    last_repo: np.ndarray,
    last_user: np.ndarray,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> np.ndarray:
    """:func:`global_openrank` on dense arrays, the form the monthly job feeds it.

    Pair ``k`` links repository ``pair_repo[k]`` (0 … R−1) and user ``pair_user[k]``
    (0 … U−1) with weight ``pair_weight[k]``; ``last_repo``/``last_user`` hold last month's
    attenuated values. Returns R + U values (repositories first), background shared. The
    caller keeps node keys in its own tables (DuckDB), so no per-node Python object is built.
    """
    n_repos, n_users = len(last_repo), len(last_user)
    others = n_repos + n_users
    if not others:
        return np.zeros(0, dtype=np.float64)
    background = others  # node index
    r_idx = pair_repo.astype(np.int64, copy=False)
    u_idx = pair_user.astype(np.int64, copy=False) + n_repos
    a_val = pair_weight.astype(np.float64, copy=False)
    node_sum = np.bincount(r_idx, weights=a_val, minlength=others) + np.bincount(
        u_idx, weights=a_val, minlength=others
    )
    everyone = np.arange(others, dtype=np.int64)
    bg = np.full(others, background, dtype=np.int64)
    src = np.concatenate([r_idx, u_idx, everyone, bg])
    tgt = np.concatenate([u_idx, r_idx, bg, everyone])
    weight = np.concatenate(
        [
            EDGE_SHARE * a_val / node_sum[r_idx],
            EDGE_SHARE * a_val / node_sum[u_idx],
            np.full(others, BACKGROUND_SHARE),
            np.full(others, 1.0 / others),
        ]
    )
    last = np.concatenate([last_repo, last_user, [0.0]]).astype(np.float64)
    logistic = 1.0 / (1.0 + np.exp(0.10425 * (44.08 - node_sum[n_repos:])))
    init = last + np.concatenate([np.zeros(n_repos), logistic, [0.0]])
    keep = np.concatenate(
        [np.full(n_repos, REPO_RETENTION), np.full(n_users, USER_RETENTION), [BACKGROUND_RETENTION]]
    )
    values = iterate(
        src, tgt, weight, init, keep, tolerance=tolerance, max_iterations=max_iterations
    )
    share = values[background] / others
    return values[:others] + share
