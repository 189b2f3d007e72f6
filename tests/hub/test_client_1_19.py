"""HF_COMPAT.md §11.18: the core scenario with a second older client, huggingface_hub 1.19.0.

1.0 – 1.19 speak httpx, send ``visibility`` instead of ``private``, list a snapshot through
``siblings`` and negotiate Xet in the LFS batch (§13), so they take paths neither 0.36.2 nor
the pinned 2.4.0 client exercise. The client runs in its own cached venv, in a subprocess.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hub.conftest import Hub
from tests.hub.test_client_modes import client_python, run_scenario

pytestmark = pytest.mark.e2e
CLIENT = "huggingface_hub==1.19.0"


@pytest.fixture(scope="session")
def client_1_19_python() -> str:
    return client_python(CLIENT)


@pytest.mark.slow
def test_core_scenario_with_huggingface_hub_1_19_0(
    hub: Hub, tmp_path: Path, client_1_19_python: str
) -> None:
    result = run_scenario(client_1_19_python, hub, tmp_path)
    assert result["client"] == "1.19.0"
    assert hub.api.repo_exists(result["repo"])
