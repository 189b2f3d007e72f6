"""Scoring in a child process: no network, no data directory, limited CPU, wall time,
memory and file size.

Every submission is scored in ``python -m nbopen.challenges.sandbox``, the built-in metrics
too: a participant's CSV is untrusted input (ten million rows, binary garbage) and a host's
scorer is untrusted code (it may loop, allocate 10 GB or call out). The parent — a web
worker's thread pool or a Celery worker — only waits, so it survives whatever the child does.

Limits, in the order they bite:

* **no network, no data directory**: where ``unshare`` works for this user (Linux with
  unprivileged user namespaces, or root), the child runs in new user, network and mount
  namespaces (``unshare -rnm``): it has only a loopback interface that is down, and a tmpfs
  is mounted over ``NBOPEN_DATA_DIR`` so no other competition's ground truth, no database and
  no repository is there to read. The inputs are copied to a work dir outside the data dir
  first. Where ``unshare`` is missing or refused, an audit hook in the child refuses socket
  creation and opening files under the data directory (a weaker guard — Python code can get
  round an audit hook through ``ctypes`` — so :func:`isolation` reports which one ran);
* **CPU time**: ``RLIMIT_CPU`` (SIGXCPU, then SIGKILL); **wall time**: a timer in the parent
  kills the child (a ``sleep`` or a blocked read uses no CPU);
* **memory**: the resident-set watchdog of :mod:`nbopen.datasets.isolate` (plus a generous
  ``RLIMIT_AS`` backstop), for the reasons written there;
* **file size**: ``RLIMIT_FSIZE`` on everything the child writes (its log included).

Protocol: the request is one JSON object on stdin; the answer one JSON line on a private
copy of stdout (``{"ok": {split: {metric: value}}}`` or ``{"error": code, "detail": {...}}``).
The child's fds 1 and 2 go to ``log.txt`` in the work dir, which the host may read.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import nbopen
from nbopen.challenges.metrics import SubmissionRejected

_MIB = 1 << 20
LOG_LIMIT = 64 * 1024


class ScoringFailed(Exception):
    """The submission failed; ``code`` names why (see ``services.REASONS``)."""

    def __init__(self, code: str, detail: dict[str, Any] | None = None, log: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail or {}
        self.log = log


@functools.cache
def isolation() -> str:
    """``"namespaces"`` when ``unshare -rnm`` works here, else ``"audit-hook"``."""
    if shutil.which("unshare") is None:
        return "audit-hook"
    try:
        probe = subprocess.run(
            ["unshare", "-rnm", "true"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "audit-hook"
    return "namespaces" if probe.returncode == 0 else "audit-hook"


def _command(data_dir: Path) -> list[str]:
    child = [sys.executable, "-m", "nbopen.challenges.sandbox"]
    if isolation() != "namespaces":
        return child
    # Hide the data dir behind an empty tmpfs, then become the child (exec: same pid, so
    # the watchdog measures the scorer itself).
    script = 'mount -t tmpfs -o size=1m none "$1" && shift && exec "$@"'
    return ["unshare", "-rnm", "--", "sh", "-c", script, "sh", str(data_dir), *child]


def run(request: dict[str, Any], *, work_dir: Path, limits: dict[str, int]) -> dict[str, Any]:
    """Score in a limited child; ``{split: {metric: value}}`` or :class:`ScoringFailed`."""
    from nbopen.config.env import CONFIG
    from nbopen.datasets.isolate import _watch_resident

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MALLOC_ARENA_MAX": "2",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONPATH": str(Path(nbopen.__file__).resolve().parent.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = subprocess.Popen(
        _command(CONFIG.data_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=work_dir,
        start_new_session=True,
    )
    killed: list[tuple[str, dict[str, Any]]] = []

    def kill(code: str, detail: dict[str, Any]) -> None:
        if proc.poll() is None:
            killed.append((code, detail))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(limits["wall"], kill, args=("timeout", {"seconds": limits["wall"]}))
    timer.daemon = True
    timer.start()
    watching = threading.Event()
    memory_detail = {"mib": limits["memory"] // _MIB}
    watchdog = threading.Thread(
        target=_watch_resident,
        args=(proc.pid, limits["memory"], watching, lambda _: kill("memory", memory_detail)),
        daemon=True,
    )
    watchdog.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        with contextlib.suppress(BrokenPipeError), proc.stdin:
            proc.stdin.write(json.dumps({**request, "limits": limits}).encode())
        line = proc.stdout.readline(1 << 20)
        code = proc.wait()
    finally:
        timer.cancel()
        watching.set()
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    log = _read_log(work_dir / "log.txt")
    if killed:
        raise ScoringFailed(*killed[0], log=log)
    answer: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        answer = json.loads(line) if line else {}
    if "error" in answer:
        raise ScoringFailed(str(answer["error"]), answer.get("detail") or {}, log=log)
    if "ok" in answer and code == 0:
        return dict(answer["ok"])
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        raise ScoringFailed("cpu", {"seconds": limits["cpu"]}, log=log)
    if code == -signal.SIGXFSZ:
        raise ScoringFailed("output", {"mib": limits["output"] // _MIB}, log=log)
    raise ScoringFailed("crashed", {"exit": code}, log=log)


def _read_log(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(LOG_LIMIT).decode("utf-8", "replace")
    except OSError:
        return ""


# The child ----------------------------------------------------------------------------------


def _set_limits(limits: dict[str, int]) -> None:
    import resource

    backstop = 2 * limits["memory"] + (2 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + 2))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["output"], limits["output"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _guard(forbidden: str) -> None:
    """The fallback guard (and a second one under namespaces): no sockets, and no file under
    the data directory."""
    root = os.path.realpath(forbidden) + os.sep

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in ("socket.__new__", "socket.connect", "socket.getaddrinfo"):
            raise PermissionError("network access is not allowed while scoring")
        if event == "open" and isinstance(args[0], str | bytes):
            path = os.fsdecode(args[0])
            if os.path.realpath(path).startswith(root):
                raise PermissionError("reading the platform's data is not allowed")

    sys.addaudithook(hook)


def _read_csv(
    path: Path, id_column: str, columns: list[str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """(header, id → row) of a CSV; refuses what is not one."""
    import csv

    csv.field_size_limit(1 << 20)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise SubmissionRejected("empty")
            header = [h.strip() for h in header]
            missing = [c for c in columns if c not in header]
            if missing:
                raise SubmissionRejected("wrong_columns", expected=columns, found=header[:20])
            rows: dict[str, dict[str, str]] = {}
            for record in reader:
                if not record:
                    continue
                if len(record) != len(header):
                    raise SubmissionRejected("bad_row", line=reader.line_num)
                row = dict(zip(header, record, strict=True))
                key = row[id_column]
                if key in rows:
                    raise SubmissionRejected("duplicate_ids", id=key[:100])
                rows[key] = row
            return header, rows
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SubmissionRejected("not_csv", error=str(exc)[:200]) from None


def _split_of(key: str, fraction: float) -> str:
    import hashlib

    bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0x100000000
    return "public" if bucket < fraction else "private"


def _builtin(request: dict[str, Any]) -> dict[str, dict[str, float]]:
    import math

    from nbopen.challenges.metrics import METRICS, compute

    id_column, target = request["id_column"], request["target_column"]
    metric = METRICS[request["metric"]]
    split_column = request["split_column"]
    gt_header, truth = _read_csv(Path(request["ground_truth"]), id_column, [id_column, target])
    _, submitted = _read_csv(Path(request["submission"]), id_column, [id_column, target])
    missing = [key for key in truth if key not in submitted]
    if missing:
        raise SubmissionRejected("missing_ids", count=len(missing), example=missing[0][:100])
    extra = [key for key in submitted if key not in truth]
    if extra:
        raise SubmissionRejected("unknown_ids", count=len(extra), example=extra[0][:100])
    by_split: dict[str, tuple[list[Any], list[Any]]] = {}
    for key, row in truth.items():
        split = (
            row[split_column].strip()
            if split_column in gt_header and row[split_column].strip()
            else _split_of(key, float(request["public_fraction"]))
        )
        value: Any = submitted[key][target].strip()
        expected: Any = row[target].strip()
        if metric.numeric:
            try:
                value, expected = float(value), float(expected)
            except ValueError:
                raise SubmissionRejected("not_numeric", id=key[:100]) from None
            if not math.isfinite(value):
                raise SubmissionRejected("nan", id=key[:100])
        elif value.lower() in {"", "nan", "null", "none"}:
            raise SubmissionRejected("nan", id=key[:100])
        truths, predictions = by_split.setdefault(split, ([], []))
        truths.append(expected)
        predictions.append(value)
    scores: dict[str, dict[str, float]] = {}
    for split, (truths, predictions) in by_split.items():
        try:
            scores[split] = {metric.name: compute(metric.name, truths, predictions)}
        except ValueError as exc:
            raise SubmissionRejected("metric_error", error=str(exc)[:300]) from None
    return scores


def _custom(request: dict[str, Any]) -> dict[str, dict[str, float]]:
    import importlib.util

    from nbopen.challenges.metrics import finite

    spec = importlib.util.spec_from_file_location("host_scorer", request["scorer"])
    if spec is None or spec.loader is None:
        raise SubmissionRejected("scorer_error", error="cannot load the scorer")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        result = module.evaluate(request["ground_truth"], request["submission"], request["phase"])
    except SubmissionRejected:
        raise
    except MemoryError:
        raise SubmissionRejected("memory", mib=request["limits"]["memory"] // _MIB) from None
    except Exception as exc:  # the host's code: anything may go wrong; the reason is kept
        raise SubmissionRejected(
            "scorer_error", error=f"{type(exc).__name__}: {exc}"[:500]
        ) from None
    if not isinstance(result, dict) or not all(
        isinstance(split, str)
        and isinstance(values, dict)
        and all(isinstance(name, str) and finite(v) for name, v in values.items())
        for split, values in result.items()
    ):
        raise SubmissionRejected(
            "scorer_error", error="evaluate() must return {split: {metric: number}}"
        )
    return {
        split: {name: float(v) for name, v in values.items()} for split, values in result.items()
    }


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    answer_fd = os.dup(1)
    log_fd = os.open("log.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    _set_limits(request["limits"])
    _guard(request["data_dir"])
    try:
        scores = _custom(request) if request.get("scorer") else _builtin(request)
        answer: dict[str, Any] = {"ok": scores}
    except SubmissionRejected as exc:
        answer = {"error": exc.code, "detail": exc.detail}
    except MemoryError:
        answer = {"error": "memory", "detail": {"mib": request["limits"]["memory"] // _MIB}}
    with os.fdopen(answer_fd, "w") as out:
        out.write(json.dumps(answer, allow_nan=False, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
