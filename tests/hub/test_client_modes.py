"""The upload modes of HF_COMPAT.md §7: Xet-disabled clients and an older client (0.36.2)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path

import pytest

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e
SCENARIO = Path(__file__).with_name("scenario_core.py")
OLD_CLIENT = "huggingface_hub==0.36.2"
CACHE = Path(os.environ.get("NBOPEN_TEST_CACHE") or "/tmp/nbopen-test-cache")


def run_scenario(python: str, hub: Hub, work: Path, *extra: str, **env: str) -> dict[str, str]:
    work.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    environment.update(
        {
            # As users run it: old clients parse commit URLs against HF_ENDPOINT only.
            "HF_ENDPOINT": hub.url,
            "HF_HOME": str(work / "hf-home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            **env,
        }
    )
    proc = subprocess.run(
        [python, str(SCENARIO), hub.url, hub.token, hub.user, str(work), *extra],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=work,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def preupload_mode(hub: Hub, repo_id: str, user_agent: str, **headers: str) -> str:
    body = {
        "files": [
            {"path": "w.bin", "size": 20_000_000, "sample": base64.b64encode(b"\0" * 512).decode()}
        ]
    }
    request = urllib.request.Request(
        f"{hub.url}/api/models/{repo_id}/preupload/main",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {hub.token}",
            "Content-Type": "application/json",
            "User-Agent": user_agent,
            **headers,
        },
    )
    with urllib.request.urlopen(request) as response:
        return str(json.load(response)["files"][0]["uploadMode"])


def test_preupload_answers_lfs_to_every_client(hub: Hub) -> None:
    """NBopen runs Xet: hf_xet clients upload ``lfs`` files there, the others via LFS batch."""
    repo_id = hub.repo_id("modes")
    hub.api.create_repo(repo_id)
    assert preupload_mode(hub, repo_id, "unknown/1.0; hf_hub/2.4.0; python/3.11") == "lfs"
    assert preupload_mode(hub, repo_id, "hf_hub/1.20.0; python/3.11") == "lfs"
    assert preupload_mode(hub, repo_id, "hf_hub/2.4.0", **{"X-NBopen-Lfs": "1"}) == "lfs"
    assert preupload_mode(hub, repo_id, "unknown/None; hf_hub/0.36.2; python/3.11") == "lfs"
    assert preupload_mode(hub, repo_id, "hf_hub/1.19.0") == "lfs"
    assert preupload_mode(hub, repo_id, "git-lfs/3.6.1") == "lfs"


@pytest.mark.slow
def test_core_scenario_with_xet_disabled_over_lfs(hub: Hub, tmp_path: Path) -> None:
    """HF_HUB_DISABLE_XET=1 plus the opt-in header: LFS batch (basic), signed PUT, verify."""
    result = run_scenario(sys.executable, hub, tmp_path, "--lfs-header", HF_HUB_DISABLE_XET="1")
    assert result["client"] == "2.4.0"


@pytest.mark.slow
def test_core_scenario_with_xet_disabled_inline(hub: Hub, tmp_path: Path) -> None:
    """Without the opt-in header too: large files now go through LFS batch, small ones inline."""
    result = run_scenario(sys.executable, hub, tmp_path, HF_HUB_DISABLE_XET="1")
    assert result["client"] == "2.4.0"


def client_python(requirement: str) -> str:
    """A venv holding ``requirement`` (``huggingface_hub==X``), built once under the test cache."""
    env_dir = CACHE / ("hf-" + requirement.split("==")[1])
    python = env_dir / "bin" / "python"
    marker = env_dir / ".installed"
    if not marker.exists():
        venv.create(env_dir, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", requirement],
            check=True,
            capture_output=True,
            timeout=600,
        )
        marker.write_text(requirement)
    return str(python)


@pytest.fixture(scope="session")
def old_client_python() -> str:
    """A venv holding huggingface_hub 0.36.2, built once and kept under the test cache."""
    return client_python(OLD_CLIENT)


@pytest.mark.slow
def test_core_scenario_with_huggingface_hub_0_36_2(
    hub: Hub, tmp_path: Path, old_client_python: str
) -> None:
    result = run_scenario(old_client_python, hub, tmp_path)
    assert result["client"] == "0.36.2"


def test_lfs_batch_offers_multipart_only_when_asked_and_large(hub: Hub) -> None:
    repo_id = hub.repo_id("multipart")
    hub.api.create_repo(repo_id)

    def upload_action(transfers: list[str], size: int) -> dict[str, object]:
        body = {
            "operation": "upload",
            "transfers": transfers,
            "objects": [{"oid": "b" * 64, "size": size}],
            "hash_algo": "sha256",
        }
        request = urllib.request.Request(
            f"{hub.url}/{repo_id}.git/info/lfs/objects/batch",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {hub.token}",
                "Content-Type": "application/vnd.git-lfs+json",
                "Accept": "application/vnd.git-lfs+json",
            },
        )
        with urllib.request.urlopen(request) as response:
            return dict(json.load(response)["objects"][0]["actions"]["upload"])

    big = 25 * 1000 * 1000
    header = upload_action(["basic", "multipart"], big)["header"]
    assert isinstance(header, dict) and header["chunk_size"] == str(8 * 1024 * 1024)
    assert sorted(k for k in header if k.isdigit()) == ["00001", "00002", "00003"]
    assert "header" not in upload_action(["basic"], big)  # git-lfs: basic only
    assert "header" not in upload_action(["basic", "multipart"], 1000)
