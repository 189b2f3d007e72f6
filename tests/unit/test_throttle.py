"""The throttle's arithmetic and its cross-process budget counter (the e2e tests in
tests/e2e/test_ratelimit.py check the channels' answers)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from nbopen.access import throttle


def _spend_many(root: str, count: int) -> None:
    for _ in range(count):
        throttle._append_count(Path(root), 7, "caller")


def test_budget_counts_exactly_across_processes_and_drops_old_windows(tmp_path: Path) -> None:
    throttle._append_count(tmp_path, 6, "caller")  # an older window
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_spend_many, args=(str(tmp_path), 250)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert throttle._append_count(tmp_path, 7, "caller") == 1001
    assert sorted(p.name for p in tmp_path.iterdir()) == ["7"]


def test_delay_grows_then_locks_out() -> None:
    account = throttle.Subject("account", "someone")  # limit 10: delays after 3 failures
    assert throttle._wait({"failures": 3, "last": 100.0}, account, 100.0) == 0
    assert throttle._wait({"failures": 4, "last": 100.0}, account, 100.5) == 0.5
    assert throttle._wait({"failures": 6, "last": 100.0}, account, 100.0) == 4
    locked = {"failures": 10, "last": 100.0, "locked_until": 1000.0}
    assert throttle._wait(locked, account, 400.0) == 600
    assert throttle._wait(locked, account, 1000.0) == 0  # over: the next failure locks again
