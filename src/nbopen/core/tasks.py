"""Background work behind one small interface.

``defer(fn, *args)`` schedules ``fn`` to run after the current transaction commits. The
embedded default runs it on an in-process thread pool; ``NBOPEN_TASKS=sync`` runs it inline
(useful in tests that need the result at once); ``NBOPEN_TASKS=celery`` publishes it to a real
broker for ``nbopen worker`` processes (:mod:`nbopen.core.queue`). ``fn`` must be a module-level
function and its arguments JSON values, so that every backend can carry it. Task functions must
be idempotent: a task may run twice after a crash and retry.

Which process owns the pool: the one that runs the jobs, never an ancestor. ``nbopen serve``
may load the demo (deferring jobs, so creating the pool) before granian forks its worker; a
forked child inherits the pool *object* but none of its threads, and jobs submitted to it would
wait forever. :func:`_forget_parent_pool` runs in every forked child, so the child's first
``defer`` builds a pool of its own.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections, transaction

from nbopen.config.env import CONFIG

log = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_pending: set[Future[Any]] = set()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nbopen-task")
        return _executor


def _forget_parent_pool() -> None:
    """After ``fork()``, in the child: drop the parent's pool, its lock and its futures.

    The lock is replaced too: a task thread of the parent may have held it at the fork, and
    no thread of the child would ever release it.
    """
    global _executor, _lock, _pending
    _executor = None
    _lock = threading.Lock()
    _pending = set()


os.register_at_fork(after_in_child=_forget_parent_pool)


def _run(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *, inline: bool = False
) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:
        log.exception("background task %s failed", getattr(fn, "__qualname__", fn))
    finally:
        if not inline:  # inline (sync) tasks share the caller's connection: leave it open
            close_old_connections()


def defer(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` in the background once the current transaction commits."""

    def submit() -> None:
        if CONFIG.task_backend == "sync":
            _run(fn, args, kwargs, inline=True)
            return
        if CONFIG.task_backend == "celery":
            from nbopen.core import queue

            try:
                queue.enqueue(fn, args, kwargs)
            except Exception:
                # The change itself is committed; the job's own state (e.g. a pending
                # conversion) shows it has not run, and it can be re-triggered.
                log.exception("could not queue %s", getattr(fn, "__qualname__", fn))
            return
        future = _pool().submit(_run, fn, args, kwargs)
        _pending.add(future)
        future.add_done_callback(_pending.discard)

    transaction.on_commit(submit)


def wait_idle(timeout: float = 30.0) -> None:
    """Block until queued in-process tasks are done, including tasks they queued in turn.

    Jobs sent to a broker are not waited for: workers own them from then on."""
    deadline = time.monotonic() + timeout
    while _pending:
        for future in list(_pending):
            future.result(timeout=max(0.0, deadline - time.monotonic()))
