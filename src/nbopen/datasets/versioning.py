"""Semantic versions of a dataset by the Croissant rule, from comparing two conversions.

* MAJOR: records edited or removed, a split or column removed, a column's type changed;
* MINOR: every old record is still there, and records, columns or splits were added;
* PATCH: the same records, only re-serialized (or nothing changed at all).

Records are compared by a hash of their values over the columns both revisions share, as a
multiset (``EXCEPT ALL`` in DuckDB), so reordering rows is a patch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def _diff_split(
    con: duckdb.DuckDBPyConnection,
    old: Conversion,
    before: SplitResult,
    new: Conversion,
    after: SplitResult,
    key: str | None,
) -> dict[str, Any]:
    old_types = {f["name"]: f["type"] for f in before.features}
    new_types = {f["name"]: f["type"] for f in after.features}
    common = [c for c in old_types if c in new_types]
    out: dict[str, Any] = {
        "columns": {
            "added": [c for c in new_types if c not in old_types],
            "removed": [c for c in old_types if c not in new_types],
            "changed": [
                {"name": c, "from": old_types[c], "to": new_types[c]}
                for c in common
                if old_types[c] != new_types[c]
            ],
        }
    }
    if not common or not before.files or not after.files:
        return out
    cols = ", ".join(quote_ident(c) for c in common)
    a, b = _source(_files(old, before)), _source(_files(new, after))
    # Rows compared as a multiset of their values over the shared columns.
    removed, added = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT hash({cols}) FROM {a} EXCEPT ALL "  # noqa: S608 - identifiers quoted from the schema, values bound
        f"SELECT hash({cols}) FROM {b})), (SELECT count(*) FROM (SELECT hash({cols}) FROM {b} "
        f"EXCEPT ALL SELECT hash({cols}) FROM {a}))"
    ).fetchall()[0]
    out["rows"] = {"added": int(added), "removed": int(removed)}
    auto = key is None and _unique_id(con, a, b, common)
    if auto:
        key = "id"
    out["changes"] = _changed_rows(con, a, b, common, key if key in common else None)
    if key is not None and key in common:
        k = quote_ident(key)
        keyed = con.execute(
            f"WITH o AS (SELECT {k} AS k, hash({cols}) AS h FROM {a}), "  # noqa: S608 - identifiers quoted from the schema, values bound
            f"n AS (SELECT {k} AS k, hash({cols}) AS h FROM {b}) "
            "SELECT (SELECT count(*) FROM n WHERE k NOT IN (SELECT k FROM o WHERE k IS NOT NULL)),"
            " (SELECT count(*) FROM o WHERE k NOT IN (SELECT k FROM n WHERE k IS NOT NULL)),"
            " (SELECT count(*) FROM o JOIN n USING (k) WHERE o.h <> n.h)"
        ).fetchall()[0]
        out["keyed"] = {
            "key": key,
            "added": int(keyed[0]),
            "removed": int(keyed[1]),
            "changed": int(keyed[2]),
        }
    return out


ROW_LIMIT = 50  # changed rows listed per kind (added, removed, modified) and split
CELL_CHARS = 200


def _plain(value: Any) -> Any:
    """A value as the page and the JSON answer can show it, cut to :data:`CELL_CHARS`."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS] + "…"


def _unique_id(con: duckdb.DuckDBPyConnection, a: str, b: str, common: list[str]) -> bool:
    """Whether an ``id`` column exists on both sides and is unique in each (then rows are
    matched by it, so an edited row shows as modified rather than removed and added)."""
    if "id" not in common:
        return False
    for source in (a, b):
        row = con.execute(
            f"SELECT count(*) = count(DISTINCT id) AND count(id) = count(*) FROM {source}"  # noqa: S608 - a file list we built
        ).fetchone()
        if not row or not row[0]:
            return False
    return True


def _changed_rows(
    con: duckdb.DuckDBPyConnection, a: str, b: str, common: list[str], key: str | None
) -> dict[str, Any]:
    """The rows themselves, at most :data:`ROW_LIMIT` of each kind: by ``key`` when given
    (added, removed, modified with both versions), else by the row's hash as a multiset
    (added and removed; an edit shows as one of each)."""
    cols = ", ".join(quote_ident(c) for c in common)
    limit = ROW_LIMIT + 1

    def rows(sql: str) -> tuple[list[list[Any]], bool]:
        found = [[_plain(v) for v in r] for r in con.execute(sql).fetchall()]
        return found[:ROW_LIMIT], len(found) > ROW_LIMIT

    out: dict[str, Any] = {"columns": common, "key": key, "limit": ROW_LIMIT}
    if key is None:
        numbered = (
            "SELECT {cols}, hash({cols}) AS __h, "
            "row_number() OVER (PARTITION BY hash({cols})) AS __n FROM {src}"
        )
        left = numbered.format(cols=cols, src=a)
        right = numbered.format(cols=cols, src=b)
        only = (
            "SELECT {cols} FROM ({x}) x WHERE NOT EXISTS (SELECT 1 FROM ({y}) y "
            "WHERE y.__h = x.__h AND y.__n = x.__n) LIMIT {limit}"
        )
        out["added"], more_added = rows(only.format(cols=cols, x=right, y=left, limit=limit))
        out["removed"], more_removed = rows(only.format(cols=cols, x=left, y=right, limit=limit))
        out["modified"], more_modified = [], False
    else:
        k = quote_ident(key)
        keyed = "SELECT {k} AS __k, hash({cols}) AS __h, {cols} FROM {src}"
        left = keyed.format(k=k, cols=cols, src=a)
        right = keyed.format(k=k, cols=cols, src=b)
        missing = (
            "SELECT {cols} FROM ({x}) x WHERE x.__k IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM ({y}) y WHERE y.__k = x.__k) ORDER BY x.__k LIMIT {limit}"
        )
        out["added"], more_added = rows(missing.format(cols=cols, x=right, y=left, limit=limit))
        out["removed"], more_removed = rows(missing.format(cols=cols, x=left, y=right, limit=limit))
        before = ", ".join(f"o.{quote_ident(c)}" for c in common)
        after = ", ".join(f"n.{quote_ident(c)}" for c in common)
        pairs, more_modified = rows(
            f"SELECT {before}, {after} FROM ({left}) o JOIN ({right}) n ON o.__k = n.__k "  # noqa: S608 - identifiers quoted from the schema
            f"WHERE o.__h <> n.__h ORDER BY o.__k LIMIT {limit}"
        )
        width = len(common)
        out["modified"] = [
            {
                "before": p[:width],
                "after": p[width:],
                "changed": [c for i, c in enumerate(common) if p[i] != p[width + i]],
            }
            for p in pairs
        ]
    out["truncated"] = more_added or more_removed or more_modified
    return out


def diff(old: Conversion, new: Conversion, *, key: str | None = None) -> dict[str, Any]:
    """What changed between two converted revisions: splits, schema, row counts, rows
    added/removed (by value, or by ``key`` column for keyed tables; a unique ``id`` column is
    used as the key when none is given), and under ``changes`` the changed rows themselves,
    capped at :data:`ROW_LIMIT` of each kind."""
    old_splits = {(s.config, s.split): s for s in old.splits.filter(status=SplitResult.Status.DONE)}
    new_splits = {(s.config, s.split): s for s in new.splits.filter(status=SplitResult.Status.DONE)}
    splits: list[dict[str, Any]] = []
    con = duckdb.connect(config={"memory_limit": "512MB", "threads": 2})
    try:
        for ident in [*old_splits, *(k for k in new_splits if k not in old_splits)]:
            before, after = old_splits.get(ident), new_splits.get(ident)
            entry: dict[str, Any] = {
                "config": ident[0],
                "split": ident[1],
                "status": "common" if before and after else ("removed" if before else "added"),
                "num_rows": {
                    "from": before.num_rows if before else None,
                    "to": after.num_rows if after else None,
                },
            }
            if before is not None and after is not None:
                entry.update(_diff_split(con, old, before, new, after, key))
            splits.append(entry)
    finally:
        con.close()
    return {
        "from": {"revision": old.revision, "version": old.version},
        "to": {"revision": new.revision, "version": new.version},
        "change": compare(old, new),
        "splits": splits,
    }
