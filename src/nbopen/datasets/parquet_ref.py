"""Publish a conversion's Parquet files on ``refs/convert/parquet``, as huggingface.co does.

The Hub keeps converted Parquet in a parallel git ref of the dataset repository whose tree is
``{config}/{split}/NNNN.parquet``, so every Hub client can list and download it with
``revision="refs/convert/parquet"`` (``datasets.load_dataset`` included). We do the same: the
files become Git LFS objects of the repository (stored once by sha256, linked to the repo, so
the usual policy and download paths apply) and the ref gets a new commit whose parent is the
previous conversion commit. A README with a ``configs:`` block names each config's files, so
``load_dataset(id, revision="refs/convert/parquet", name=config)`` picks the right ones.

Only the conversion of the default branch's current head is published, so a slow job for an
older push can never replace newer Parquet.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from nbopen.datasets import storage
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.repos.git.read import resolve
from nbopen.repos.writes import commits, objects

log = logging.getLogger(__name__)

PARQUET_REF = "refs/convert/parquet"
AUTHOR = commits.Author("NBopen parquet converter", "parquet-converter@nbopen.invalid")
GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"


def _safe(name: str) -> bool:
    return bool(name) and "/" not in name and not name.startswith(".") and "\n" not in name


def _readme(splits: list[SplitResult]) -> bytes:
    configs: dict[str, list[dict[str, str]]] = {}
    for s in splits:
        configs.setdefault(s.config, []).append(
            {"split": s.split, "path": f"{s.config}/{s.split}/*.parquet"}
        )
    card = {
        "configs": [
            {"config_name": name, "data_files": files, **({"default": True} if i == 0 else {})}
            for i, (name, files) in enumerate(configs.items())
        ]
    }
    front = yaml.safe_dump(card, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n".encode()


def publish(conversion: Conversion) -> str | None:
    """Commit the conversion's converted splits to ``refs/convert/parquet``; returns the commit
    sha, or None when there is nothing to publish (not the current head, no converted split).

    Called by the conversion job once every split is finished."""
    repo = conversion.repository
    git = repo.git_path
    if resolve(git, repo.default_branch) != conversion.revision:
        return None
    splits = [
        s
        for s in conversion.splits.filter(status=SplitResult.Status.DONE)
        if _safe(s.config) and _safe(s.split)
    ]
    if not splits:
        return None
    operations: list[commits.Operation] = [
        commits.AddBytes(".gitattributes", GITATTRIBUTES),
        commits.AddBytes("README.md", _readme(splits)),
    ]
    for s in splits:
        base = storage.split_dir(repo.pk, conversion.revision, s.config, s.split)
        for f in s.files:
            if not objects.link_if_stored(repo_id=repo.pk, oid=f["sha256"], size=int(f["size"])):
                objects.publish_file(
                    repo_id=repo.pk, source=base / f["filename"], expected_oid=f["sha256"]
                )
            path = f"{s.config}/{s.split}/{f['filename']}"
            operations.append(commits.AddLfs(path, f["sha256"], int(f["size"])))
    message = f"Update parquet files (revision {conversion.revision[:12]})"
    # Each conversion commit holds exactly its own files (no parent tree), on top of the
    # previous conversion commit; the converter's own ref records no event.
    return commits.commit_ref(
        repo=repo, ref=PARQUET_REF, operations=operations, message=message, author=AUTHOR
    )


def published(repo_git: Path) -> str | None:
    """The commit ``refs/convert/parquet`` points at, if any."""
    return resolve(repo_git, PARQUET_REF)
