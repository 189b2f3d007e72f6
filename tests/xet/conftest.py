"""Helpers for driving the Xet CAS with the real ``hf_xet`` client."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import LiveServer


@dataclass
class Cas:
    live: LiveServer

    def create_repo(self, token: str, name: str, *, private: bool = False) -> None:
        body = {"name": name, "type": "model", "private": private}
        request = urllib.request.Request(
            self.live.url + "/api/repos/create",
            method="POST",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 200

    def token(self, repo: str, user: str | None, *, write: bool = False) -> dict[str, Any]:
        args = ["xet", "token", repo]
        if user:
            args += ["--user", user]
        if write:
            args.append("--write")
        result = self.live.cli(*args)
        return dict(json.loads(result.stdout))

    def usage(self, repo: str) -> dict[str, int]:
        return dict(json.loads(self.live.cli("xet", "usage", repo).stdout))

    def upload(
        self, repo: str, user: str, paths: list[Path], *, cache: Path | None = None
    ) -> list[Any]:
        """Upload with hf_xet; ``cache`` gives the client a fresh local cache (no local dedup)."""
        import hf_xet

        info = self.token(repo, user, write=True)
        if cache is not None:
            os.environ["HF_XET_CACHE"] = str(cache)
        session = hf_xet.XetSession()
        with session.new_upload_commit(
            endpoint=info["casUrl"], token=info["accessToken"], token_expiry_unix_secs=info["exp"]
        ) as commit:
            handles = [
                commit.start_upload_file(str(p), sha256=hf_xet.COMPUTE_SHA256) for p in paths
            ]
        return [h.result().xet_info for h in handles]

    def download(self, repo: str, user: str | None, file_hash: str, size: int, dest: Path) -> None:
        import hf_xet

        info = self.token(repo, user)
        session = hf_xet.XetSession()
        with session.new_file_download_group(
            endpoint=info["casUrl"], token=info["accessToken"], token_expiry_unix_secs=info["exp"]
        ) as group:
            group.start_download_file(hf_xet.XetFileInfo(file_hash, size), str(dest))

    def request(
        self,
        method: str,
        path: str,
        token: str | None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """A raw CAS request; returns (status, body) without raising on 4xx."""
        url = path if path.startswith("http") else self.live.url + "/xet-cas" + path
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, method=method, data=body, headers=all_headers)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@pytest.fixture(scope="session")
def cas(live: LiveServer) -> Cas:
    return Cas(live)
