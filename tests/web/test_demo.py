"""``nbopen demo`` fills an empty platform with labelled demo content, respecting privacy."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import NBOPEN, LiveServer


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("demo")).start()
    try:
        server.cli("demo")
        yield server
    finally:
        server.stop()


def _get(url: str, lang: str = "zh-CN") -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": lang})
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_demo_content_is_there_and_labelled(demo_server: LiveServer) -> None:
    status, home = _get(demo_server.url + "/")
    assert status == 200
    for org, kind in (
        ("港智科技（演示）", "企业"),
        ("甬江大学（演示）", "高校"),
        ("甬城数据局（演示）", "政府机构"),
    ):
        assert org in home
        assert kind in home
    status, repo = _get(demo_server.url + "/gangzhi-tech/port-container-detector")
    assert status == 200 and "演示数据" in repo and "demo data" in repo
    status, dataset = _get(demo_server.url + "/datasets/yongcheng-data/air-quality-daily")
    assert status == 200 and "甬城空气质量日报" in dataset
    status, csv = _get(
        demo_server.url + "/yongcheng-data/air-quality-daily/raw/main/data/2025-q1.csv"
    )
    assert status == 200 and csv.startswith("date,station,aqi")
    # The demo's private repository stays private.
    assert _get(demo_server.url + "/gangzhi-tech/internal-roadmap")[0] == 404
    assert "internal-roadmap" not in _get(demo_server.url + "/gangzhi-tech")[1]


def test_demo_is_idempotent(demo_server: LiveServer) -> None:
    second = demo_server.cli("demo")
    assert "already present" in second.stderr


def _serve(server: LiveServer, *extra: str) -> subprocess.Popen[bytes]:
    """``nbopen serve`` exactly as ``make run`` starts it (LiveServer always adds --no-demo)."""
    proc = subprocess.Popen(
        [*NBOPEN, "serve", "--host", "127.0.0.1", "--port", str(server.port), *extra],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # A first start loads the demo and runs its background jobs (conversion, indexing) on the
    # same 2 cores: allow it time under a loaded CI machine. This bounds a hang, not speed.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, "nbopen serve exited"
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("nbopen serve did not come up")


@pytest.mark.parametrize("no_demo", [False, True])
def test_serve_loads_demo_only_when_asked_on_an_empty_data_dir(
    tmp_path: Path, no_demo: bool
) -> None:
    server = LiveServer(tmp_path / "fresh")
    try:
        server.proc = _serve(server, *(["--no-demo"] if no_demo else []))
        status, _ = _get(server.url + "/gangzhi-tech")
        assert status == (404 if no_demo else 200)
    finally:
        server.stop()  # also drops its PostgreSQL database, when there is one


def test_demo_dashboards_are_computed(demo_server: LiveServer) -> None:
    """Loading the demo also runs the monthly analytics job, so /insights is not empty."""
    import json

    status, body = _get(demo_server.url + "/insights?format=json")
    assert status == 200
    data = json.loads(body)
    assert data["months"], data
    assert data["metrics"].get("active_developers", 0) > 0, data["metrics"]


def test_demo_has_conversations(demo_server: LiveServer) -> None:
    """An issue closed by the squash-merged pull request that says 修复 #1, and a model
    discussion: the Issues, Pull requests and 讨论 tabs are not empty on a first start."""
    sdk = demo_server.url + "/gangzhi-tech/smart-port-sdk"
    status, issues = _get(sdk + "/issues?state=closed")
    assert status == 200 and "/gangzhi-tech/smart-port-sdk/issues/1" in issues
    status, pull = _get(sdk + "/pulls/2")
    assert status == 200 and 'id="thread-state">已合并<' in pull and "默认值清楚" in pull
    status, talk = _get(demo_server.url + "/yongjiang-univ/chinese-legal-bert/discussions")
    assert status == 200 and "ONNX" in talk
