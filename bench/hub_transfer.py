"""Upload and download a large file through NBopen's Hub API, beside nginx serving it.

Usage: .venv/bin/python bench/hub_transfer.py [--size-mib 1024] [--runs 3]

In one run: start ``nbopen serve`` (embedded default: SQLite, filesystem storage, granian),
upload a file with the real ``huggingface_hub`` (LFS path: Xet disabled and the
``X-NBopen-Lfs`` opt-in, i.e. batch + signed PUT; and the default inline path), then download
it from ``/resolve/main/…`` with curl and with ``hf_hub_download``; serve the *same* file
from nginx (Debian nginx-light, sendfile on) and download it with the same curl. Prints MB/s
for each (median of runs) and NBopen/nginx. Target: download ≥ 0.8× nginx.
"""

from __future__ import annotations

import argparse
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
os.environ["HF_HUB_DISABLE_XET"] = "1"  # read at import: the LFS upload path needs it
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

from tests.support.live import LiveServer, free_port  # noqa: E402

MB = 1_000_000


def make_file(path: Path, size: int) -> None:
    block = os.urandom(1 << 20)
    with open(path, "wb") as fh:
        written = 0
        i = 0
        while written < size:
            chunk = (block[i % 4096 :] + block[: i % 4096])[: size - written]
            fh.write(chunk)
            written += len(chunk)
            i += 1


def cpu_seconds(root_pid: int) -> float:
    """User+system CPU seconds of a process and its live descendants (from /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def curl_mbps(url: str, token: str | None = None) -> float:
    args = ["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{speed_download}", url]
    if token:
        args[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return float(out) / MB


def start_nginx(root: Path, work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fcgi;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
  }}
}}
"""
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)])
    for _ in range(50):
        if (
            subprocess.run(
                ["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/"], check=False
            ).returncode
            == 0
        ):
            break
        time.sleep(0.1)
    return proc, port


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = args.size_mib << 20
    work = Path(tempfile.mkdtemp(prefix="nbopen-bench-hub-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user and must read the file
    server = LiveServer(work / "server")
    nginx = None
    try:
        server.start()
        token = server.create_user("bench")
        from huggingface_hub import HfApi, hf_hub_download

        data_dir = work / "files"
        data_dir.mkdir(mode=0o755)
        source = data_dir / "weights.bin"
        make_file(source, size)
        source.chmod(0o644)
        print(f"file: {size / MB:.0f} MB ({args.size_mib} MiB)")

        lfs_api = HfApi(endpoint=server.url, token=token, headers={"X-NBopen-Lfs": "1"})
        lfs_api.create_repo("bench/lfs")
        started = time.perf_counter()
        lfs_api.upload_file(
            path_or_fileobj=str(source), path_in_repo="weights.bin", repo_id="bench/lfs"
        )
        upload_lfs = size / MB / (time.perf_counter() - started)
        print(f"upload  NBopen, LFS path (batch + PUT):  {upload_lfs:8.1f} MB/s")

        inline_api = HfApi(endpoint=server.url, token=token)
        inline_api.create_repo("bench/inline")
        started = time.perf_counter()
        inline_api.upload_file(
            path_or_fileobj=str(source), path_in_repo="weights.bin", repo_id="bench/inline"
        )
        upload_inline = size / MB / (time.perf_counter() - started)
        print(f"upload  NBopen, inline path (default):    {upload_inline:8.1f} MB/s")

        nginx, port = start_nginx(data_dir, work)
        nb_url = f"{server.url}/bench/lfs/resolve/main/weights.bin"
        ng_url = f"http://127.0.0.1:{port}/weights.bin"
        curl_mbps(nb_url, token)  # warm the page cache for both (same bytes on one disk)
        curl_mbps(ng_url)
        nb, ng = [], []
        nb_cpu = ng_cpu = 0.0
        assert server.proc is not None
        for _ in range(args.runs):
            before = cpu_seconds(server.proc.pid)
            nb.append(round(curl_mbps(nb_url, token), 1))
            nb_cpu += cpu_seconds(server.proc.pid) - before
            before = cpu_seconds(nginx.pid)
            ng.append(round(curl_mbps(ng_url), 1))
            ng_cpu += cpu_seconds(nginx.pid) - before
        nb_med, ng_med = statistics.median(nb), statistics.median(ng)
        gib = args.runs * size / (1 << 30)
        print(f"download NBopen /resolve (curl):          {nb_med:8.1f} MB/s  runs={nb}")
        print(f"download nginx static (curl):             {ng_med:8.1f} MB/s  runs={ng}")
        print(f"ratio NBopen/nginx:                        {nb_med / ng_med:8.2f}  (target ≥ 0.8)")
        print(
            f"server CPU per GiB: NBopen {nb_cpu / gib:.2f} s, nginx {ng_cpu / gib:.2f} s "
            "(load-independent; on a busy machine MB/s is noisy)"
        )

        cache = work / "hf-cache"
        started = time.perf_counter()
        hf_hub_download(
            "bench/lfs", "weights.bin", cache_dir=str(cache), endpoint=server.url, token=token
        )
        hf_rate = size / MB / (time.perf_counter() - started)
        print(f"download NBopen via hf_hub_download:      {hf_rate:8.1f} MB/s (client-bound)")
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
