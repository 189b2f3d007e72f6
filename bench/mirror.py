"""A cold and a warm large file through the pull-through mirror, beside the upstream itself.

Usage: .venv/bin/python bench/mirror.py [--size-mib 1024] [--runs 3]

In one run: two ``nbopen serve`` (embedded default), the first the upstream, the second
mirroring it (``nbopen mirror upstream add``, loopback allowed). For each run a fresh file is
uploaded to the upstream (LFS path), then fetched with curl, in this order:

1. **direct**: from the upstream's ``/resolve`` (the reference: what a client gets without
   the mirror);
2. **cold**: from the mirror, which has never seen the file (it streams from the upstream
   while it hashes and stores);
3. **warm**: from the mirror again (its own storage; compare with direct, which is the same
   ``/resolve`` path on local storage).

Prints the time the mirror takes to appear (its first ``/api/models`` call), then first-byte
latency and MB/s after the first byte (medians), the ratios cold/direct (goal ≥ 0.9) and
warm/direct (goal ≥ 1.0), and checks every download's sha256. On 2 cores the cold path has
three processes moving the same bytes (upstream, mirror, client), the direct one two.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_DISABLE_XET"] = "1"  # read at import: the LFS upload path
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

from tests.support.live import LiveServer  # noqa: E402

MB = 1_000_000


def curl(url: str, token: str, out: Path) -> tuple[float, float]:
    """(seconds to the first byte, MB/s after it) of one download into ``out``."""
    proc = subprocess.run(
        [
            "curl", "-sS", "-f", "-o", str(out), "-H", f"Authorization: Bearer {token}",
            "-w", "%{time_starttransfer} %{time_total} %{size_download}", "-L", url,
        ],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    first, total, size = proc.stdout.split()
    return float(first), int(size) / MB / (float(total) - float(first))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib << 20
    work = Path(tempfile.mkdtemp(prefix="nbopen-bench-mirror-"))
    upstream = LiveServer(work / "upstream")
    mirror = LiveServer(
        work / "mirror",
        env={"NBOPEN_MIRROR_ALLOW_ADDRESSES": "loopback", "NBOPEN_MIRROR_REFRESH": "0"},
    )
    try:
        upstream.start()
        mirror.start()
        from huggingface_hub import HfApi

        api = HfApi(endpoint=upstream.url, token=upstream.create_user("origin"))
        mirror.cli("mirror", "upstream", "add", "hf", upstream.url)
        reader = mirror.create_user("reader")
        up_reader = upstream.create_user("upreader")
        print(f"file: {size / MB:.0f} MB ({args.size_mib} MiB), {args.runs} runs, fresh each")
        rows: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("made", "direct", "cold", "warm")
        }
        for run in range(args.runs):
            source = work / "source.bin"
            with open(source, "wb") as fh:
                for _ in range(args.size_mib):
                    fh.write(os.urandom(1 << 20))
            expected = sha256(source)
            repo = f"origin/model-{run}"
            api.create_repo(repo)
            api.upload_file(path_or_fileobj=str(source), path_in_repo="w.bin", repo_id=repo)
            source.unlink()
            got = work / "got.bin"
            # The mirror's first sight of the repository (info, tree, a git commit of the
            # pointers) is its own step; the cold file below is then cold bytes only.
            made = time.perf_counter()
            curl(f"{mirror.url}/api/models/{repo}", reader, got)
            rows["made"].append((time.perf_counter() - made, 0.0))
            for label, server, token in (
                ("direct", upstream, up_reader),
                ("cold", mirror, reader),
                ("warm", mirror, reader),
            ):
                rows[label].append(curl(f"{server.url}/{repo}/resolve/main/w.bin", token, got))
                if sha256(got) != expected:
                    raise SystemExit(f"{label} download of run {run} has the wrong bytes")
                got.unlink()
        medians = {
            label: (statistics.median(f for f, _ in r), statistics.median(m for _, m in r))
            for label, r in rows.items()
        }
        print(f"mirror made (first /api/models call): {medians.pop('made')[0] * 1000:.0f} ms")
        for label, (first, rate) in medians.items():
            runs = [round(m, 1) for _, m in rows[label]]
            print(f"{label:7s} first byte {first * 1000:7.1f} ms   {rate:8.1f} MB/s  runs={runs}")
        print(f"cold/direct: {medians['cold'][1] / medians['direct'][1]:.2f} (goal ≥ 0.9)")
        print(f"warm/direct: {medians['warm'][1] / medians['direct'][1]:.2f} (goal ≥ 1.0)")
    finally:
        mirror.stop()
        upstream.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"bench time: {time.monotonic() - started:.0f} s")
    sys.exit(code)
