"""The first commit of a new model or dataset repository, as the Hub makes it.

A Hub repository is never empty: it starts with an "initial commit" holding a
``.gitattributes`` that routes the usual weight and data formats through Git LFS. Clients
rely on that (``snapshot_download`` right after ``create_repo`` needs a ``main`` branch), and
``git clone`` + ``git add model.safetensors`` + ``git push`` then stores weights as LFS.
"""

from __future__ import annotations

from nbopen.accounts.models import User
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.models import Repository

# Formats the Hub tracks with LFS by default (binary weights, archives, columnar data).
LFS_PATTERNS = [
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gguf", "*.gz", "*.h5",
    "*.joblib", "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx",
    "*.ot", "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar",
    "*.safetensors", "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm",
    "*.xz", "*.zip", "*.zst", "*tfevents*",
]  # fmt: skip
DATASET_EXTRA = ["*.mds", "*.mp3", "*.ogg", "*.wav", "*.jpg", "*.jpeg", "*.png", "*.webp"]


def gitattributes(repo_type: str) -> bytes:
    patterns = LFS_PATTERNS + (DATASET_EXTRA if repo_type == Repository.Type.DATASET else [])
    return "".join(f"{p} {gitcommit.LFS_ATTRS}\n" for p in patterns).encode()


def initial_commit(*, repo: Repository, user: User | None) -> str | None:
    """Create ``main`` with the default ``.gitattributes``; None if the branch already exists."""
    if repo.type not in {Repository.Type.MODEL, Repository.Type.DATASET}:
        return None
    if gitcommit.branch_head(repo.git_path, repo.default_branch) is not None:
        return None
    name = user.username if user is not None else "nbopen"
    email = (user.email if user is not None else "") or f"{name}@users.nbopen"
    oid = gitcommit.write_blob(repo.git_path, gitattributes(repo.type))
    try:
        sha, _ = gitcommit.create_commit(
            repo.git_path,
            branch=repo.default_branch,
            operations=[gitcommit.Put(".gitattributes", oid)],
            message="initial commit\n",
            author=gitcommit.Author(name, email),
            expected_parent=None,
            require_parent=True,
        )
    except gitcommit.RefConflict:
        return None  # someone pushed first: that history wins
    return sha
