"""The same large file through Xet, through LFS and through an inline commit, plus dedup figures.

Usage: .venv/bin/python bench/xet.py [--size-mib 2048] [--checkpoints 4]

In one run, against a throw-away ``nbopen serve`` (SQLite, filesystem storage):

* upload throughput of one file (random bytes, ``--size-mib``) with the real
  ``huggingface_hub`` + ``hf_xet`` default install (Xet: token route, xorbs, shard, commit),
  with the same client through the LFS batch API (a file object makes the client skip Xet),
  and as an inline commit (the file base64-encoded in the commit NDJSON, as the Hub client
  sends ``regular`` files), which is the reference a Xet-free server offers;
* download throughput: ``hf_hub_download`` of the Xet file (hf_xet reconstruction), of the LFS
  file (plain GET), and a plain ``curl`` GET of the Xet file (server-side reconstruction);
* bytes received by the server for a second upload after changing 1 % of the file in place;
* the dedup ratio (bytes before / after dedup, from ``nbopen xet usage``) over a base
  checkpoint and ``--checkpoints`` fine-tunes that each rewrite 3 % of it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="nbopen-bench-xet-"))
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_XET_CACHE"] = str(WORK / "xet-cache")  # read at import; a fresh client cache

from tests.support.live import LiveServer  # noqa: E402

MB = 1_000_000
MIB = 1 << 20


def make_file(path: Path, size: int, seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        remaining = size
        while remaining:
            block = min(remaining, 16 * MIB)
            fh.write(rng.randbytes(block))
            remaining -= block


def rewrite_fraction(path: Path, fraction: float, seed: int, regions: int = 10) -> None:
    """Overwrite ``fraction`` of the file in place, in ``regions`` scattered pieces."""
    size = path.stat().st_size
    rng = random.Random(seed)
    region = int(size * fraction / regions)
    with open(path, "r+b") as fh:
        for i in range(regions):
            fh.seek(i * (size // regions) + rng.randrange(0, size // regions - region))
            fh.write(rng.randbytes(region))


def inline_commit(url: str, token: str, repo_id: str, source: Path, ndjson: Path) -> None:
    """POST one commit carrying the file base64-inline (what the Hub client sends as regular)."""
    with open(ndjson, "wb") as out:
        header = {"key": "header", "value": {"summary": "inline", "description": ""}}
        out.write(json.dumps(header).encode() + b"\n")
        out.write(b'{"key": "file", "value": {"path": "weights.bin", "encoding": "base64", ')
        out.write(b'"content": "')
        with open(source, "rb") as fh:
            while block := fh.read(3 * 4 * MIB):
                out.write(base64.b64encode(block))
        out.write(b'"}}\n')
    with open(ndjson, "rb") as body:
        request = urllib.request.Request(
            f"{url}/api/models/{repo_id}/commit/main",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/x-ndjson",
                "Content-Length": str(ndjson.stat().st_size),
            },
        )
        with urllib.request.urlopen(request, timeout=3600) as response:
            assert response.status == 200, response.read()
    ndjson.unlink()


def timed(label: str, size: int, fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    rate = size / MB / (time.perf_counter() - started)
    print(f"{label:<52} {rate:8.1f} MB/s", flush=True)
    return rate


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--checkpoints", type=int, default=4)
    args = parser.parse_args()
    size = args.size_mib * MIB
    server = LiveServer(WORK / "server")
    try:
        server.start()
        token = server.create_user("bench")
        from huggingface_hub import HfApi, hf_hub_download
        from huggingface_hub.utils._runtime import is_xet_available

        assert is_xet_available(), "hf_xet is part of the default install"
        api = HfApi(endpoint=server.url, token=token)
        usage = lambda target: json.loads(server.cli("xet", "usage", target).stdout)  # noqa: E731
        source = WORK / "weights.bin"
        make_file(source, size, seed=1)
        print(f"file: {size / MB:.0f} MB ({args.size_mib} MiB) of random bytes", flush=True)

        for repo in ("bench/xet", "bench/lfs", "bench/inline"):
            api.create_repo(repo)
        put = lambda repo, obj: api.upload_file(  # noqa: E731
            path_or_fileobj=obj, path_in_repo="weights.bin", repo_id=repo
        )
        timed("upload   Xet (hf_xet default client)", size, lambda: put("bench/xet", str(source)))

        def lfs_upload() -> None:
            with open(source, "rb") as fh:  # a file object: the client uses the LFS batch API
                put("bench/lfs", fh)

        timed("upload   LFS (batch + PUT/multipart)", size, lfs_upload)
        timed(
            "upload   inline commit (base64 NDJSON, reference)",
            size,
            lambda: inline_commit(server.url, token, "bench/inline", source, WORK / "c.ndjson"),
        )
        assert usage("bench/xet")["received_xorb_bytes"] >= size
        assert usage("bench/lfs")["received_xorb_bytes"] == 0

        def fetch(repo: str) -> None:
            cache = WORK / "hf-cache"
            path = hf_hub_download(
                repo, "weights.bin", cache_dir=str(cache), endpoint=server.url, token=token
            )
            assert Path(path).stat().st_size == size
            shutil.rmtree(cache)

        timed("download Xet (hf_hub_download, reconstruction)", size, lambda: fetch("bench/xet"))
        timed("download LFS (hf_hub_download, plain GET)", size, lambda: fetch("bench/lfs"))
        timed("download inline-committed (stored as LFS)", size, lambda: fetch("bench/inline"))

        def curl_xet() -> None:
            url = f"{server.url}/bench/xet/resolve/main/weights.bin"
            auth = f"Authorization: Bearer {token}"
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", auth, url], check=True)

        timed("download Xet file by plain GET (server reconstructs)", size, curl_xet)

        before = usage("bench/xet")
        rewrite_fraction(source, 0.01, seed=2)
        timed("upload   Xet after a 1 % change", size, lambda: put("bench/xet", str(source)))
        after = usage("bench/xet")
        sent = after["received_xorb_bytes"] - before["received_xorb_bytes"]
        grown = after["stored_bytes"] - before["stored_bytes"]
        print(
            f"second upload after 1 % change: {sent / MB:.1f} MB received "
            f"({sent / size:.2%} of the file); storage grew {grown / MB:.1f} MB; "
            f"LFS or inline would move and store the whole {size / MB:.0f} MB",
            flush=True,
        )

        owner_token = server.create_user("ckpts")
        owner_api = HfApi(endpoint=server.url, token=owner_token)
        base = WORK / "base.bin"
        make_file(base, size, seed=3)
        owner_api.create_repo("ckpts/base")
        owner_api.upload_file(
            path_or_fileobj=str(base), path_in_repo="model.bin", repo_id="ckpts/base"
        )
        for i in range(args.checkpoints):
            tuned = WORK / f"ft-{i}.bin"
            shutil.copyfile(base, tuned)
            rewrite_fraction(tuned, 0.03, seed=10 + i)
            owner_api.create_repo(f"ckpts/ft-{i}")
            owner_api.upload_file(
                path_or_fileobj=str(tuned), path_in_repo="model.bin", repo_id=f"ckpts/ft-{i}"
            )
            tuned.unlink()
        total = usage("ckpts")
        print(
            f"dedup over {args.checkpoints + 1} related checkpoints (base + fine-tunes rewriting "
            f"3 % each, one repo each): {total['logical_bytes'] / MB:.0f} MB before dedup, "
            f"{total['stored_bytes'] / MB:.0f} MB after, ratio "
            f"{total['logical_bytes'] / total['stored_bytes']:.2f}x "
            f"(LFS stores 1.00x); received {total['received_bytes'] / MB:.0f} MB",
            flush=True,
        )
    finally:
        server.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
