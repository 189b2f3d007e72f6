"""What every ``git receive-pack`` NBopen runs needs, whichever transport carries the push.

Smart HTTP (:mod:`.smart`) and SSH (:mod:`nbopen.hubapi.gitssh`) both run the real
``git receive-pack`` on the bare repository, whose shared hooks (:mod:`nbopen.repos.git.bare`)
refuse server-owned refs and, when the owner blocks secrets, scan the pushed blobs
(:func:`nbopen.scanning.gate.hook_env`); ``post-receive`` writes the refs it moved to the
file named by ``NBOPEN_PUSH_LOG``. After git exits, :meth:`Push.record` hands those updates
to the write service's :func:`~nbopen.repos.writes.after_update.after_update` (events, search,
cards, conversions) — one path, so an SSH push is indexed and logged exactly like an HTTP one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.collab import protection
from nbopen.config.env import CONFIG
from nbopen.mirrors import git_mirrors
from nbopen.repos.models import Repository
from nbopen.repos.writes.after_update import after_update, parse_ref_updates
from nbopen.scanning import gate

CHUNK = 256 * 1024


async def spawn_git(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """``git ARGS`` with all three pipes, as both transports relay it."""
    return await asyncio.create_subprocess_exec(
        "git",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        limit=CHUNK,
    )


@dataclass(frozen=True)
class Push:
    env: dict[str, str]  # what receive-pack's environment must add
    log_path: str
    repo_id: int

    async def record(self, principal: Principal, ok: bool) -> None:
        """Record the refs git moved (call once git exited; nothing when it failed)."""
        if not ok:
            return
        with open(self.log_path) as fh:
            updates = parse_ref_updates(fh)
        await sync_to_async(after_update, thread_sensitive=False)(
            repo_id=self.repo_id, actor=principal.user, updates=updates
        )


@contextlib.asynccontextmanager
async def receive_pack(
    repo: Repository, user: User | None = None, accept_language: str | None = None
) -> AsyncIterator[Push]:
    """The environment of one ``git receive-pack`` run by ``user`` and its push log, removed
    afterwards; protected-branch refusals are worded in the pusher's language."""
    CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, log_path = tempfile.mkstemp(prefix="push-", dir=CONFIG.tmp_dir)
    os.close(fd)
    try:
        env = {"NBOPEN_PUSH_LOG": log_path}
        env.update(await sync_to_async(gate.hook_env, thread_sensitive=False)(repo))
        # A pull mirror follows its source: the pre-receive hook refuses the push, naming it.
        source = await sync_to_async(git_mirrors.pull_source, thread_sensitive=False)(repo)
        if source is not None:
            env["NBOPEN_PULL_MIRROR"] = source
        # Protected branches: the rules resolved for this pusher, refusals in their language.
        language = protection.pusher_language(user, accept_language)
        env.update(protection.pull_refs_env(language))
        env.update(
            await sync_to_async(protection.hook_env, thread_sensitive=False)(repo, user, language)
        )
        yield Push(env=env, log_path=log_path, repo_id=repo.pk)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(log_path)
