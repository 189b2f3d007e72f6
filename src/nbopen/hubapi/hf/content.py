"""Repository content as the Hub describes it: tree entries, siblings and cards at a commit.

Everything here is a pure function of (repository, commit sha), which is what lets the
client cache ``trees/<sha>.json`` forever.
"""

from __future__ import annotations

from typing import Any

from nbopen.repos.git import read
from nbopen.repos.git.read import TreeEntry
from nbopen.repos.models import Repository

from .pointers import Pointer, pointers_for


def list_entries(
    repo: Repository, sha: str, path: str = "", *, recursive: bool = False
) -> tuple[list[TreeEntry], dict[str, Pointer]]:
    """Entries below ``path`` (FileNotFoundError if absent) and the LFS pointers among them."""
    entries = [
        e for e in read.ls_tree(repo.git_path, sha, path, recursive=recursive) if e.type != "commit"
    ]
    pointers = pointers_for(repo.git_path, [(e.oid, e.size) for e in entries if e.type == "blob"])
    return entries, pointers


def tree_entry_json(entry: TreeEntry, pointer: Pointer | None) -> dict[str, Any]:
    """A ``/tree`` or ``paths-info`` entry. LFS info is keyed ``oid`` here (``sha256`` in
    siblings). ``xetHash`` is added by the tree views for Xet-stored files only."""
    if entry.type == "tree":
        return {"type": "directory", "oid": entry.oid, "size": 0, "path": entry.path}
    data: dict[str, Any] = {
        "type": "file",
        "oid": entry.oid,
        "size": pointer.size if pointer else (entry.size or 0),
        "path": entry.path,
    }
    if pointer is not None:
        data["lfs"] = {
            "oid": pointer.oid,
            "size": pointer.size,
            "pointerSize": pointer.pointer_size,
        }
    return data


def siblings(repo: Repository, sha: str, *, blobs: bool) -> list[dict[str, Any]]:
    """Every file at ``sha`` (always the complete list: old clients download from it)."""
    entries, pointers = list_entries(repo, sha, recursive=True)
    result = []
    for entry in entries:
        if entry.type != "blob":
            continue
        item: dict[str, Any] = {"rfilename": entry.path}
        if blobs:
            pointer = pointers.get(entry.oid)
            item["blobId"] = entry.oid
            item["size"] = pointer.size if pointer else (entry.size or 0)
            if pointer is not None:
                item["lfs"] = {
                    "sha256": pointer.oid,
                    "size": pointer.size,
                    "pointerSize": pointer.pointer_size,
                }
        result.append(item)
    return result
