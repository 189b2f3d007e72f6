"""Running picklescan on pushed files in a limited child process.

picklescan reads whatever a user pushed: a PyTorch zip with a huge central directory, a
pickle of a million opcodes. As with dataset conversion (:mod:`nbopen.datasets.isolate`),
that parsing happens in a fresh interpreter (spawned, not forked: the parent may be a
threaded web or Celery worker) that limits its own address space and CPU time before it
reads anything; the task only waits for its JSON answer. One child scans a whole batch;
if a limit stops it, the batch is scanned again one file per child, so a bomb fails only
itself.

Protocol: a JSON request on stdin, ``{"files": [{"path", "name"}], "limits"}``; one JSON
answer on stdout, a list with one object per file: ``{"pickle": <pickleImportScan or
null>}`` or ``{"error": reason}``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbopen
from nbopen.config.env import CONFIG

_MIB = 1 << 20
MAX_ANSWER_BYTES = 16 * _MIB


class ChildFailed(RuntimeError):
    """The child was stopped by a limit or answered nonsense; the message says why."""


def limits() -> dict[str, int]:
    # The dataset converter's limits: one operator setting for "untrusted parsing".
    return {"memory": CONFIG.convert_memory_mb * _MIB, "cpu": min(CONFIG.convert_cpu_seconds, 600)}


def run(files: list[dict[str, Any]], *, limit: dict[str, int] | None = None) -> list[Any]:
    """Scan ``files`` in one limited child; a result per file, or :class:`ChildFailed`."""
    limit = limit or limits()
    env = dict(os.environ)
    src = str(Path(nbopen.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "nbopen.scanning.child"],
            input=json.dumps({"files": files, "limits": limit}).encode(),
            capture_output=True,
            env=env,
            timeout=max(10, 2 * limit["cpu"]),
            check=False,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildFailed(f"scan took longer than {exc.timeout} s") from None
    if proc.returncode != 0 or len(proc.stdout) > MAX_ANSWER_BYTES:
        raise ChildFailed(
            f"scanner stopped (exit {proc.returncode}): the file probably needs more than "
            f"{limit['memory'] // _MIB} MiB of memory or {limit['cpu']} s of CPU time"
        )
    answer = json.loads(proc.stdout)
    if not isinstance(answer, list) or len(answer) != len(files):
        raise ChildFailed("scanner answered an unexpected shape")
    return answer


def _scan_one(item: dict[str, Any]) -> dict[str, Any]:
    from nbopen.scanning import scanners

    path = Path(item["path"])
    try:
        return {"pickle": scanners.scan_pickle(path, item["name"])}
    except MemoryError:
        return {"error": NO_MEMORY}
    except Exception as exc:
        if out_of_memory(exc):
            return {"error": NO_MEMORY}
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}


NO_MEMORY = "reading the file needs more memory than the scanner may use"


def out_of_memory(exc: BaseException) -> bool:
    """The address-space limit, met somewhere other than an allocation: a module imported
    lazily during the scan cannot map its shared object ("failed to map segment"), or a
    system call answers ENOMEM. Said as memory, not as the odd error it surfaces as."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    text = str(exc).lower()
    return isinstance(exc, ImportError | OSError) and (
        "failed to map segment" in text or "cannot allocate memory" in text
    )


def main() -> int:
    import resource

    request = json.loads(sys.stdin.buffer.read())
    limit = request["limits"]
    resource.setrlimit(resource.RLIMIT_AS, (limit["memory"], limit["memory"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limit["cpu"], limit["cpu"] + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    answer = [_scan_one(item) for item in request["files"]]
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
