"""A real ``nbopen serve`` process for end-to-end tests, with its own data dir and database.

Tests talk to it only over HTTP and through the ``nbopen`` CLI, exactly like a user would.
When NBOPEN_DATABASE_URL points at PostgreSQL, each server gets a fresh database there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

NBOPEN = [sys.executable, "-m", "nbopen.cli.main"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)


class LiveServer:
    def __init__(self, data_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPEN_")}
        self.env.update(
            {
                "NBOPEN_DATA_DIR": str(data_dir),
                "NBOPEN_PUBLIC_URL": self.url,
                "NBOPEN_SECRET_KEY": "live-test-" + uuid.uuid4().hex,
                "HF_HUB_DISABLE_TELEMETRY": "1",
            }
        )
        self._db_name: str | None = None
        base_db = os.environ.get("NBOPEN_DATABASE_URL", "")
        if base_db.startswith(("postgres://", "postgresql://")):
            self._db_name = f"nbopen_live_{uuid.uuid4().hex[:12]}"
            _postgres_admin(base_db, f'CREATE DATABASE "{self._db_name}"')
            parts = urlsplit(base_db)
            self.env["NBOPEN_DATABASE_URL"] = urlunsplit(
                (parts.scheme, parts.netloc, "/" + self._db_name, "", "")
            )
        self.env.update(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``nbopen ARGS`` against this server's data dir and database."""
        return subprocess.run(
            [*NBOPEN, *args], env=self.env, capture_output=True, text=True, check=check, timeout=120
        )

    def start(self, *, demo: bool = False, timeout: float = 60, migrate: bool = True) -> LiveServer:
        """Serve; ``demo=True`` starts as ``make run`` does on an empty data dir (the demo is
        loaded by ``serve`` itself, before granian forks its worker). ``migrate=False``
        skips the separate ``nbopen migrate`` (``serve`` migrates too): a restart after
        :meth:`kill`, where that step would only cost time."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not demo and migrate:
            self.cli("migrate")
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        command = [*NBOPEN, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*command, *([] if demo else ["--no-demo"])],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: kill() takes granian's workers and their git children
            # with it, as a power cut or the OOM killer of a container would.
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nbopen serve exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"nbopen serve did not come up:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the server's whole process group (no cleanup runs); ``start()`` again
        serves the same data dir and database."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._db_name is not None:
            _postgres_admin(
                self.env["NBOPEN_DATABASE_URL"],
                f'DROP DATABASE IF EXISTS "{self._db_name}" WITH (FORCE)',
            )

    # Helpers every e2e test needs -----------------------------------------------------

    def create_user(self, name: str, *, admin: bool = False) -> str:
        """Create a user and return a write token for them."""
        args = [
            "user",
            "create",
            name,
            "--email",
            f"{name}@example.org",
            "--password",
            f"pw-{name}-Secret9",
        ]
        self.cli(*args, *(["--admin"] if admin else []))
        return self.token(name)

    def token(self, user: str, scope: str = "write") -> str:
        return self.cli("token", "create", user, "--scope", scope).stdout.strip()

    def delete_repo(self, token: str, full_name: str, repo_type: str = "model") -> None:
        """Delete a repository through the Hub API, as ``huggingface_hub.delete_repo`` does."""
        import json

        request = urllib.request.Request(
            self.url + "/api/repos/delete",
            method="DELETE",
            data=json.dumps({"name": full_name, "type": repo_type}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
