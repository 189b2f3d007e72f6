"""Scoring in a child process: no network, no data directory, limited CPU, wall time,
memory and file size.

Every submission is scored in a fresh child process, the built-in metrics too: a
participant's CSV is untrusted input (ten million rows, binary garbage) and a host's scorer
is untrusted code (it may loop, allocate 10 GB or call out). The parent — a web worker's
thread pool or a Celery worker — only waits, so it survives whatever the child does.

The children come from a **warm pool**: a few long-lived zygotes
(``python -m nbopen.challenges.sandbox --zygote``, started under ``unshare -rnm`` as below)
that imported numpy and scikit-learn once and ``fork`` one child per submission. Spawning an
interpreter per submission cost ≈1.5 s of imports, 4.8× the metric itself on a 100 000-row
CSV. The zygote runs only our code and never opens a competition's file: the forked child
does, applies its own rlimits first, and exits after the one submission, so no two
competitions' data (nor a host scorer's state) ever share a process. The zygote watches the
child's wall time and resident memory and kills its process group.

Limits, in the order they bite:

* **no network, no data directory**: where ``unshare`` works for this user (Linux with
  unprivileged user namespaces, or root), the child runs in new user, network and mount
  namespaces (``unshare -rnm``): it has only a loopback interface that is down, and a tmpfs
  is mounted over ``NBOPEN_DATA_DIR`` so no other competition's ground truth, no database and
  no repository is there to read. The inputs are copied to a work dir outside the data dir
  first. Where ``unshare`` is missing or refused, an audit hook in the child refuses socket
  creation and opening files under the data directory (a weaker guard — Python code can get
  round an audit hook through ``ctypes`` — so :func:`isolation` reports which one ran);
* **CPU time**: ``RLIMIT_CPU`` set in the forked child (a fork starts at zero CPU time;
  SIGXCPU, then SIGKILL); **wall time**: the zygote kills the child at the deadline (a
  ``sleep`` or a blocked read uses no CPU), and the caller drops a zygote that does not
  answer in time;
* **memory**: a resident-set watchdog in the zygote, polling like the one of
  :mod:`nbopen.datasets.isolate` (plus a generous ``RLIMIT_AS`` backstop), for the reasons
  written there;
* **file size**: ``RLIMIT_FSIZE`` on everything the child writes (its log included).

Protocol: one JSON line per job on the zygote's stdin (``{"request", "work_dir"}``), one
JSON report line on its stdout (``{"answer", "exit", "killed"}``); the child's answer is
``{"ok": {split: {metric: value}}}`` or ``{"error": code, "detail": {...}}``. The child's
fds 1 and 2 go to ``log.txt`` in the work dir, which the host may read.
"""

from __future__ import annotations

import atexit
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
    """The zygote's command: under ``unshare -rnm`` with the data dir hidden where that works."""
    child = [sys.executable, "-m", "nbopen.challenges.sandbox", "--zygote"]
    if isolation() != "namespaces":
        return child
    # Hide the data dir behind an empty tmpfs, then become the zygote (exec: same pid).
    script = 'mount -t tmpfs -o size=1m none "$1" && shift && exec "$@"'
    return ["unshare", "-rnm", "--", "sh", "-c", script, "sh", str(data_dir), *child]


def _child_env() -> dict[str, str]:
    paths = [str(Path(nbopen.__file__).resolve().parent.parent)]
    # The operator's own PYTHONPATH (where an optional metric library may live) comes after.
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MALLOC_ARENA_MAX": "2",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths)),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


# Zygotes started for this long still get their first answer: the imports come first.
STARTUP_SECONDS = 60
# How many idle zygotes a process keeps (more are started while more jobs run at once).
POOL_SIZE = 2


class _Zygote:
    """One warm scoring parent: it has imported numpy and scikit-learn and forks a fresh,
    limited child per submission. Only our code runs in it; it never opens a competition's
    file (each job's child does), so nothing of one competition stays for the next."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.fresh = True
        self.proc = subprocess.Popen(
            _command(data_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_child_env(),
            cwd="/",
            start_new_session=True,
        )
        self._buffer = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ask(self, job: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send one job, wait for its one-line report; None when the zygote died or hung
        (the caller then discards it)."""
        import select
        import time

        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            return None
        if self.fresh:
            timeout += STARTUP_SECONDS
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
        line, _sep, self._buffer = self._buffer.partition(b"\n")
        self.fresh = False
        try:
            report = json.loads(line)
        except ValueError:
            return None
        return report if isinstance(report, dict) else None

    def close(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.proc.wait(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()


_pool: list[_Zygote] = []
_pool_lock = threading.Lock()


def _take(data_dir: Path) -> _Zygote:
    with _pool_lock:
        while _pool:
            zygote = _pool.pop()
            if zygote.alive() and zygote.data_dir == data_dir:
                return zygote
            zygote.close()
    return _Zygote(data_dir)


def _give_back(zygote: _Zygote) -> None:
    with _pool_lock:
        if zygote.alive() and len(_pool) < POOL_SIZE:
            _pool.append(zygote)
            return
    zygote.close()


def shutdown() -> None:
    """Stop the idle zygotes (at exit; tests that change the data dir)."""
    with _pool_lock:
        idle, _pool[:] = list(_pool), []
    for zygote in idle:
        zygote.close()


def _forget_pool() -> None:
    """In a forked child (a granian worker): the zygotes' pipes belong to the parent; this
    process starts its own when it first scores."""
    global _pool_lock
    _pool_lock = threading.Lock()  # another thread may have held it at the fork
    _pool.clear()


atexit.register(shutdown)
os.register_at_fork(after_in_child=_forget_pool)


def run(request: dict[str, Any], *, work_dir: Path, limits: dict[str, int]) -> dict[str, Any]:
    """Score in a limited child; ``{split: {metric: value}}`` or :class:`ScoringFailed`.

    The child is forked by a warm zygote (see :class:`_Zygote`): each submission still gets
    a fresh process with its own limits, the interpreter and scikit-learn are loaded once.
    """
    from nbopen.config.env import CONFIG

    zygote = _take(CONFIG.data_dir)
    report = zygote.ask(
        {
            "request": {**request, "limits": limits},
            "work_dir": str(work_dir),
            "confine": isolation() == "namespaces",
        },
        timeout=limits["wall"] + 10,
    )
    if report is None:
        zygote.close()
        log = _read_log(work_dir / "log.txt")
        raise ScoringFailed("crashed", {"exit": "lost"}, log=log)
    _give_back(zygote)
    log = _read_log(work_dir / "log.txt")
    killed = report.get("killed")
    if killed:
        raise ScoringFailed(str(killed[0]), dict(killed[1]), log=log)
    answer = report.get("answer") or {}
    code = int(report.get("exit", -1))
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


def _builtin(request: dict[str, Any]) -> dict[str, dict[str, float]]:
    import math

    from nbopen.challenges.metrics import compute, relevant_items, split_of
    from nbopen.challenges.metrics import metric as find_metric

    metric = find_metric(request["metric"])
    if metric is None:
        raise SubmissionRejected("metric_error", error=f"unknown metric {request['metric']}")
    if metric.kind == "detection":
        from nbopen.challenges import detection

        return detection.score(request, metric.name)
    id_column, target = request["id_column"], request["target_column"]
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
            else split_of(key, float(request["public_fraction"]))
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
        elif metric.kind == "ranking":
            value = value.split()
            try:
                expected = relevant_items(expected)
            except ValueError as exc:
                raise SubmissionRejected("metric_error", error=str(exc)[:300]) from None
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


_CLONE_NEWNS = 0x00020000
_MS_BIND, _MS_REC, _MS_PRIVATE = 0x1000, 0x4000, 0x40000
_MS_NOSUID, _MS_NODEV = 0x2, 0x4


def _confine(request: dict[str, Any], work_dir: str) -> dict[str, Any]:
    """Hide every other job's work dir from this child (under namespaces only).

    The work dirs of submissions scored at the same time share a parent (the temp dir); a
    host's scorer could otherwise read another competition's ground truth there. The child
    takes a mount namespace of its own, covers the parent with an empty tmpfs and binds its
    own work dir back as ``PARENT/job`` (through an fd opened before covering: ``..`` from a
    directory under an over-mount would still reach the siblings, ``..`` from the root of
    a bind mount inside the tmpfs reaches only the tmpfs). Nothing is hidden — the audit hook
    still guards the data dir — when the parent holds Python itself or a step is refused.
    """
    import ctypes

    real = os.path.realpath(work_dir)
    parent = os.path.dirname(real)
    needed = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, nbopen.__file__)}
    if parent in ("", "/") or any(n == parent or n.startswith(parent + os.sep) for n in needed):
        return request
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0:
        return request
    # Opened in the new namespace: a bind mount's source must be a mount of the caller's.
    own = os.open(real, os.O_RDONLY | os.O_DIRECTORY)
    try:
        libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
        options = b"size=64m,mode=0700"
        if libc.mount(b"none", parent.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
            return request
        job = os.path.join(parent, "job")
        os.mkdir(job, 0o700)
        if libc.mount(f"/proc/self/fd/{own}".encode(), job.encode(), None, _MS_BIND, None) != 0:
            raise OSError(ctypes.get_errno(), "cannot bind the work dir")
        os.chdir(job)
    finally:
        os.close(own)
    moved = dict(request)
    for key in ("ground_truth", "submission", "scorer"):
        value = request.get(key)
        if isinstance(value, str) and os.path.realpath(value).startswith(real + os.sep):
            moved[key] = os.path.join(job, os.path.relpath(os.path.realpath(value), real))
    return moved


def _score(request: dict[str, Any], answer_fd: int) -> None:
    """The job child: limits and guard on itself, then score; the answer to ``answer_fd``."""
    log_fd = os.open("log.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
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


WATCH_SECONDS = 0.01
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _job(job: dict[str, Any], control: tuple[int, int]) -> dict[str, Any]:
    """Fork the child for one submission and watch it: wall time, resident memory.

    The child closes the zygote's control pipes before it reads anything the participant
    or the host wrote, is its own process group (killed whole, strays included), and runs
    the scoring in the job's work dir with the rlimits of :func:`_set_limits`.
    """
    import select
    import time

    request, limits = job["request"], job["request"]["limits"]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the job child
        status = 70
        try:
            os.close(read_end)
            for fd in control:
                os.close(fd)
            os.setpgid(0, 0)
            os.chdir(job["work_dir"])
            if job.get("confine"):
                request = _confine(request, job["work_dir"])
            _score(request, write_end)
            status = 0
        except BaseException:
            import traceback

            traceback.print_exc()  # into the job's log.txt (fd 2 is redirected there first)
        finally:
            os._exit(status)
    os.close(write_end)
    pidfd = os.pidfd_open(pid)
    answer, killed = b"", None
    deadline = time.monotonic() + limits["wall"]
    watching = [pidfd, read_end]
    exited = False
    while not exited:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            killed = ["timeout", {"seconds": limits["wall"]}]
            break
        ready = select.select(watching, [], [], min(WATCH_SECONDS, remaining))[0]
        if read_end in ready:
            chunk = os.read(read_end, 1 << 16)
            if chunk and len(answer) < (1 << 20):
                answer += chunk
            elif not chunk:
                watching.remove(read_end)
        exited = pidfd in ready
        resident = None if exited else _resident(pid)
        if resident is not None and resident > limits["memory"]:
            killed = ["memory", {"mib": limits["memory"] // _MIB}]
            break
    with contextlib.suppress(ProcessLookupError):
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # whatever the scorer started
    _pid, status = os.waitpid(pid, 0)
    os.close(pidfd)
    if read_end in watching:
        with contextlib.suppress(OSError):
            os.set_blocking(read_end, False)
            while len(answer) < (1 << 20) and (chunk := os.read(read_end, 1 << 16)):
                answer += chunk
    os.close(read_end)
    parsed: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        line = answer.split(b"\n", 1)[0]
        parsed = json.loads(line) if line else {}
    return {"answer": parsed, "exit": os.waitstatus_to_exitcode(status), "killed": killed}


def zygote() -> int:
    """The warm parent: import what scoring needs once, then one forked child per job line."""
    import numpy  # noqa: F401  (loaded once here, shared by every forked child)
    import sklearn.metrics  # noqa: F401

    from nbopen.challenges import metrics

    metrics.preload()
    import gc

    gc.freeze()  # the children's collections never touch (and copy) the preloaded objects
    control_in = os.dup(0)
    control_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    with os.fdopen(control_in, "rb") as jobs:
        for line in jobs:
            try:
                report = _job(json.loads(line), (control_in, control_out))
            except Exception as exc:  # a bad job line: report it, keep serving
                report = {"answer": {}, "exit": -1, "killed": ["crashed", {"exit": str(exc)}]}
            os.write(control_out, json.dumps(report, default=str).encode() + b"\n")
    return 0


def main() -> int:
    """One job read from stdin, answered on stdout (without the zygote: for debugging)."""
    if "--zygote" in sys.argv[1:]:
        return zygote()
    request = json.loads(sys.stdin.buffer.read())
    answer_fd = os.dup(1)
    _score(request, answer_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
