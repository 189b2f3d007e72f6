"""Fixtures for the Hub-compatibility tests: a user, tokens and an ``HfApi`` on the live server.

The real ``huggingface_hub`` (pinned in pyproject) talks to ``nbopen serve`` over HTTP. Every
test passes ``endpoint=``/``token=``/``cache_dir=`` explicitly, because the client reads its
environment once at import time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.support.live import LiveServer


@dataclass
class Hub:
    live: LiveServer
    user: str
    token: str
    read_token: str
    api: HfApi

    @property
    def url(self) -> str:
        return self.live.url

    def repo_id(self, stem: str) -> str:
        return f"{self.user}/{stem}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def hub(live: LiveServer) -> Iterator[Hub]:
    user = f"hf{uuid.uuid4().hex[:8]}"
    token = live.create_user(user)
    read_token = live.token(user, scope="read")
    yield Hub(live, user, token, read_token, HfApi(endpoint=live.url, token=token))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    path = tmp_path / "hf-cache"
    path.mkdir()
    return path
