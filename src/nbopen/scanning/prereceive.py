"""The git ``pre-receive`` step that refuses a push bringing a secret.

The shared hook (``repos.git.bare.PRE_RECEIVE``) runs ``python -m nbopen.scanning.prereceive``
only when the smart-HTTP relay set ``NBOPEN_BLOCK_SECRETS`` for this push, which it does when
the repository's owner turned "block pushes that contain secrets" on
(:func:`nbopen.scanning.gate.blocks_secrets`). Here, without Django: the ref updates on
stdin, the blobs the push brings (git exposes the quarantined objects to the hook), the
small text ones scanned line by line. A refusal names the file and line, never the secret.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbopen.repos.git import read
from nbopen.scanning import scanners

ZERO = "0" * 40
LFS_POINTER = b"version https://git-lfs"


def findings(repo: Path, news: list[str]) -> list[str]:
    """``path:line (kind)`` descriptions of the secrets in blobs new to ``repo``."""
    found: list[str] = []
    for new in news:
        blobs = read.new_blobs(repo, new)
        data = read.read_small_blobs(
            repo, [oid for oid, _ in blobs], max_size=scanners.SECRET_MAX_BYTES
        )
        for oid, path in blobs:
            content = data.get(oid)
            if content is None or content.startswith(LFS_POINTER):
                continue
            hits = scanners.scan_secrets(content)
            if hits:
                found.append(scanners.describe_hits(path, hits))
    return found


def main() -> int:
    news = []
    for line in sys.stdin.read().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != ZERO:
            news.append(parts[1])
    found = findings(Path.cwd(), list(dict.fromkeys(news)))
    if not found:
        return 0
    sys.stderr.write(
        "push refused: the repository's owner blocks pushes that contain secrets.\n"
        "Remove the secret (and revoke it) from these files, rewrite the commits, then push:\n"
    )
    for item in found:
        sys.stderr.write(f"  {item}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
