"""Creating and inspecting bare repositories with plumbing commands."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# post-receive appends "old new ref" lines to the file named by NBOPEN_PUSH_LOG. The relay
# that spawned receive-pack sets it per request, reads it back and records the push event;
# git itself only runs the hook for refs it really updated.
POST_RECEIVE = """#!/bin/sh
if [ -n "$NBOPEN_PUSH_LOG" ]; then
  cat >> "$NBOPEN_PUSH_LOG"
else
  cat > /dev/null
fi
"""

# pre-receive keeps refs/convert/ (the dataset converter's Parquet, as on the Hub) server-owned:
# the converter moves it with update-ref, which runs no hooks; client pushes to it are refused.
# It also refuses a branch or tag named HEAD (the same rule as repos.git.names for the Hub and
# web channels; git's own check-ref-format already ran). Paths are checked by receive.fsck.*.
# When the relay sets NBOPEN_BLOCK_SECRETS (the interpreter to use: the owner blocks pushes
# with secrets), the same lines go to nbopen.scanning.prereceive, which reads the pushed blobs.
# NBOPEN_PULL_MIRROR (the source URL) refuses every push to a pull mirror, with git's
# "remote:" lines saying why.
# refs/pull/ holds the server's copies of pull request heads (moved with update-ref, no
# hooks): a client push there is refused on every transport. NBOPEN_PULL_REFUSED is the
# sentence in the pusher's language with @REF@ where the ref goes (replaced once: a ref may
# hold '@REF@' itself); without it, both languages.
# When it sets NBOPEN_PROTECTED (the interpreter; the repository has protected branches), they
# go to nbopen.collab.prereceive, which applies the rules resolved for the pusher.
PRE_RECEIVE = """#!/bin/sh
input=$(cat)
if [ -n "$NBOPEN_PULL_MIRROR" ]; then
  echo "This repository is a read-only pull mirror of $NBOPEN_PULL_MIRROR." >&2
  echo "Push to the source instead, or convert the mirror into a normal repository." >&2
  exit 1
fi
status=0
while read old new ref; do
  case "$ref" in
    refs/convert/*) echo "$ref is written by the NBopen dataset converter only" >&2; status=1 ;;
    refs/pull/*)
      msg=${NBOPEN_PULL_REFUSED:-"@PULL_DEFAULT@"}
      case "$msg" in *@REF@*) msg="${msg%%@REF@*}$ref${msg#*@REF@}" ;; esac
      echo "$msg" >&2; status=1 ;;
    refs/heads/HEAD|refs/tags/HEAD) echo "'HEAD' is not a valid branch or tag name" >&2; status=1 ;;
  esac
done <<EOF
$input
EOF
if [ $status -eq 0 ] && [ -n "$NBOPEN_BLOCK_SECRETS" ]; then
  printf '%s\\n' "$input" | "$NBOPEN_BLOCK_SECRETS" -m nbopen.scanning.prereceive || status=1
fi
if [ $status -eq 0 ] && [ -n "$NBOPEN_PROTECTED" ]; then
  printf '%s\\n' "$input" | "$NBOPEN_PROTECTED" -m nbopen.collab.prereceive || status=1
fi
exit $status
""".replace(
    "@PULL_DEFAULT@",
    "@REF@ 由服务器为合并请求维护，不能推送；请推送分支并发起合并请求 / "
    "it is kept by the server for pull requests and cannot be pushed to; "
    "push a branch and open a pull request instead",
)

HOOKS = {"post-receive": POST_RECEIVE, "pre-receive": PRE_RECEIVE}

# Server-side git settings: partial clone needs filters allowed; pushes are checked for
# corrupt objects; fast-forward is not forced (the client decides, as on GitHub).
SERVER_CONFIG = {
    "uploadpack.allowFilter": "true",
    "uploadpack.allowAnySHA1InWant": "true",
    "receive.fsckObjects": "true",
    # git's path rules (repos.git.names is the same for the other channels) are warnings by
    # default: make a pushed tree with a .git look-alike, "." / ".." / "" names an error.
    "receive.fsck.hasDotgit": "error",
    "receive.fsck.hasDot": "error",
    "receive.fsck.hasDotdot": "error",
    "receive.fsck.emptyName": "error",
    "receive.fsck.fullPathname": "error",
    "receive.advertisePushOptions": "false",
    "core.logAllRefUpdates": "false",
    "gc.auto": "0",
}


class GitError(RuntimeError):
    pass


def _git(*args: str, cwd: Path | None = None, input_: bytes | None = None) -> bytes:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=input_,
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    if proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def install_hooks(hooks_dir: Path) -> Path:
    """Write the shared hooks directory every repository points at (idempotent)."""
    hooks_dir.mkdir(parents=True, exist_ok=True)
    for name, text in HOOKS.items():
        hook = hooks_dir / name
        if not hook.exists() or hook.read_text() != text:
            tmp = hook.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.chmod(0o755)
            os.replace(tmp, hook)
    return hooks_dir


def init_bare(path: Path, *, default_branch: str, hooks_dir: Path) -> None:
    """Create an empty bare repository whose HEAD names ``default_branch``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _git("init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(path))
    configure_server(path, hooks_dir=hooks_dir)


def configure_server(path: Path, *, hooks_dir: Path) -> None:
    """Apply NBopen's server settings and shared hooks to a bare repository."""
    for key, value in {**SERVER_CONFIG, "core.hooksPath": str(hooks_dir)}.items():
        _git("config", key, value, cwd=path)
    # git-daemon-export-ok is not written: this repository is served only through NBopen.


def clone_local(source: Path, target: Path) -> None:
    """A bare copy of every branch and tag of ``source``, objects hard-linked (cheap, and
    independent of ``source`` afterwards: deleting it leaves the copy whole)."""
    _git("clone", "--quiet", "--bare", "--local", "--", str(source), str(target))
    _git("remote", "remove", "origin", cwd=target)


def rev_parse(path: Path, rev: str) -> str | None:
    """The commit sha ``rev`` names, or None."""
    if rev.startswith("-"):
        return None
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=path,
        capture_output=True,
        check=False,
    )
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def ref_exists(path: Path, ref: str) -> bool:
    return rev_parse(path, ref) is not None


def ref_targets(path: Path) -> dict[str, str]:
    """Every branch and tag with the object it points at (tags not peeled)."""
    out = _git(
        "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags", cwd=path
    )
    pairs = (line.split(" ", 1) for line in out.decode().splitlines())
    return {name: target for name, target in pairs}


def fetch_all(path: Path, url: str, *, timeout: float) -> None:
    """Make the branches and tags of ``path`` those of the remote ``url``: the real ``git
    fetch --prune`` with forced refspecs (a pull mirror follows force-pushes and deletions).

    Only http(s) transports are allowed (no ``file://``, ``ext::`` or ssh to a host the
    operator did not mean), no credential prompt, and the fetch is stopped after ``timeout``.
    """
    command = [
        "git",
        "-c",
        "protocol.allow=never",
        "-c",
        "protocol.http.allow=always",
        "-c",
        "protocol.https.allow=always",
        "fetch",
        "--prune",
        "--quiet",
        "--no-write-fetch-head",
        "--",
        url,
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
    ]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_ASKPASS": "true"}
    try:
        proc = subprocess.run(
            command, cwd=path, capture_output=True, check=False, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git fetch from {url} took longer than {timeout:.0f} s") from exc
    if proc.returncode != 0:
        raise GitError(f"git fetch failed: {proc.stderr.decode(errors='replace').strip()}")


def all_refs(path: Path) -> dict[str, str]:
    """Every ref (branches, tags, ``refs/convert/…``, pull-request heads) with its object."""
    out = _git("for-each-ref", "--format=%(refname) %(objectname)", cwd=path)
    pairs = (line.split(" ", 1) for line in out.decode().splitlines())
    return {name: target for name, target in pairs}


def create_bundle(path: Path, target: Path) -> None:
    """``git bundle create TARGET --all``: every ref and the history they need, in one file
    the real git reads back (an offline bundle's git part)."""
    _git("bundle", "create", "--quiet", str(target), "--all", cwd=path)


def bundle_heads(bundle: Path) -> dict[str, str]:
    """The refs a git bundle carries (``HEAD`` left out: the repository has its own)."""
    out = _git("bundle", "list-heads", str(bundle))
    pairs = (line.split(" ", 1) for line in out.decode().splitlines() if line.strip())
    return {ref: sha for sha, ref in pairs if ref.startswith("refs/")}


def fetch_bundle(path: Path, bundle: Path, refs: list[str]) -> None:
    """Store the objects ``refs`` of ``bundle`` need in ``path`` (the real ``git fetch``),
    moving no ref: the caller moves them, so they are announced like any other change."""
    if refs:
        _git("fetch", "--quiet", "--no-write-fetch-head", str(bundle), *refs, cwd=path)
