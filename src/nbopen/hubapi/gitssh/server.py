"""git over SSH: an asyncssh server that runs the real git binaries, like smart HTTP does.

Why asyncssh inside NBopen rather than OpenSSH with ``AuthorizedKeysCommand``: nothing to
configure on the host (the embedded mode is one process tree and a data dir), and the
server can ask the policy per command. Only public-key sign-in is offered; the key decides
who is asking (:mod:`nbopen.access.ssh`), any user name is accepted (``git@host`` as on
GitHub and Gitea).

Commands (the path as git sends it: ``'/owner/name.git'``, ``'owner/name'``,
``'datasets/owner/name'``):

* ``git-upload-pack``, ``git-upload-archive`` — read (the gate applies, as for HTTP);
* ``git-receive-pack`` — write, through :func:`nbopen.hubapi.githttp.receive.receive_pack`,
  the same hooks, environment and push recording as smart HTTP;
* ``git-lfs-authenticate PATH upload|download`` — the JSON git-lfs expects
  (``href``, ``header.Authorization``, ``expires_in``): objects then move over HTTP with a
  short-lived token bound to the repository.

A refusal is worded as on HTTP (:mod:`nbopen.hubapi.denials`, channel ``GIT``); a repository
the key cannot read is "Repository not found", whether it exists or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shlex
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.access.ssh import LFS_TOKEN_TTL, key_sign_in, lfs_token, ssh_principal, username_of
from nbopen.accounts.ssh_lib import asyncssh
from nbopen.config.env import CONFIG
from nbopen.hubapi.denials import Channel, denial
from nbopen.hubapi.githttp.paths import RepoPath, match_ssh
from nbopen.hubapi.githttp.receive import CHUNK, receive_pack, spawn_git
from nbopen.hubapi.githttp.smart import GIT_PROTOCOL_RE
from nbopen.repos.models import Repository
from nbopen.repos.packs import upload_pack_options
from nbopen.repos.services import repo_find

log = logging.getLogger(__name__)

GIT_COMMANDS = {
    "git-upload-pack": Level.READ,
    "git-upload-archive": Level.READ,
    "git-receive-pack": Level.WRITE,
}
HOST_KEY_NAME = "ssh_host_ed25519_key"
_FINGERPRINT = "nbopen_fingerprint"
P = ParamSpec("P")
T = TypeVar("T")


def _db(fn: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """``fn`` in a worker thread, returning its database connection to Django's rules after
    (this process serves no Django requests, whose signals would otherwise do it)."""

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


class Refused(Exception):
    """The command is refused; the message goes to the client's stderr."""


def host_key_path() -> Path:
    """The server's host key, generated on first start (clients pin it in known_hosts, so it
    must survive restarts: it lives in the data dir, readable by its owner only)."""
    path = CONFIG.ssh_dir / HOST_KEY_NAME
    if not path.exists():
        CONFIG.ssh_dir.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it first: use theirs
            return path
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key())
    return path


class _Server(asyncssh.SSHServer):
    """One connection: remembers the key the client proved it holds."""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # asyncssh asks again for the signed request just before accepting it, so the last
        # key validated here is the one the client signed with.
        fingerprint = key.get_fingerprint("sha256")
        peer = self._conn.get_extra_info("peername")
        ip = str(peer[0]) if peer else None
        known = await _db(key_sign_in)(fingerprint, ip=ip)
        if known:
            self._conn.set_extra_info(**{_FINGERPRINT: fingerprint})
        return known


def _authorize(fingerprint: str, path: RepoPath, need: Level) -> tuple[Principal, Repository]:
    """The principal and repository for a command, or :class:`Refused` (database work)."""
    want = Repository.Type.DATASET if path.dataset_prefix else None
    repo = repo_find(path.owner, path.name, want)
    if repo is not None and want is not None and repo.type != want:
        repo = None
    principal = ssh_principal(fingerprint, repo)
    if principal is None:
        raise Refused("This SSH key is no longer registered")
    decision = decide_repo(principal, repo, need, content=need == Level.READ)
    if decision is Decision.UNAUTHENTICATED:
        decision = Decision.NOT_FOUND  # the key signed in: it is not anonymous to ask again
    if decision is not Decision.ALLOW or repo is None:
        raise Refused(denial(Channel.GIT, decision).message)
    return principal, repo


authorize = _db(_authorize)


async def handle(process: asyncssh.SSHServerProcess[bytes]) -> None:
    """One SSH session: run its command, answer its exit status."""
    fingerprint = str(process.get_extra_info(_FINGERPRINT) or "")
    try:
        status = await _dispatch(process, fingerprint)
    except Refused as exc:
        process.stderr.write(f"fatal: {exc}\n".encode())
        status = 1
    except (BrokenPipeError, ConnectionError, asyncssh.Error):
        return  # the client went away; git was stopped
    except Exception:
        log.exception("SSH command failed: %r", process.command)
        process.stderr.write(b"fatal: internal error\n")
        status = 1
    with contextlib.suppress(BrokenPipeError, ConnectionError, asyncssh.Error):
        process.exit(status)


async def _dispatch(process: asyncssh.SSHServerProcess[bytes], fingerprint: str) -> int:
    command = process.command
    if not command:
        name = await _db(username_of)(fingerprint)
        greeting = f"Hi {name}! " if name else "Hi! "
        process.stderr.write(
            (
                greeting + "You have authenticated, but NBopen does not provide shell access.\n"
            ).encode()
        )
        return 1
    try:
        argv = shlex.split(command)
    except ValueError:
        raise Refused("Malformed command") from None
    if len(argv) == 2 and argv[0] in GIT_COMMANDS:
        path = match_ssh(argv[1], argv[0])
        if path is None:
            raise Refused("Repository not found")
        principal, repo = await authorize(fingerprint, path, GIT_COMMANDS[argv[0]])
        return await _run_git(process, argv[0], principal, repo)
    if len(argv) == 3 and argv[0] == "git-lfs-authenticate" and argv[2] in ("upload", "download"):
        path = match_ssh(argv[1], argv[0])
        if path is None:
            raise Refused("Repository not found")
        upload = argv[2] == "upload"
        _, repo = await authorize(fingerprint, path, Level.WRITE if upload else Level.READ)
        token = await _db(lfs_token)(fingerprint, repo, upload=upload)
        prefix = "datasets/" if path.dataset_prefix else ""
        answer = {
            "href": f"{CONFIG.public_url}/{prefix}{repo.full_name}.git/info/lfs",
            "header": {"Authorization": f"Bearer {token}"},
            "expires_in": LFS_TOKEN_TTL,
        }
        process.stdout.write(json.dumps(answer).encode() + b"\n")
        return 0
    # git-lfs tries git-lfs-transfer first and falls back to git-lfs-authenticate on failure.
    raise Refused(f"Unknown command: {argv[0]}")


def _git_env(process: asyncssh.SSHServerProcess[bytes]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proto = process.env.get("GIT_PROTOCOL")
    if isinstance(proto, str) and GIT_PROTOCOL_RE.match(proto):
        env["GIT_PROTOCOL"] = proto
    return env


async def _run_git(
    process: asyncssh.SSHServerProcess[bytes], command: str, principal: Principal, repo: Repository
) -> int:
    env = _git_env(process)
    async with contextlib.AsyncExitStack() as stack:
        push = None
        if command == "git-receive-pack":
            push = await stack.enter_async_context(receive_pack(repo, principal.user))
            env.update(push.env)
        # upload-pack's pack-objects goes through the pack cache, as over HTTP.
        options = upload_pack_options() if command == "git-upload-pack" else []
        proc = await spawn_git(*options, command.removeprefix("git-"), str(repo.git_path), env=env)
        returncode = await _pump(process, proc)
        if push is not None:
            # Before the exit status: once the client's push returns, the event is recorded.
            await push.record(principal, returncode == 0)
        return returncode


async def _pump(process: asyncssh.SSHServerProcess[bytes], proc: asyncio.subprocess.Process) -> int:
    """Channel → git's stdin, git's stdout/stderr → channel; git's exit status."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    async def feed() -> None:
        assert proc.stdin is not None
        try:
            while chunk := await process.stdin.read(CHUNK):
                proc.stdin.write(chunk)
                await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError, asyncssh.BreakReceived):
            pass
        finally:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.close()

    async def relay(source: asyncio.StreamReader, sink: asyncssh.SSHWriter[bytes]) -> None:
        while chunk := await source.read(CHUNK):
            sink.write(chunk)
            await sink.drain()

    feeder = asyncio.create_task(feed())
    try:
        await asyncio.gather(relay(proc.stdout, process.stdout), relay(proc.stderr, process.stderr))
        return await proc.wait()
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    finally:
        # git may exit before the client closes its side (upload-pack after the pack).
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder


async def start(host: str, port: int) -> asyncssh.SSHAcceptor:
    """Listen for git over SSH on ``host:port``."""
    return await asyncssh.create_server(
        _Server,
        host,
        port,
        server_host_keys=[str(host_key_path())],
        process_factory=handle,
        encoding=None,
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        line_editor=False,
    )
