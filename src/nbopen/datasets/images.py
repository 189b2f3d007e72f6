"""Image datasets: image folders and COCO JSON, as rows the viewer shows as thumbnails.

Two layouts people push, as Hugging Face ``datasets`` reads them:

* an image folder (``imagefolder``): ``train/cat/1.jpg`` — the split from a path component
  named like a split, the label from the folder holding the image;
* COCO JSON: a ``.json`` file with ``images``, ``annotations`` and ``categories``; one row
  per image with its size and its objects (boxes and category names).

Why rows hold the image's repository *path* and not its bytes: the table stays small (the
viewer pages, statistics and the search index work as for any table), and the image is read
from the very revision that was converted when a thumbnail is asked for. The thumbnail is
re-encoded by Pillow (never the uploaded bytes served as they are) in the same limited child
process as conversions (:mod:`.isolate`), its size capped, with Pillow's decompression-bomb
guard on, and cached by the image's content hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbopen.config.env import CONFIG
from nbopen.core.errors import NotFound
from nbopen.datasets import isolate, layout, storage
from nbopen.datasets.sources import Materialized, describe
from nbopen.datasets.thumbs import MAX_SOURCE_BYTES, THUMB_BOX, ThumbnailError
from nbopen.repos.git import read
from nbopen.repos.models import Repository

_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")
FEATURE = {"_type": "Image"}
MAX_COCO_BYTES = 64 << 20


def is_image(path: str) -> bool:
    hidden = any(part.startswith(".") for part in path.split("/"))
    return path.lower().endswith(IMAGE_EXTENSIONS) and not hidden


def _splits(paths: list[str]) -> list[layout.SplitSpec]:
    by_split: dict[str, list[str]] = {}
    for path in sorted(paths):
        by_split.setdefault(layout.split_of(path) or "train", []).append(path)
    names = [n for n in layout.SPLIT_KEYWORDS if n in by_split]
    return [layout.SplitSpec(n, by_split[n]) for n in names]


def infer(paths: list[str], read_json: Any) -> list[layout.ConfigSpec]:
    """An image config for these repository paths, or [] when the data is not images.

    ``read_json(path)`` gives a small JSON file's content (None when too big or invalid):
    COCO files are recognised by their keys. An image folder is taken only when the
    repository has no tabular data file (a folder of images beside a CSV is the CSV's).
    """
    jsons = [p for p in paths if p.lower().endswith(".json") and layout.is_data_candidate(p)]
    coco = [p for p in jsons if looks_like_coco(read_json(p))]
    if coco:
        return [layout.ConfigSpec("default", "coco", _splits(coco), default=True)]
    images = [p for p in paths if is_image(p)]
    if images and not any(layout.is_data_candidate(p) for p in paths):
        return [layout.ConfigSpec("default", "imagefolder", _splits(images), default=True)]
    return []


def is_image_feature(feature_type: Any) -> bool:
    return isinstance(feature_type, dict) and feature_type.get("_type") == "Image"


def looks_like_coco(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("images"), list)
        and isinstance(data.get("annotations"), list)
        and isinstance(data.get("categories"), list)
    )


def imagefolder_rows(paths: list[str]) -> list[dict[str, Any]]:
    """``{"image": path, "label": folder}`` for every image (label "" at the top level)."""
    rows = []
    for path in sorted(paths):
        label = posixpath.basename(posixpath.dirname(path))
        if label.lower() in _SPLIT_WORDS:
            label = ""  # train/1.jpg: the folder is the split, not a class
        rows.append({"image": path, "label": label})
    return rows


_SPLIT_WORDS = {w for words in layout.SPLIT_KEYWORDS.values() for w in words}


def _resolve(file_name: str, base: str, paths: set[str], by_name: dict[str, str]) -> str:
    """The repository path of a COCO ``file_name``: next to the JSON, in an ``images/``
    folder beside it, or the one image of that file name anywhere."""
    for candidate in (
        posixpath.normpath(posixpath.join(base, file_name)),
        posixpath.normpath(posixpath.join(base, "images", file_name)),
        posixpath.normpath(posixpath.join(posixpath.dirname(base), "images", file_name)),
    ):
        if candidate in paths:
            return candidate
    return by_name.get(posixpath.basename(file_name), file_name)


def coco_rows(origin: str, data: dict[str, Any], paths: list[str]) -> list[dict[str, Any]]:
    """One row per COCO image: path, size, object count, categories and boxes (as JSON)."""
    base = posixpath.dirname(origin)
    images = [p for p in paths if is_image(p)]
    names = Counter(posixpath.basename(p) for p in images)
    by_name = {posixpath.basename(p): p for p in images if names[posixpath.basename(p)] == 1}
    categories = {
        c.get("id"): str(c.get("name", c.get("id")))
        for c in data["categories"]
        if isinstance(c, dict)
    }
    objects: dict[Any, list[dict[str, Any]]] = {}
    for ann in data["annotations"]:
        if isinstance(ann, dict):
            objects.setdefault(ann.get("image_id"), []).append(
                {"category": categories.get(ann.get("category_id"), ""), "bbox": ann.get("bbox")}
            )
    rows = []
    known = set(images)
    for image in data["images"]:
        if not isinstance(image, dict):
            continue
        found = objects.get(image.get("id"), [])
        rows.append(
            {
                "image": _resolve(str(image.get("file_name", "")), base, known, by_name),
                "image_id": image.get("id"),
                "width": image.get("width"),
                "height": image.get("height"),
                "objects": len(found),
                "categories": ", ".join(sorted({o["category"] for o in found if o["category"]})),
                "annotations": json.dumps(found, ensure_ascii=False),
            }
        )
    return rows


def write_jsonl(rows: list[dict[str, Any]], target: Path) -> None:
    with open(target, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


# A thumbnail is small work: far tighter limits than a conversion's.
THUMB_LIMITS = {"memory": 768 << 20, "cpu": 10, "output": 8 << 20}


def isolated_thumbnail(source: Path, target: Path, *, box: int = THUMB_BOX) -> None:
    """Decode ``source`` and write its thumbnail to ``target`` in a limited child process:
    pushed images are untrusted, and image decoders are where parsers break."""
    try:
        isolate.run(
            {"op": "thumbnail", "path": str(source), "out": str(target), "box": box},
            limit=THUMB_LIMITS,
        )
    except isolate.IsolatedError as exc:
        raise ThumbnailError(str(exc)) from None


def cached_thumbnail(
    content_id: str, source: Callable[[], Any], cache_dir: Path, *, box: int = THUMB_BOX
) -> bytes:
    """The thumbnail of the image whose content hash is ``content_id`` (a git blob id or an
    LFS sha256: content-addressed, so a cached thumbnail never goes stale). ``source()`` is a
    context manager giving the image as a local file, entered only on a miss."""
    digest = hashlib.sha256(content_id.encode()).hexdigest()
    path = cache_dir / digest[:2] / f"{digest}-{box}.webp"
    if path.is_file():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        with source() as local:
            isolated_thumbnail(local, tmp, box=box)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def cache_dir() -> Path:
    """Thumbnails outlive conversions (content-addressed), so not under a revision's folder."""
    return CONFIG.data_dir / "cache" / "thumbnails"


def repo_thumbnail(repo: Repository, revision: str, path: str) -> bytes:
    """The thumbnail of image ``path`` at commit ``revision`` of ``repo``. The caller has
    asked the policy whether the viewer may read the repository's content.

    Raises :class:`NotFound` for anything that is not an image file at that commit, and
    :class:`ThumbnailError` for an image that cannot be read safely.
    """
    if not _SHA.match(revision) or not is_image(path):
        raise NotFound("No such image")
    git = repo.git_path
    entry = read.entry_at(git, revision, path)
    if entry is None or entry.type != "blob":
        raise NotFound("No such image")
    file = describe(git, entry)
    if file.size > MAX_SOURCE_BYTES:
        raise ThumbnailError("image too large")

    storage.work_dir().mkdir(parents=True, exist_ok=True)
    return cached_thumbnail(
        file.lfs_oid or file.git_oid,
        lambda: Materialized(git, file, storage.work_dir()),
        cache_dir(),
    )
