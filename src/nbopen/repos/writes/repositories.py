"""A repository's git directory and its first commit, the same for every channel.

A model or dataset repository starts as the Hub starts one: an "initial commit" holding a
``.gitattributes`` that routes the usual weight and data formats through Git LFS. Hub
clients rely on it (``snapshot_download`` right after ``create_repo`` needs a ``main``
branch), and ``git clone`` + ``git add model.safetensors`` + ``git push`` then stores weights
as LFS. The web form and Hub clients therefore get the same repository. Only a caller that
says it will push an existing history (``empty=True``: plain API clients, the demo loader
replaying its own history) gets an empty one, as on GitHub/Gitee; code repositories always
start empty.
"""

from __future__ import annotations

import shutil

from nbopen.accounts.models import User
from nbopen.config.env import CONFIG
from nbopen.repos.git import bare, init_bare, install_hooks
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.models import Repository, git_path_for
from nbopen.repos.writes import commits, objects

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


def _fresh_git_dir(repo: Repository) -> None:
    path = git_path_for(repo.pk)
    if path.exists():
        # A leftover from a crash between git init and commit: it was never visible; clear it.
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)


def initialize(*, repo: Repository, actor: User | None, empty: bool = False) -> str | None:
    """Create the bare repository of a new ``repo`` and, unless ``empty``, its initial commit
    (model and dataset repositories); returns that commit's sha or None."""
    _fresh_git_dir(repo)
    init_bare(
        repo.git_path,
        default_branch=repo.default_branch,
        hooks_dir=install_hooks(CONFIG.data_dir / "hooks"),
    )
    if empty:
        return None
    return initial_commit(repo=repo, actor=actor)


def initial_commit(*, repo: Repository, actor: User | None) -> str | None:
    """The Hub's initial commit on the default branch; None for code repositories or when
    the branch already exists (someone pushed first: that history wins)."""
    if repo.type not in {Repository.Type.MODEL, Repository.Type.DATASET}:
        return None
    try:
        sha, _ = commits.commit(
            repo=repo,
            actor=actor,
            branch=repo.default_branch,
            operations=[commits.AddBytes(".gitattributes", gitattributes(repo.type))],
            message="initial commit",
            parent=None,
            kind=None,  # part of the creation, which has its own event (as on the Hub)
        )
    except commits.RefConflict:
        return None
    return sha


def initialize_fork(*, source: Repository, fork: Repository) -> None:
    """The fork's git directory: every branch and tag of ``source``, objects hard-linked
    (cheap, and whole even if the source is deleted), plus the source's large-file links."""
    _fresh_git_dir(fork)
    bare.clone_local(source.git_path, fork.git_path)
    bare.configure_server(fork.git_path, hooks_dir=install_hooks(CONFIG.data_dir / "hooks"))
    objects.link_fork(source=source, fork=fork)
