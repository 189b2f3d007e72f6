"""The owner setting "block pushes that contain secrets", checked before content lands.

Scanning after the commit (:mod:`.services`) only reports; an owner who turns blocking on
wants the secret never to reach the repository, so the check runs *before* the ref moves,
in the channel's own request: the write service calls :func:`check_commit` for Hub
commits and browser uploads, and the git relay passes :func:`hook_env` to the
``pre-receive`` hook (:mod:`.prereceive`). Only text files kept in git are read (LFS
content is binary weights and data; reading gigabytes in a request is not an option); the
refusal names each file and line and the kind of key, never the key itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbopen
from nbopen.core.errors import InvalidInput
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.scanning import scanners
from nbopen.scanning.models import SecretPolicy


class SecretsRefused(InvalidInput):
    """The content holds secrets and the owner blocks such pushes; ``where`` lists
    ``path:line (kind)`` for each file."""

    code = "SecretsFound"

    def __init__(self, where: list[str]) -> None:
        self.where = where
        super().__init__(
            "Your push was rejected because it contains secrets (the repository's owner blocks"
            " them): " + "; ".join(where) + ". Remove them (and revoke them), then push again."
        )


def blocks_secrets(repo: Repository) -> bool:
    return SecretPolicy.objects.filter(namespace_id=repo.owner_id, block_secrets=True).exists()


def check_commit(*, repo: Repository, blobs: list[tuple[str, str]]) -> None:
    """Raise :class:`SecretsRefused` if the owner blocks secrets and one of ``blobs``
    ((path, git blob id) of the files a commit sets in git) holds one."""
    if not blobs or not blocks_secrets(repo):
        return
    data = read.read_small_blobs(
        repo.git_path, [oid for _, oid in blobs], max_size=scanners.SECRET_MAX_BYTES
    )
    where = []
    for path, oid in blobs:
        content = data.get(oid)
        if content is not None:
            hits = scanners.scan_secrets(content)
            if hits:
                where.append(scanners.describe_hits(path, hits))
    if where:
        raise SecretsRefused(where)


def hook_env(repo: Repository) -> dict[str, str]:
    """Environment for ``git receive-pack`` that makes its ``pre-receive`` hook check the
    pushed blobs for secrets (empty when the owner does not block them)."""
    if not blocks_secrets(repo):
        return {}
    src = str(Path(nbopen.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {"NBOPEN_BLOCK_SECRETS": sys.executable, "PYTHONPATH": path}
