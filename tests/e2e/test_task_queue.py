"""The task queue at scale: ``NBOPEN_TASKS=celery`` with a real RabbitMQ and ``nbopen worker``.

The web process must hand the work to the broker and not do it itself: a pushed dataset stays
unconverted (and unsearchable) while no worker runs, and is converted and indexed once one
starts. The broker is the machine's RabbitMQ (started before each session here and in CI).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbopen.core import queue
from tests.datasets.support import create_dataset, get, push_files
from tests.support.live import NBOPEN, LiveServer

BROKER = "amqp://guest:guest@127.0.0.1:5672//"


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _broker_up(), reason="RabbitMQ is not running on :5672")


@pytest.fixture()
def queued_server(tmp_path: Path) -> Iterator[LiveServer]:
    name = f"nbopen-test-{uuid.uuid4().hex[:10]}"
    server = LiveServer(
        tmp_path / "srv",
        env={"NBOPEN_TASKS": "celery", "NBOPEN_BROKER_URL": BROKER, "NBOPEN_TASK_QUEUE": name},
    ).start()
    try:
        yield server
    finally:
        server.stop()
        from kombu import Connection

        with Connection(BROKER) as conn:
            conn.default_channel.queue_delete(name)


def _search_total(server: LiveServer, q: str) -> int:
    with urllib.request.urlopen(f"{server.url}/api/v1/search?q={q}") as response:
        return int(json.loads(response.read())["total"])


def _waiting_jobs(server: LiveServer) -> int:
    from kombu import Connection

    with Connection(BROKER) as conn:
        declared = conn.default_channel.queue_declare(server.env["NBOPEN_TASK_QUEUE"], passive=True)
        return int(declared.message_count)


def test_worker_runs_what_the_server_queued(queued_server: LiveServer, tmp_path: Path) -> None:
    server = queued_server
    token = server.create_user("qowner")
    create_dataset(server, token, "harbour")
    csv = "id,港口,吞吐量\n1,宁波舟山港,1300\n2,上海港,4900\n3,青岛港,2800\n".encode()
    push_files(server, token, "qowner", "harbour", tmp_path / "work", {"train.csv": csv})

    # No worker yet: the jobs wait in the broker, the server did not run them itself.
    time.sleep(3)
    status, body, _ = get(server, "splits", dataset="qowner/harbour")
    assert status != 200 or not body.get("splits"), body
    # The conversion and search jobs of the push wait there (search itself reads its writes,
    # so a query would not tell whether its job ran).
    assert _waiting_jobs(server) > 0

    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [*NBOPEN, "worker", "--concurrency", "2"], env=server.env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 120
        rows: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            status, body, _ = get(
                server, "rows", dataset="qowner/harbour", config="default", split="train"
            )
            if status == 200 and body.get("rows"):
                rows = body["rows"]
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(1)
        assert [r["row"]["港口"] for r in rows] == ["宁波舟山港", "上海港", "青岛港"], (
            tmp_path / "worker.log"
        ).read_text()
        deadline = time.monotonic() + 60
        while _search_total(server, "harbour") == 0 and time.monotonic() < deadline:
            time.sleep(1)
        assert _search_total(server, "harbour") == 1
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def test_worker_refuses_without_a_broker_backend(tmp_path: Path) -> None:
    env = LiveServer(tmp_path / "plain").env
    proc = subprocess.run(
        [*NBOPEN, "worker"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 1
    assert "NBOPEN_TASKS=celery" in proc.stderr


def test_only_module_level_nbopen_functions_travel_through_the_broker() -> None:
    from nbopen.datasets.services import run_conversion
    from nbopen.search.tasks import refresh

    assert queue.target_of(run_conversion) == "nbopen.datasets.services:run_conversion"
    assert queue.resolve(queue.target_of(refresh)) is refresh

    def local() -> None:
        pass

    with pytest.raises(queue.NotATask):
        queue.target_of(local)
    with pytest.raises(queue.NotATask):
        queue.target_of(json.dumps)
    for hostile in ("os:system", "subprocess:run", "nbopen.core.queue", "nbopen.x:a.b"):
        with pytest.raises((queue.NotATask, ModuleNotFoundError)):
            queue.resolve(hostile)
