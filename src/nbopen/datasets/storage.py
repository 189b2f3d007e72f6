"""Where a conversion's outputs live: ``{data_dir}/datasets/{repo_id}/{revision}/{config}/{split}``.

Config and split names come from users (README, sheet names), so each becomes one
percent-encoded path segment: no name can climb out of its directory.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from nbopen.config.env import CONFIG


def segment(name: str) -> str:
    encoded = quote(name, safe="")
    return encoded.replace(".", "%2E") if encoded in {".", ".."} else encoded


def repo_dir(repo_id: int) -> Path:
    return CONFIG.data_dir / "datasets" / str(repo_id)


def revision_dir(repo_id: int, revision: str) -> Path:
    return repo_dir(repo_id) / revision


def split_dir(repo_id: int, revision: str, config: str, split: str) -> Path:
    return revision_dir(repo_id, revision) / segment(config) / segment(split)


def work_dir() -> Path:
    return CONFIG.tmp_dir / "datasets"
