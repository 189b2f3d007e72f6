"""Which files are LFS, and which clients may be told so (HF_COMPAT.md §6.2 and §7).

Storage: a file is kept as an LFS object when it is 10 MB or larger, or binary (a NUL byte in
its first 512 bytes), whatever way it arrived, so git clones and the API agree.

Answer to preupload: ``huggingface_hub`` ≥ 1.20 with ``hf_xet`` importable sends every file
marked ``lfs`` to Xet storage, which NBopen does not run, and the server cannot tell from the
request whether hf_xet is present. So those clients get ``regular`` (content inline in the
commit; NBopen still stores it as LFS) unless they opt in, together with
``HF_HUB_DISABLE_XET=1``, by the header ``X-NBopen-Lfs: 1`` (``HfApi(headers=…)``;
``nbopen upload`` does it) or, for libraries that build their own ``HfApi`` (``datasets``
``push_to_hub`` deletes its temp files right after preupload, so it *needs* LFS), by
``HF_HUB_USER_AGENT_ORIGIN=nbopen-lfs``, which the client appends to its user-agent. Older
clients negotiate the transfer in the LFS batch call, where NBopen answers ``basic``/
``multipart``, so they get ``lfs``.
"""

from __future__ import annotations

import re

LFS_THRESHOLD = 10 * 1000 * 1000
OPT_IN_HEADER = "X-NBopen-Lfs"
OPT_IN_ORIGIN = "origin/nbopen-lfs"
_HF_HUB = re.compile(r"(?:^|[;\s])hf_hub/(\d+)\.(\d+)")


def stored_as_lfs(size: int, sample: bytes) -> bool:
    return size >= LFS_THRESHOLD or (size > 0 and b"\0" in sample[:512])


def is_hub_client(user_agent: str) -> bool:
    """Whether the request comes from ``huggingface_hub`` (any version)."""
    return _HF_HUB.search(user_agent or "") is not None


def client_takes_lfs(user_agent: str, opt_in: str | None) -> bool:
    """Whether this client uploads LFS-mode files through the LFS batch API (not Xet)."""
    if opt_in and opt_in.strip().lower() in {"1", "true", "yes"}:
        return True
    if OPT_IN_ORIGIN in (user_agent or ""):
        return True
    match = _HF_HUB.search(user_agent or "")
    if match is None:
        return True  # not huggingface_hub: git-lfs or a custom client speaking plain LFS
    return (int(match[1]), int(match[2])) < (1, 20)
