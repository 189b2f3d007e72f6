"""A throw-away ``nbopen serve`` for benchmarks: own data dir, free port, one user and token.

Mirrors what ``tests/support/live.py`` does, minus the PostgreSQL plumbing: the benchmark times
git transport, and the database is touched only for one credentials lookup per request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

NBOPEN = [sys.executable, "-m", "nbopen.cli.main"]


class NBopenServer:
    def __init__(
        self,
        data_dir: Path,
        port: int,
        home: Path,
        workers: int = 1,
        *,
        demo: bool = False,
        database_url: str | None = None,
        ssh_port: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.workers = workers
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("NBOPEN_", "GIT_"))}
        self.env.update(
            {
                "HOME": str(home),
                "NBOPEN_DATA_DIR": str(data_dir),
                "NBOPEN_PUBLIC_URL": self.url,
                "NBOPEN_SECRET_KEY": "bench-" + uuid.uuid4().hex,
            }
        )
        if database_url:
            self.env["NBOPEN_DATABASE_URL"] = database_url
        self.ssh_port = ssh_port
        if ssh_port:
            self.env["NBOPEN_SSH_PORT"] = str(ssh_port)
        self.demo = demo
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = "bench"
        self.token = ""

    def cli(self, *args: str) -> str:
        proc = subprocess.run(
            [*NBOPEN, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            raise RuntimeError(f"nbopen {' '.join(args[:2])} failed: {proc.stderr.strip()}")
        return proc.stdout

    def start(self) -> NBopenServer:
        """Serve; with ``demo`` the empty data dir gets the demo content first (``serve`` loads
        it before granian forks, which can take a minute)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.demo:
            self.cli("migrate")
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the server
        self.proc = subprocess.Popen(
            [*NBOPEN, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + ([] if self.demo else ["--no-demo"])
            + (["--workers", str(self.workers)] if self.workers != 1 else []),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + (900 if self.demo else 90)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nbopen serve exited; see {self.data_dir}/server.log")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nbopen serve did not come up") from None
                time.sleep(0.2)
        self.cli(
            "user", "create", self.user, "--email", "bench@example.org", "--password", "Bench-pw-9x"
        )
        self.token = self.cli("token", "create", self.user, "--scope", "write").strip()
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def root_pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None else []

    def create_repo(self, name: str, repo_type: str = "code") -> str:
        """A public repository through the Hub-compatible API; returns its push URL."""
        request = urllib.request.Request(
            self.url + "/api/repos/create",
            data=json.dumps({"name": name, "type": repo_type}).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            json.load(response)
        return f"http://{self.user}:{self.token}@127.0.0.1:{self.port}/{self.user}/{name}.git"

    def clone_url(self, name: str) -> str:
        """Anonymous URL (the repository is public): clones carry no credentials check cost."""
        return f"{self.url}/{self.user}/{name}.git"

    def add_ssh_key(self, public_key: str) -> None:
        """Register ``public_key`` for the bench user (Gitea's ``POST /api/v1/user/keys``)."""
        request = urllib.request.Request(
            self.url + "/api/v1/user/keys",
            data=json.dumps({"title": "bench", "key": public_key}).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            json.load(response)

    def ssh_clone_url(self, name: str) -> str:
        return f"ssh://git@127.0.0.1:{self.ssh_port}/{self.user}/{name}.git"
