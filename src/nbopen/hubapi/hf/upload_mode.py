"""Which files are LFS (HF_COMPAT.md §6.2 and §7).

Storage: the write service's one rule (:mod:`nbopen.repos.writes.lfs_rule`: 10 MB or larger,
or binary), whatever way a file arrives, so git clones and the API agree.

Answer to preupload: ``lfs`` for those files, to every client. NBopen runs the Xet CAS
(docs/xet-protocol.md), so ``huggingface_hub`` ≥ 1.20 with ``hf_xet`` uploads them as Xet
chunks (``xet-write-token`` + ``/xet-cas``); the same client with ``HF_HUB_DISABLE_XET=1``
or without ``hf_xet``, older clients (which negotiate ``basic``/``multipart`` in the LFS batch
call) and custom clients use the LFS batch API. The ``X-NBopen-Lfs`` header and the
``nbopen-lfs`` user-agent origin, which used to opt Xet-capable clients into LFS while NBopen
had no Xet, are accepted and no longer change anything.
"""

from __future__ import annotations

import re

OPT_IN_HEADER = "X-NBopen-Lfs"
_HF_HUB = re.compile(r"(?:^|[;\s])hf_hub/(\d+)\.(\d+)")


def is_hub_client(user_agent: str) -> bool:
    """Whether the request comes from ``huggingface_hub`` (any version)."""
    return _HF_HUB.search(user_agent or "") is not None
