"""git over HTTP: NBopen's relay against nginx + fcgiwrap + ``git http-backend``, same run.

Run (first run generates and caches the repository under bench/out/, ~1-2 minutes):

    .venv/bin/python bench/git_transport.py                 # 20k commits, 5k files, 3 reps
    .venv/bin/python bench/git_transport.py --commits 500 --files 300 --repeat 1   # smoke
    .venv/bin/python bench/git_transport.py --parallel-only --commits 5000 --files 2000

Why each measurement exists:
- push of the whole history into an empty repository: the request body streams through the
  server into ``git receive-pack``; index-pack on the server dominates;
- full ``clone --bare`` and ``--depth 1``: what users do, client-bound on a small machine;
- one upload-pack POST replayed with curl: the server's pack streaming alone, where a relay's
  overhead would show first;
- server CPU seconds (the server's process tree from /proc, reaped children included): on two
  shared cores wall time is noisy, CPU spent per operation is not;
- ``--ssh``: the same NBopen server's clone over SSH (``nbopen serve --ssh-port``, OpenSSH
  client with a generated key) beside its clone over HTTP, alternating, in the same run.

- ``--parallel N`` (default 20) clones of the same commit started at once, and the same number
  of replayed upload-pack requests: a CI fleet or a class cloning one starter kit. NBopen's
  pack cache (``repos/git/pack_cache.py``) runs pack-objects once and streams the pack to all;
  ``http-backend`` runs it N times. Goal: ≤ 0.5× its wall time and ≤ 0.3× its server CPU.

NBopen's pack cache is emptied before every NBopen measurement, so each row measures a cold
cache: the sequential rows stay a comparison of transports, and the parallel rows show what
one computation shared by N requests saves (the cache's own figure: its pack-objects runs).

Both servers get the same repository-level git settings (NBopen's ``SERVER_CONFIG``, e.g.
``receive.fsckObjects``) unless ``--plain-reference``, so the ratio measures the transport, not
a different amount of checking. Operations alternate which server goes first. Prints medians.
This is not a test: it always exits 0 once it has measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _nbopenserver import NBopenServer
from _refserver import INSTALL_HINT, ReferenceServer, missing_tools
from _repogen import RepoStats, ensure_repo
from nbopen.repos.git.pack_cache import read_stats

OUT = Path(__file__).resolve().parent / "out"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Server CPU accounting ------------------------------------------------------------------


def _proc_table(own: bool = False) -> dict[int, tuple[int, float]]:
    """pid → (ppid, CPU seconds) for every visible process.

    CPU is utime+stime+cutime+cstime, or with ``own`` only utime+stime (the process itself,
    not its reaped children: for a server, its relaying cost without git's work).
    """
    table: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                raw = fh.read().decode()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[0] is state (stat field 3); utime..cstime are stat fields 14-17.
        ticks = sum(int(fields[i]) for i in ((11, 12) if own else (11, 12, 13, 14)))
        table[int(entry.name)] = (int(fields[1]), ticks / CLK_TCK)
    return table


def tree_cpu(roots: list[int], own: bool = False) -> float:
    """CPU seconds used by ``roots`` and all descendants, living or already reaped.

    A reaped child's time is in its parent's cutime/cstime; a living one's in its own
    utime/stime, so summing both over the current tree counts every process once. With
    ``own``, reaped children are left out (measured after they exit, that is the relay alone).
    """
    table = _proc_table(own)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0.0, [pid for pid in roots if pid in table]
    while stack:
        pid = stack.pop()
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


# Measurement ---------------------------------------------------------------------------


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    relay: list[float] = field(default_factory=list)
    note: str = ""


@dataclass
class Side:
    """One server as the benchmark sees it."""

    label: str
    cpu: Callable[[], float]
    relay_cpu: Callable[[], float]
    new_push_repo: Callable[[str], str]
    clone_url: Callable[[str], str]
    clear_cache: Callable[[], None] = lambda: None
    cache_misses: Callable[[], int | None] = lambda: None
    results: dict[str, Samples] = field(default_factory=dict)


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


def measure(side: Side, op: str, action: Callable[[], object]) -> None:
    """Time ``action`` and the server CPU it caused; settle first so transients are reaped."""
    side.clear_cache()
    time.sleep(0.3)
    cpu0, relay0 = side.cpu(), side.relay_cpu()
    t0 = time.perf_counter()
    note = action()
    wall = time.perf_counter() - t0
    time.sleep(0.5)
    cpu, relay = side.cpu() - cpu0, side.relay_cpu() - relay0
    samples = side.results.setdefault(op, Samples())
    samples.wall.append(wall)
    samples.cpu.append(cpu)
    samples.relay.append(relay)
    if isinstance(note, str) and note:
        samples.note = note
    print(
        f"  {op:<22} {side.label:<10} {wall:7.2f} s  server CPU {cpu:6.2f} s (relay {relay:.2f} s)",
        flush=True,
    )


def profile(pid: int, name: str, action: Callable[[], object]) -> None:
    """Sample ``nbopen serve`` (and its workers) with py-spy while ``action`` runs.

    Writes collapsed stacks (flamegraph.pl / speedscope input) to bench/out/pyspy-NAME.txt.
    --idle keeps waiting stacks, so time blocked in the event loop shows up as such.
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy not found; install it with: .venv/bin/pip install py-spy", file=sys.stderr)
        return
    out = OUT / f"pyspy-{name}.txt"
    options = ["--subprocesses", "--idle", "--rate", "200", "--format", "raw", "--nonblocking"]
    proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), *options, "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    action()
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    print(f"  py-spy profile of {name}: {out}", flush=True)


def pkt(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


def fetch_request(source: Path, depth: int | None = None) -> bytes:
    """The protocol v2 ``fetch`` body a fresh ``clone`` sends: want every ref, done.

    With ``depth``, like ``clone --depth`` (which implies ``--single-branch``): want main only.
    """
    pattern = ["refs/heads/main"] if depth is not None else []
    oids = subprocess.run(
        ["git", "-C", str(source), "for-each-ref", "--format=%(objectname)", *pattern],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    body = [pkt(b"command=fetch\n"), pkt(b"agent=git/nbopen-bench\n"), b"0001"]
    body += [pkt(b"thin-pack\n"), pkt(b"ofs-delta\n"), pkt(b"no-progress\n")]
    body += [pkt(b"want %s\n" % oid.encode()) for oid in sorted(set(oids))]
    if depth is not None:
        body.append(pkt(b"deepen %d\n" % depth))
    body += [pkt(b"done\n"), b"0000"]
    return b"".join(body)


def curl_command(url: str, body_file: Path) -> list[str]:
    """curl replaying one upload-pack request, printing "status size"."""
    return [
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{size_download}",
        "-H",
        "Content-Type: application/x-git-upload-pack-request",
        "-H",
        "Accept: application/x-git-upload-pack-result",
        "-H",
        "Git-Protocol: version=2",
        "-H",
        "Expect:",
        "--data-binary",
        f"@{body_file}",
        f"{url}/git-upload-pack",
    ]


def curl_pack(url: str, body_file: Path, env: dict[str, str]) -> str:
    out = run(curl_command(url, body_file), env)
    status, size = out.split()
    if status != "200" or int(size) < 1000:
        raise RuntimeError(f"upload-pack replay answered {status} with {size} bytes")
    return f"{int(size) / 1e6:.1f} MB response"


def parallel(commands: list[list[str]], env: dict[str, str]) -> str:
    """Start every command at once, wait for all; each must succeed."""
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for cmd in commands
    ]
    outputs = [proc.communicate() for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"parallel command failed ({proc.returncode}): {err.decode()}")
    return f"{len(commands)} at once"


def parallel_clones(url: str, work: Path, count: int, env: dict[str, str]) -> str:
    dests = [work / f"parallel-{i}.git" for i in range(count)]
    try:
        return parallel([["git", "clone", "-q", "--bare", url, str(d)] for d in dests], env)
    finally:
        for dest in dests:
            shutil.rmtree(dest, ignore_errors=True)


def parallel_streams(url: str, body_file: Path, count: int, env: dict[str, str]) -> str:
    curl = [*curl_command(url, body_file), "--fail"]
    return parallel([curl] * count, env)


def with_misses(side: Side, action: Callable[[], str]) -> Callable[[], str]:
    """``action``, its note extended by the pack-objects runs the pack cache counted."""

    def run_it() -> str:
        note = action()
        misses = side.cache_misses()
        return note if misses is None else f"{note}; pack-objects ran {misses}×"

    return run_it


def client_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "NBOPEN_"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@example.org\n"
        "[init]\n\tdefaultBranch = main\n[protocol]\n\tversion = 2\n"
    )
    return env


def ls_remote_count(url: str, env: dict[str, str]) -> int:
    return len(run(["git", "ls-remote", "--refs", url], env).splitlines())


def bench(args: argparse.Namespace, repo: RepoStats, work: Path) -> list[Side]:
    from nbopen.repos.git.bare import SERVER_CONFIG

    env = client_env(work / "client-home")
    server_home = work / "server-home"
    server_home.mkdir()
    ref_config = {} if args.plain_reference else dict(SERVER_CONFIG)
    ref = ReferenceServer(work / "nginx", work / "ref-repos", free_port())
    nb = NBopenServer(
        work / "nbopen-data",
        free_port(),
        server_home,
        workers=args.workers,
        ssh_port=free_port() if args.ssh else None,
    )
    if args.no_pack_cache:
        nb.env.update(NBOPEN_PACK_CACHE_MB="0", NBOPEN_PACK_CONCURRENCY="0")
    try:
        ref.start()
        nb.start()
        print(f"reference {ref.url} · NBopen {nb.url} · work dir {work}", flush=True)
        sides = [
            Side(
                "reference",
                lambda: tree_cpu(ref.root_pids()) + ref.cgi_cpu(),
                lambda: tree_cpu(ref.root_pids(), own=True),
                lambda name: ref.create_repo(name, ref_config),
                lambda name: f"{ref.url}/{name}.git",
            ),
            Side(
                "NBopen",
                lambda: tree_cpu(nb.root_pids()),
                lambda: tree_cpu(nb.root_pids(), own=True),
                nb.create_repo,
                nb.clone_url,
                clear_cache=lambda: shutil.rmtree(nb.data_dir / "packcache", ignore_errors=True),
                cache_misses=lambda: read_stats(nb.data_dir / "packcache").get("miss", 0),
            ),
        ]
        source = str(repo.path)
        push_refspecs = ["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"]
        for rep in range(1 if args.parallel_only else args.repeat):
            print(f"repetition {rep + 1}/{args.repeat}", flush=True)
            order = sides if rep % 2 == 0 else sides[::-1]
            for side in order:
                url = side.new_push_repo(f"push-{rep}")
                measure(
                    side,
                    "push (whole history)",
                    partial(run, ["git", "-C", source, "push", "-q", url, *push_refspecs], env),
                )
                pushed = ls_remote_count(side.clone_url(f"push-{rep}"), env)
                if pushed != repo.refs:
                    raise RuntimeError(f"{side.label}: {pushed} refs after push, want {repo.refs}")
        # Clones read the repository the first push created on each server.
        body = work / "fetch-body"
        body.write_bytes(fetch_request(repo.path))
        shallow_body = work / "fetch-body-shallow"
        shallow_body.write_bytes(fetch_request(repo.path, depth=1))
        for side in sides:  # warm-up: page cache, first-request costs
            dest = work / "warm.git"
            run(["git", "clone", "-q", "--bare", side.clone_url("push-0"), str(dest)], env)
            objects = run(["git", "-C", str(dest), "count-objects", "-v"], env)
            shutil.rmtree(dest)
            in_pack = int(objects.split("in-pack: ")[1].split()[0])
            if in_pack != repo.objects:
                raise RuntimeError(f"{side.label} clone has {in_pack} objects, want {repo.objects}")
        shallow = ["git", "clone", "-q", "--bare", "--depth", "1"]
        for rep in range(args.repeat):
            print(f"repetition {rep + 1}/{args.repeat}", flush=True)
            order = sides if rep % 2 == 0 else sides[::-1]
            for side in order:
                url = side.clone_url("push-0")
                if args.parallel > 0:
                    n = args.parallel
                    measure(
                        side,
                        f"{n} parallel clones",
                        with_misses(side, partial(parallel_clones, url, work, n, env)),
                    )
                    measure(
                        side,
                        f"{n} parallel streams",
                        with_misses(side, partial(parallel_streams, url, body, n, env)),
                    )
                if args.parallel_only:
                    continue
                dest = work / "clone.git"
                measure(
                    side,
                    "clone --bare",
                    partial(run, ["git", "clone", "-q", "--bare", url, str(dest)], env),
                )
                shutil.rmtree(dest)
                if not args.no_shallow:
                    measure(
                        side,
                        "clone --bare --depth 1",
                        partial(run, [*shallow, url, str(dest)], env),
                    )
                    shutil.rmtree(dest)
                measure(side, "pack stream (curl)", partial(curl_pack, url, body, env))
                if not args.no_shallow:
                    measure(
                        side,
                        "pack stream depth 1",
                        partial(curl_pack, url, shallow_body, env),
                    )
        if args.ssh:
            sides.append(ssh_clones(args, nb, work, env))
        if args.py_spy and nb.proc is not None:
            dest = work / "profiled.git"
            clone = ["git", "clone", "-q", "--bare", nb.clone_url("push-0"), str(dest)]
            profile(nb.proc.pid, "clone", lambda: run(clone, env))
            profile(
                nb.proc.pid, "pack-stream", lambda: curl_pack(nb.clone_url("push-0"), body, env)
            )
            url = nb.create_repo("push-profiled")
            profile(
                nb.proc.pid,
                "push",
                lambda: run(["git", "-C", source, "push", "-q", url, *push_refspecs], env),
            )
        return sides
    finally:
        nb.stop()
        ref.stop()


def ssh_clones(args: argparse.Namespace, nb: NBopenServer, work: Path, env: dict[str, str]) -> Side:
    """``clone --bare`` of the same repository from the same server over HTTP and over SSH."""
    key = work / "bench-key"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], env)
    nb.add_ssh_key(key.with_suffix(".pub").read_text().strip())
    ssh_env = {
        **env,
        "GIT_SSH_COMMAND": f"ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
        f" -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR -i {key}",
    }
    side = Side(
        "NBopen SSH",
        lambda: tree_cpu(nb.root_pids()),
        lambda: tree_cpu(nb.root_pids(), own=True),
        nb.create_repo,
        nb.ssh_clone_url,
    )
    http = Side("NBopen HTTP", side.cpu, side.relay_cpu, nb.create_repo, nb.clone_url)
    dest = work / "ssh-clone.git"
    run(["git", "clone", "-q", "--bare", nb.ssh_clone_url("push-0"), str(dest)], ssh_env)  # warm
    shutil.rmtree(dest)
    for rep in range(args.repeat):
        print(f"SSH vs HTTP, repetition {rep + 1}/{args.repeat}", flush=True)
        pairs = [(http, env), (side, ssh_env)]
        for one, one_env in pairs if rep % 2 == 0 else pairs[::-1]:
            url = one.clone_url("push-0")
            measure(
                one,
                "clone --bare",
                partial(run, ["git", "clone", "-q", "--bare", url, str(dest)], one_env),
            )
            shutil.rmtree(dest)
    side.results["clone --bare (HTTP)"] = http.results["clone --bare"]
    return side


def report_ssh(side: Side) -> None:
    ssh, http = side.results["clone --bare"], side.results["clone --bare (HTTP)"]
    sw, hw = statistics.median(ssh.wall), statistics.median(http.wall)
    sc, hc = statistics.median(ssh.cpu), statistics.median(http.cpu)
    print("\nNBopen clone --bare, same server, same run: SSH vs HTTP (median)")
    print(f"  HTTP {hw:7.2f} s  server CPU {hc:6.2f} s")
    print(
        f"  SSH  {sw:7.2f} s  server CPU {sc:6.2f} s   ratio SSH/HTTP wall {sw / hw:.2f}"
        f", CPU {sc / hc if hc > 0.02 else float('nan'):.2f}"
    )
    print(
        f"  samples SSH {' '.join(f'{w:.2f}' for w in ssh.wall)}"
        f" · HTTP {' '.join(f'{w:.2f}' for w in http.wall)}"
    )


def report(sides: list[Side], repo: RepoStats, args: argparse.Namespace) -> None:
    ref, nb = sides[:2]
    print()
    print(
        f"repository: {repo.commits} commits, {repo.files} files at main, {repo.objects} objects, "
        f"{repo.pack_bytes / 1e6:.1f} MB pack, {repo.refs} refs; median of {args.repeat}"
    )
    config = "git defaults" if args.plain_reference else "NBopen's repository git config"
    print(f"reference: nginx + fcgiwrap + git http-backend ({config}); NBopen: nbopen serve")
    head = (
        f"{'operation':<24}{'reference s':>12}{'NBopen s':>10}{'ratio':>7}"
        f"{'ref CPU s':>11}{'NB CPU s':>10}{'CPU ratio':>11}{'relay CPU ref/NB':>18}  note"
    )
    print(head)
    print("-" * len(head))
    for op, ref_samples in ref.results.items():
        nb_samples = nb.results[op]
        rw, nw = statistics.median(ref_samples.wall), statistics.median(nb_samples.wall)
        rc, nc = statistics.median(ref_samples.cpu), statistics.median(nb_samples.cpu)
        cpu_ratio = f"{nc / rc:.2f}" if rc > 0.02 else "n/a"
        relay = (
            f"{statistics.median(ref_samples.relay):.2f}/{statistics.median(nb_samples.relay):.2f}"
        )
        print(
            f"{op:<24}{rw:>12.2f}{nw:>10.2f}{nw / rw:>7.2f}{rc:>11.2f}{nc:>10.2f}{cpu_ratio:>11}"
            f"{relay:>18}  {nb_samples.note or ref_samples.note}"
        )
    print("\nall samples (wall s):")
    for side in sides[:2]:
        for op, samples in side.results.items():
            print(f"  {side.label:<10} {op:<24} {' '.join(f'{w:.2f}' for w in samples.wall)}")
    print(
        "ratio = NBopen / reference; target ≤ 1.20 (parallel rows: wall ≤ 0.50, CPU ≤ 0.30,"
        " NBopen's pack cache emptied before each). Server CPU = the server's whole process tree"
        " incl. git; relay CPU = nginx+fcgiwrap vs nbopen serve processes alone (no git)."
        f" Resolution 1/{CLK_TCK} s."
    )
    if len(sides) > 2:
        report_ssh(sides[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="nbopen serve --workers")
    parser.add_argument("--no-shallow", action="store_true", help="skip the --depth 1 rows")
    parser.add_argument(
        "--parallel", type=int, default=20, help="clones at once in the parallel rows (0: none)"
    )
    parser.add_argument(
        "--no-pack-cache",
        action="store_true",
        help="run NBopen without its pack cache and pack-objects limit (to see what they do)",
    )
    parser.add_argument(
        "--parallel-only",
        action="store_true",
        help="only the parallel rows (after one push per server to create the repository)",
    )
    parser.add_argument(
        "--plain-reference",
        action="store_true",
        help="leave the reference repositories at git defaults (no receive.fsckObjects …)",
    )
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="afterwards, profile one NBopen clone, pack stream and push into bench/out/pyspy-*",
    )
    parser.add_argument(
        "--ssh", action="store_true", help="also clone over SSH from the same server (vs HTTP)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary work dir")
    parser.add_argument("--cache-dir", type=Path, default=OUT / "cache")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        print(f"missing {', '.join(missing)}; install with: {INSTALL_HINT}", file=sys.stderr)
        return 1
    repo = ensure_repo(args.cache_dir, commits=args.commits, files=args.files)
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="git-transport-", dir=OUT))
    try:
        sides = bench(args, repo, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(sides, repo, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
