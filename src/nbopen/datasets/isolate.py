"""Untrusted parsing in a child process with memory, CPU-time and output limits.

Converting a pushed file (and computing its first rows, statistics and search index) parses
whatever a user pushed: a 101 KB workbook can hold a 100 MiB cell that takes gigabytes to
read. So that work runs in ``python -m nbopen.datasets.isolate``, a fresh interpreter that
sets ``RLIMIT_CPU`` and ``RLIMIT_FSIZE`` on itself before reading its request, and the job's
process (web worker, thread pool or Celery worker) only waits for its answer.

Memory is limited by what the child really uses, its resident set: the parent reads it from
``/proc`` every few milliseconds and kills the child past the limit. An address-space limit
(``RLIMIT_AS``) alone measured the wrong thing: glibc's per-thread arenas, pyarrow's allocator
and DuckDB reserve gigabytes they never touch, so the same file converted at 1.5 GiB resident
passed or failed a 4 GiB ``RLIMIT_AS`` from one run to the next. ``RLIMIT_AS`` stays as a
generous backstop (``2 × limit + 2 GiB``) against growth faster than the watchdog's polling.

Why a fresh interpreter (spawn) and not fork: the parent may be a granian worker or a Celery
worker with threads, locks and open database sockets (SQLite or PostgreSQL), which a forked
child would inherit half-way. The child needs no Django and no database: it gets local file
paths and answers JSON, so it imports only pyarrow, DuckDB and the converters (about half a
second, small beside a conversion) and behaves the same under every task backend.

Protocol: the request is one JSON object on stdin; the child writes JSON lines on stdout —
``{"p": fraction}`` (progress), ``{"beat": 1}`` (alive), then ``{"ok": result}`` or
``{"error": reason}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbopen
from nbopen.config.env import CONFIG

MAX_ANSWER_BYTES = 64 << 20
_MIB = 1 << 20


class IsolatedError(Exception):
    """The child refused the input or was stopped by a limit; the message says why."""


def limits() -> dict[str, int]:
    return {
        "memory": CONFIG.convert_memory_mb * _MIB,
        "cpu": CONFIG.convert_cpu_seconds,
        "output": CONFIG.convert_output_mb * _MIB,
    }


def run(
    request: dict[str, Any],
    *,
    on_progress: Callable[[float], None] = lambda fraction: None,
    on_beat: Callable[[], None] = lambda: None,
    limit: dict[str, int] | None = None,
) -> Any:
    """Run ``request`` in a limited child; its result, or :class:`IsolatedError`."""
    limit = limit or limits()
    env = dict(os.environ)
    env.setdefault("MALLOC_ARENA_MAX", "2")  # fewer untouched reservations per thread
    src = str(Path(nbopen.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbopen.datasets.isolate"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    killed: list[str] = []

    def kill(reason: str) -> None:
        if proc.poll() is None:
            killed.append(reason)
            proc.kill()

    wall = max(10, 2 * limit["cpu"])
    timer = threading.Timer(wall, kill, args=(f"took longer than {wall} s",))
    timer.daemon = True
    timer.start()
    watching = threading.Event()
    watchdog = threading.Thread(
        target=_watch_resident, args=(proc.pid, limit["memory"], watching, kill), daemon=True
    )
    watchdog.start()
    answer: dict[str, Any] | None = None
    try:
        assert proc.stdin is not None and proc.stdout is not None
        with proc.stdin:
            proc.stdin.write(json.dumps({**request, "limits": limit}).encode())
        read = 0
        while True:
            line = proc.stdout.readline(MAX_ANSWER_BYTES + 1)
            if not line:
                break
            read += len(line)
            if read > MAX_ANSWER_BYTES:
                kill(f"answered more than {MAX_ANSWER_BYTES // _MIB} MiB")
                break
            message = json.loads(line)
            if "p" in message:
                on_progress(float(message["p"]))
            elif "beat" in message:
                on_beat()
            else:
                answer = message
        code = proc.wait()
    finally:
        timer.cancel()
        watching.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if killed:
        raise IsolatedError(f"stopped: the file {killed[0]}")
    if answer is not None and "error" in answer:
        raise IsolatedError(str(answer["error"]))
    if answer is not None and "ok" in answer and code == 0:
        return answer["ok"]
    raise IsolatedError(_signal_reason(code, limit))


WATCH_SECONDS = 0.01


def _resident_bytes(pid: int) -> int | None:
    """The child's resident set from /proc (Linux); None where /proc is absent or gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _watch_resident(
    pid: int, limit_bytes: int, stop: threading.Event, kill: Callable[[str], None]
) -> None:
    while not stop.wait(WATCH_SECONDS):
        resident = _resident_bytes(pid)
        if resident is None:
            return
        if resident > limit_bytes:
            kill(f"needs more than {limit_bytes // _MIB} MiB of memory to read")
            return


def _signal_reason(code: int, limit: dict[str, int]) -> str:
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return f"stopped: the file needs more than {limit['cpu']} s of CPU time"
    if code == -signal.SIGXFSZ:
        return f"stopped: the output is larger than {limit['output'] // _MIB} MiB"
    return (
        f"stopped (exit {code}): the file probably needs more than "
        f"{limit['memory'] // _MIB} MiB of memory to read"
    )


# The child ----------------------------------------------------------------------------------


def _set_limits(limit: dict[str, int]) -> None:
    import resource

    backstop = 2 * limit["memory"] + (2 << 30)  # see the module docstring
    resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
    resource.setrlimit(resource.RLIMIT_CPU, (limit["cpu"], limit["cpu"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit["output"], limit["output"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


_emit_lock = threading.Lock()
BEAT_SECONDS = 60


def _emit(message: dict[str, Any]) -> None:
    line = json.dumps(message, ensure_ascii=False, allow_nan=False) + "\n"
    with _emit_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def _beat_forever() -> None:
    """A step without progress (one huge cell) must not look like a dead job (the stale
    check re-queues a conversion whose heartbeat is 15 minutes old)."""
    while True:
        time.sleep(BEAT_SECONDS)
        _emit({"beat": 1})


def _convert_split(request: dict[str, Any]) -> dict[str, Any]:
    from nbopen.datasets.convert import Source, convert_split
    from nbopen.datasets.features import clip_strings, features_list, rows_from_table, truncate_rows
    from nbopen.datasets.query import read_range
    from nbopen.datasets.search import build_index
    from nbopen.datasets.stats import compute_statistics

    last = [0.0]

    def progress(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0:
            last[0] = now
            _emit({"p": fraction})

    def beat() -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0:
            last[0] = now
            _emit({"beat": 1})

    out_dir = Path(request["out_dir"])
    sources = [Source(origin, Path(path), int(size)) for origin, path, size in request["sources"]]
    output = convert_split(
        fmt=request["fmt"],
        sources=sources,
        out_dir=out_dir,
        options=request["options"],
        on_progress=progress,
    )
    paths = [out_dir / f.filename for f in output.files]
    features = features_list(output.schema)
    head = read_range(paths, 0, int(request["first_rows"]))
    rows = rows_from_table(head, 0) if head is not None else []
    rows, truncated = truncate_rows(rows, max_bytes=int(request["first_rows_max_bytes"]))
    # Statistics and the index are extra steps: a failure there keeps the rows, and its
    # reason travels back in ``skipped`` (the parent logs it; stderr goes nowhere).
    skipped: dict[str, str] = {}
    statistics = None
    try:
        statistics = clip_strings(compute_statistics(paths, output.schema, output.num_rows))
    except MemoryError:
        raise
    except Exception as exc:
        skipped["statistics"] = f"{type(exc).__name__}: {exc}"[:1000]
    search_ready = False
    try:
        search_ready = build_index(
            paths, output.schema, out_dir / request["index_name"], on_batch=beat
        )
    except MemoryError:
        raise
    except Exception as exc:
        skipped["search index"] = f"{type(exc).__name__}: {exc}"[:1000]
    return {
        "files": [f.as_dict() for f in output.files],
        "features": features,
        "num_rows": output.num_rows,
        "num_columns": len(output.schema),
        "bytes_memory": output.bytes_memory,
        "first_rows": {"features": features, "rows": rows, "truncated": truncated},
        "statistics": statistics,
        "search_ready": bool(search_ready),
        "skipped": skipped,
    }


def _sheet_names(request: dict[str, Any]) -> list[str]:
    from nbopen.datasets.convert.excel import sheet_names

    return sheet_names(Path(request["path"]), request["origin"])


def _thumbnail(request: dict[str, Any]) -> bool:
    from nbopen.datasets.convert import ConversionError
    from nbopen.datasets.thumbs import ThumbnailError, thumbnail

    try:
        Path(request["out"]).write_bytes(
            thumbnail(Path(request["path"]).read_bytes(), box=int(request["box"]))
        )
    except ThumbnailError as exc:
        raise ConversionError(f"not a readable image: {exc}") from None
    return True


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    _set_limits(request["limits"])
    from nbopen.datasets.convert import ConversionError

    memory_mib = request["limits"]["memory"] // _MIB
    with contextlib.suppress(RuntimeError):  # no thread under a tiny limit: no beats
        threading.Thread(target=_beat_forever, daemon=True).start()
    try:
        if request["op"] == "split":
            result: Any = _convert_split(request)
        elif request["op"] == "sheets":
            result = _sheet_names(request)
        elif request["op"] == "thumbnail":
            result = _thumbnail(request)
        else:
            raise ConversionError(f"unknown operation {request['op']!r}")
    except ConversionError as exc:
        _emit({"error": str(exc)})
        return 0
    except MemoryError:
        _emit({"error": f"stopped: reading the file needs more than {memory_mib} MiB of memory"})
        return 0
    except Exception as exc:
        _emit({"error": f"internal error: {type(exc).__name__}: {exc}"[:4000]})
        return 0
    _emit({"ok": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
