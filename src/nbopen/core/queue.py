"""The task queue at scale: Celery over a real broker (RabbitMQ or Redis).

``NBOPEN_TASKS=celery`` makes :func:`nbopen.core.tasks.defer` publish each job to the broker at
``NBOPEN_BROKER_URL`` instead of running it in-process; ``nbopen worker`` consumes them, on as
many machines as needed. Web processes and workers share the database and the storage backend,
so a job only carries the name of a module-level function and JSON arguments — never objects.

Why one generic task rather than one Celery task per function: the code that defers work stays
the same for every backend (a plain function plus arguments), and nothing outside this module
knows Celery exists. Only functions of the ``nbopen`` package can be named, so a message on the
broker cannot run arbitrary code. Delivery is at least once (``acks_late``: a job whose worker
dies is redelivered), which is why :mod:`nbopen.core.tasks` requires jobs to be idempotent.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from typing import Any

from celery import Celery
from django.db import close_old_connections

from nbopen.config.env import CONFIG

log = logging.getLogger(__name__)

RUN_TASK = "nbopen.run"

app = Celery("nbopen")
app.conf.update(
    broker_url=CONFIG.broker_url,
    broker_connection_retry_on_startup=True,
    task_default_queue=CONFIG.task_queue,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
)
# A forked child (granian's worker) must not publish over connections it inherited from the
# parent: two processes writing frames on one AMQP socket corrupt both. Celery knows how to
# drop its pools after a fork but only hooks ``multiprocessing``'s fork, not ``os.fork``.
os.register_at_fork(after_in_child=app._after_fork)


class NotATask(ValueError):
    """The named function is not something a queued job may run."""


def target_of(fn: Callable[..., Any]) -> str:
    """``module:function`` for a module-level function of the nbopen package."""
    module = getattr(fn, "__module__", "") or ""
    qualname = getattr(fn, "__qualname__", "") or ""
    if not module.startswith("nbopen.") or not qualname.isidentifier():
        raise NotATask(f"only module-level nbopen functions can be queued, not {fn!r}")
    return f"{module}:{qualname}"


def resolve(target: str) -> Callable[..., Any]:
    module, sep, name = target.partition(":")
    if not sep or not module.startswith("nbopen.") or not name.isidentifier():
        raise NotATask(f"not a queueable function: {target!r}")
    fn = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise NotATask(f"not a queueable function: {target!r}")
    return fn


def enqueue(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Publish one job; retried a few times if the broker is briefly unreachable."""
    app.send_task(
        RUN_TASK,
        args=[target_of(fn), list(args), kwargs],
        retry=True,
        retry_policy={"max_retries": 5, "interval_start": 0.2, "interval_step": 0.5},
    )


@app.task(name=RUN_TASK)
def run(target: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Worker side: run the named function (connections are tidied like Django requests do)."""
    close_old_connections()
    try:
        resolve(target)(*args, **kwargs)
    finally:
        close_old_connections()
