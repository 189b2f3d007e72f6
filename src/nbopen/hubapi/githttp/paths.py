"""Which URL paths belong to git and LFS, and which repository they name."""

from __future__ import annotations

import re
from dataclasses import dataclass

# /{owner}/{name}[.git]/<git part> and /datasets/{owner}/{name}[.git]/<git part>
_REPO = r"^/(?:(?P<prefix>datasets)/)?(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?"
GIT_SMART_RE = re.compile(_REPO + r"/(?P<part>info/refs|git-upload-pack|git-receive-pack)\Z")
LFS_API_RE = re.compile(_REPO + r"/info/lfs/(?P<part>objects/batch|objects/verify|locks(?:/.*)?)\Z")
LFS_TRANSFER_RE = re.compile(r"^/lfs-objects/(?P<repo_id>\d{1,18})/(?P<oid>[0-9a-f]{64})\Z")


@dataclass(frozen=True)
class RepoPath:
    owner: str
    name: str
    dataset_prefix: bool
    part: str


def match_git(path: str) -> RepoPath | None:
    m = GIT_SMART_RE.match(path)
    if not m:
        return None
    return RepoPath(m["owner"], m["name"], m["prefix"] is not None, m["part"])


def match_lfs_api(path: str) -> RepoPath | None:
    m = LFS_API_RE.match(path)
    if not m:
        return None
    return RepoPath(m["owner"], m["name"], m["prefix"] is not None, m["part"])


# The path an SSH git command names: 'owner/name.git', '/owner/name.git',
# 'datasets/owner/name' (git sends the URL's path; scp-style URLs have no leading slash).
_SSH_REPO_RE = re.compile(
    r"^/?(?:(?P<prefix>datasets)/)?(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?\Z"
)


def match_ssh(path: str, part: str) -> RepoPath | None:
    """The repository of an SSH command's path argument (``part``: the command)."""
    m = _SSH_REPO_RE.match(path)
    if not m or m["owner"] in {".", ".."} or m["name"] in {".", ".."}:
        return None
    return RepoPath(m["owner"], m["name"], m["prefix"] is not None, part)
