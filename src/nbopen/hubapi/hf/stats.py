"""Which requests count as downloads, and like counts, for the Hub API.

Counts are written and read by :mod:`nbopen.repos.downloads`; likes live in ``collab``.
Counting follows the Hub: a download is a GET (never a HEAD) of the file that marks "this
repository was fetched" (``config.json`` for models, or a weights file when there is no
config; any data file for datasets), and the same client counts at most once per repository
every five minutes, so a ``snapshot_download`` of a sharded model counts once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from nbopen.collab.models import Like
from nbopen.repos.models import Repository

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".onnx", ".pt", ".pth", ".h5", ".ckpt")


def counts_as_download(repo_type: str, path: str, has_config: bool | None) -> bool:
    """Whether a GET of ``path`` is a "download" of the repository."""
    name = path.rsplit("/", 1)[-1]
    if name in {".gitattributes", ".gitignore"}:
        return False
    if repo_type == Repository.Type.DATASET:
        return name != "README.md"  # the card is read before every load; data files count
    if name == "config.json" and "/" not in path:
        return True
    return name.endswith(WEIGHT_SUFFIXES) and has_config is False


def likes(repo_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Like.objects.filter(repository_id__in=list(repo_ids))
        .values("repository_id")
        .annotate(total=Count("id"))
    )
    return {row["repository_id"]: int(row["total"]) for row in rows}
