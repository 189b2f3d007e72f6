"""The OpenRank kernel against hand derivations and the closed form (numpy, independent)."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nbopen.analytics.openrank import (
    Edge,
    GraphError,
    MonthGraph,
    Node,
    global_openrank,
    openrank,
    parse_graph,
)
from tests.support.live import NBOPEN


def closed_form(nodes: list[Node], edges: list[Edge]) -> dict[str, float]:
    """v = (I − (I−R)S)⁻¹ R·init with S[t, s] = weight of edge s→t."""
    ix = {n.id: i for i, n in enumerate(nodes)}
    size = len(nodes)
    s = np.zeros((size, size))
    for e in edges:
        s[ix[e.target], ix[e.source]] += e.weight
    r = np.diag([n.retention for n in nodes])
    init = np.array([n.init for n in nodes])
    v = np.linalg.solve(np.eye(size) - (np.eye(size) - r) @ s, r @ init)
    return {n.id: float(v[ix[n.id]]) for n in nodes}


def test_two_nodes_by_hand() -> None:
    # a = 0.5·1 + 0.5·b, b = 0.5·0 + 0.5·a  ⇒  a = 2/3, b = 1/3
    nodes = [Node("a", 1.0, 0.5), Node("b", 0.0, 0.5)]
    edges = [Edge("a", "b", 1.0), Edge("b", "a", 1.0)]
    values = openrank(nodes, edges, tolerance=1e-12, max_iterations=1000)
    assert values["a"] == pytest.approx(2 / 3, abs=1e-9)
    assert values["b"] == pytest.approx(1 / 3, abs=1e-9)


def test_one_iteration_by_hand() -> None:
    # From v = init: a ← 0.3·2 + 0.7·(0.5·b) = 0.6 + 0.35·1 = 0.95; b ← 0.5·1 + 0.5·(1·a) = 1.5
    nodes = [Node("a", 2.0, 0.3), Node("b", 1.0, 0.5)]
    edges = [Edge("b", "a", 0.5), Edge("a", "b", 1.0)]
    values = openrank(nodes, edges, tolerance=1e-12, max_iterations=1)
    assert values == {"a": pytest.approx(0.95), "b": pytest.approx(1.5)}
    assert openrank(nodes, edges, max_iterations=0) == {"a": 2.0, "b": 1.0}


def test_random_graph_matches_closed_form() -> None:
    rng = np.random.default_rng(7)
    size = 12
    nodes = [
        Node(f"n{i}", float(rng.uniform(0, 3)), float(rng.uniform(0.1, 0.9))) for i in range(size)
    ]
    edges = []
    for i in range(size):
        targets = rng.choice([j for j in range(size) if j != i], size=4, replace=False)
        weights = rng.uniform(0.1, 1.0, size=4)
        weights /= weights.sum()  # out-weights sum to 1, as in OpenDigger's graphs
        edges += [Edge(f"n{i}", f"n{t}", float(w)) for t, w in zip(targets, weights, strict=True)]
    expected = closed_form(nodes, edges)
    values = openrank(nodes, edges, tolerance=1e-13, max_iterations=10_000)
    for key, value in expected.items():
        assert values[key] == pytest.approx(value, abs=1e-9)
    # The global run's tolerance stops early but stays close to the fixed point.
    rough = openrank(nodes, edges)
    assert max(abs(rough[k] - expected[k]) for k in expected) < 0.1


def test_global_openrank_shares_background() -> None:
    pairs = {("r1", "u1"): 40.0, ("r1", "u2"): 10.0, ("r2", "u2"): 30.0}
    values = global_openrank(
        MonthGraph(pairs=pairs, last_values={"r1": 2.0}), tolerance=1e-13, max_iterations=10_000
    )
    # The same graph written out by hand.
    init_u = {u: 1 / (1 + math.exp(0.10425 * (44.08 - a))) for u, a in {"u1": 40, "u2": 40}.items()}
    nodes = [
        Node("r1", 2.0, 0.3),
        Node("r2", 0.0, 0.3),
        Node("u1", init_u["u1"], 0.5),
        Node("u2", init_u["u2"], 0.5),
        Node("bg", 0.0, 0.15),
    ]
    edges = [
        Edge("r1", "u1", 0.95 * 40 / 50),
        Edge("r1", "u2", 0.95 * 10 / 50),
        Edge("r2", "u2", 0.95),
        Edge("u1", "r1", 0.95),
        Edge("u2", "r1", 0.95 * 10 / 40),
        Edge("u2", "r2", 0.95 * 30 / 40),
    ]
    for n in nodes[:-1]:
        edges += [Edge(n.id, "bg", 0.05), Edge("bg", n.id, 0.25)]
    expected = closed_form(nodes, edges)
    for key in ("r1", "r2", "u1", "u2"):
        assert values[key] == pytest.approx(expected[key] + expected["bg"] / 4, abs=1e-9)
    assert "background" not in values


def test_bad_graphs_are_rejected() -> None:
    with pytest.raises(GraphError):
        openrank([Node("a", 1, 0.5)], [Edge("a", "missing", 1.0)])
    with pytest.raises(GraphError):
        openrank([Node("a", 1, 0.5), Node("a", 1, 0.5)], [])
    with pytest.raises(GraphError):
        parse_graph({"nodes": [{"init": 1}]})
    with pytest.raises(GraphError):
        openrank([Node("a", 1, 1.5)], [])


def test_cli_prints_kernel_values(tmp_path: Path) -> None:
    graph = {
        "nodes": [
            {"id": "a", "init": 1.0, "retention": 0.5},
            {"id": 2, "init": 0.0, "retention": 0.5},
        ],
        "edges": [
            {"source": "a", "target": 2, "weight": 1.0},
            {"source": 2, "target": "a", "weight": 1.0},
        ],
    }
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph))
    env_dir = tmp_path / "data"
    run = subprocess.run(
        [
            *NBOPEN,
            "--data-dir",
            str(env_dir),
            "analytics",
            "openrank",
            str(path),
            "--tolerance",
            "1e-12",
            "--max-iterations",
            "500",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    values = json.loads(run.stdout)
    assert values["a"] == pytest.approx(2 / 3, abs=1e-9)
    assert values["2"] == pytest.approx(1 / 3, abs=1e-9)
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": [{"id": "a"}], "edges": [{"source": "a", "target": "b"}]}')
    failed = subprocess.run(
        [*NBOPEN, "--data-dir", str(env_dir), "analytics", "openrank", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1 and "unknown node" in failed.stderr
