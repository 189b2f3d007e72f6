"""The README's ``make run`` path: ``nbopen serve`` on an empty data dir loads the demo, then
granian forks its worker. Jobs deferred in that worker afterwards must run.

Before the fix, the worker inherited the demo loader's task pool without its threads: a new
dataset stayed "conversion queued" and a new repository never reached search until a restart.
The server here runs with the default in-process task backend, as a first-time user's does.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def first_start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("first-start")
    server = LiveServer(data_dir)
    assert "NBOPEN_TASKS" not in server.env  # the default backend: an in-process thread pool
    server.start(demo=True, timeout=600)
    try:
        yield server
    finally:
        server.stop()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def _wait_for(what: str, check: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout} s; last answer: {last!r}")


def test_demo_was_loaded_by_serve(first_start: LiveServer) -> None:
    assert "loaded demo content" in first_start.log()
    models = _get(first_start.url + "/api/models?limit=5")
    assert models, "the demo's models are listed"


def test_new_dataset_converts_and_is_searchable_after_first_start(first_start: LiveServer) -> None:
    token = first_start.create_user("newcomer")
    api = HfApi(endpoint=first_start.url, token=token)
    api.create_repo("newcomer/harbour-cranes", repo_type="dataset")
    api.upload_file(
        path_or_fileobj="crane,moves\n岸桥1,41\n岸桥2,37\n".encode(),
        path_in_repo="data.csv",
        repo_id="newcomer/harbour-cranes",
        repo_type="dataset",
    )

    def converted() -> list[Any]:
        splits = _get(first_start.url + "/datasets-server/splits?dataset=newcomer/harbour-cranes")
        return list(splits.get("splits") or [])

    splits = _wait_for("the dataset conversion", converted)
    assert [s["split"] for s in splits] == ["train"]
    rows = _get(
        first_start.url
        + "/datasets-server/rows?dataset=newcomer/harbour-cranes&config=default&split=train"
    )
    assert [r["row"]["moves"] for r in rows["rows"]] == [41, 37]

    def found() -> list[str]:
        result = _get(first_start.url + "/api/v1/search?q=harbour")
        return [hit["id"] for hit in result["results"]]

    assert "newcomer/harbour-cranes" in _wait_for("search indexing", found)
