"""Semantic versions of a dataset by the Croissant rule, from comparing two conversions.

* MAJOR: records edited or removed, a split or column removed, a column's type changed;
* MINOR: every old record is still there, and records, columns or splits were added;
* PATCH: the same records, only re-serialized (or nothing changed at all).

Records are compared by a hash of their values over the columns both revisions share, as a
multiset (``EXCEPT ALL`` in DuckDB), so reordering rows is a patch.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from nbopen.datasets.duck import quote_ident
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.datasets.storage import split_dir

FIRST_VERSION = "1.0.0"


def _files(conv: Conversion, split: SplitResult) -> list[Path]:
    base = split_dir(conv.repository_id, conv.revision, split.config, split.split)
    return [base / f["filename"] for f in split.files]


def _source(files: list[Path]) -> str:
    return "read_parquet([" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "])"


def compare(old: Conversion, new: Conversion) -> str:
    """ "major", "minor" or "patch" for the change from ``old`` to ``new``."""
    old_splits = {(s.config, s.split): s for s in old.splits.filter(status=SplitResult.Status.DONE)}
    new_splits = {(s.config, s.split): s for s in new.splits.filter(status=SplitResult.Status.DONE)}
    if set(old_splits) - set(new_splits):
        return "major"
    change = "minor" if set(new_splits) - set(old_splits) else "patch"
    con = duckdb.connect(config={"memory_limit": "512MB", "threads": 2})
    try:
        for key, before in old_splits.items():
            after = new_splits[key]
            old_types = {f["name"]: f["type"] for f in before.features}
            new_types = {f["name"]: f["type"] for f in after.features}
            if any(name not in new_types or new_types[name] != t for name, t in old_types.items()):
                return "major"
            if set(new_types) - set(old_types):
                change = "minor"
            cols = ", ".join(quote_ident(c) for c in old_types)
            if not cols or not before.files or not after.files:
                if before.num_rows > after.num_rows:
                    return "major"
                continue
            missing = con.execute(
                f"SELECT count(*) FROM (SELECT hash({cols}) FROM {_source(_files(old, before))} "  # noqa: S608 - identifiers quoted from the schema, values bound
                f"EXCEPT ALL SELECT hash({cols}) FROM {_source(_files(new, after))})"
            ).fetchall()[0]
            if missing and missing[0]:
                return "major"
            if after.num_rows > before.num_rows:
                change = "minor"
    finally:
        con.close()
    return change


def bump(version: str, change: str) -> str:
    try:
        major, minor, patch = (int(p) for p in version.split("."))
    except ValueError:
        return FIRST_VERSION
    if change == "major":
        return f"{major + 1}.0.0"
    if change == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def next_version(conversion: Conversion) -> str:
    previous = (
        Conversion.objects.filter(
            repository_id=conversion.repository_id,
            status=Conversion.Status.DONE,
            created_at__lt=conversion.created_at,
        )
        .exclude(version="")
        .order_by("-created_at")
        .first()
    )
    if previous is None:
        return FIRST_VERSION
    try:
        return bump(previous.version, compare(previous, conversion))
    except (duckdb.Error, OSError):
        # The previous outputs may have been cleaned up: a version bump we cannot verify is major.
        return bump(previous.version, "major")
