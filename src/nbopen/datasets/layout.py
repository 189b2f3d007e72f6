"""Which files make which config and split, by the Hugging Face Hub's conventions.

Either the README's YAML front matter has a ``configs:`` block (``config_name``,
``data_files`` as a glob, a list of globs, or a list of ``{split, path}``), or the layout is
inferred: the most common supported format wins, and a file belongs to ``train``,
``validation`` or ``test`` when a path component names the split as a word
(``train.csv``, ``data/test-00000.parquet``, ``validation/part1.jsonl``). Without any split
name, every data file is ``train``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".xlsx": "excel",
    ".txt": "text",
}
# When two formats have as many files, the earlier one wins.
PRIORITY = ["parquet", "csv", "json", "excel", "text"]
SPLIT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "validation": ("validation", "valid", "dev", "val"),
    "test": ("test", "testing", "eval", "evaluation"),
}
_NAME_RE = re.compile(r"[^/\\\0]{1,100}\Z")
OPTION_KEYS = ("sep", "delimiter", "encoding", "sheet")


class LayoutError(ValueError):
    """The README's configs block is invalid: reported to the user as the conversion error."""


@dataclass
class SplitSpec:
    name: str
    files: list[str]


@dataclass
class ConfigSpec:
    name: str
    format: str
    splits: list[SplitSpec]
    options: dict[str, str] = field(default_factory=dict)
    default: bool = False


def file_format(path: str) -> str | None:
    lower = path.lower()
    for ext, fmt in FORMATS.items():
        if lower.endswith(ext):
            return fmt
    return None


def is_data_candidate(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    if any(part.startswith(".") for part in path.split("/")):
        return False
    if name.lower() in {"readme.md", "license.txt", "licence.txt", "requirements.txt"}:
        return False
    return file_format(path) is not None


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as the Hub uses it: ``*`` within a path segment, ``**`` across segments."""
    out = []
    i = 0
    pattern = pattern.lstrip("./") if pattern.startswith("./") else pattern
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _match(patterns: list[str], paths: list[str]) -> list[str]:
    regexes = [glob_regex(p) for p in patterns]
    return [p for p in paths if any(r.match(p) for r in regexes)]


def split_of(path: str) -> str | None:
    stem_parts = path.split("/")
    stem_parts[-1] = stem_parts[-1].split(".", 1)[0]
    for split, words in SPLIT_KEYWORDS.items():
        word = "|".join(words)
        regex = re.compile(rf"(?:^|[-._ 0-9])(?:{word})(?:[-._ 0-9]|$)", re.IGNORECASE)
        if any(regex.search(part) for part in stem_parts):
            return split
    return None


def _as_list(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise LayoutError(f"{what} must be a path pattern or a list of them")


def _checked_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value) or value in {".", ".."}:
        raise LayoutError(f"invalid {what}: {value!r}")
    return value


def _declared(configs: Any, paths: list[str]) -> list[ConfigSpec]:
    if not isinstance(configs, list) or not configs:
        raise LayoutError("README configs: must be a non-empty list")
    specs: list[ConfigSpec] = []
    for item in configs:
        if not isinstance(item, dict):
            raise LayoutError("README configs: each entry must be a mapping")
        name = _checked_name(item.get("config_name", "default"), "config_name")
        raw = item.get("data_files")
        if raw is None:
            raw = "**"
        splits: list[SplitSpec] = []
        if isinstance(raw, list) and raw and all(isinstance(x, dict) for x in raw):
            for entry in raw:
                split = _checked_name(entry.get("split", "train"), "split name")
                files = _match(_as_list(entry.get("path"), f"{name}/{split} path"), paths)
                splits.append(SplitSpec(split, sorted(f for f in files if is_data_candidate(f))))
        else:
            files = _match(_as_list(raw, f"{name} data_files"), paths)
            splits.append(SplitSpec("train", sorted(f for f in files if is_data_candidate(f))))
        for spec in splits:
            if not spec.files:
                raise LayoutError(f"config {name!r}, split {spec.name!r}: no data file matches")
        formats = {file_format(f) for s in splits for f in s.files}
        if len(formats) != 1:
            raise LayoutError(f"config {name!r} mixes formats: {sorted(map(str, formats))}")
        options = {k: str(item[k]) for k in OPTION_KEYS if k in item}
        specs.append(
            ConfigSpec(name, str(formats.pop()), splits, options, bool(item.get("default")))
        )
    if len({s.name for s in specs}) != len(specs):
        raise LayoutError("README configs: config names must be unique")
    return specs


def infer_layout(paths: list[str], card: dict[str, Any]) -> list[ConfigSpec]:
    """Configs and splits for the given repository file paths (and parsed card data)."""
    if "configs" in card:
        return _declared(card["configs"], paths)
    candidates = [p for p in paths if is_data_candidate(p)]
    if not candidates:
        return []
    counts: dict[str, int] = {}
    for p in candidates:
        fmt = file_format(p)
        assert fmt is not None
        counts[fmt] = counts.get(fmt, 0) + 1
    best = max(PRIORITY, key=lambda f: (counts.get(f, 0), -PRIORITY.index(f)))
    chosen = sorted(p for p in candidates if file_format(p) == best)
    by_split: dict[str, list[str]] = {}
    for p in chosen:
        split = split_of(p)
        if split is not None:
            by_split.setdefault(split, []).append(p)
    if not by_split:
        by_split = {"train": chosen}
    splits = [SplitSpec(name, by_split[name]) for name in SPLIT_KEYWORDS if name in by_split]
    return [ConfigSpec("default", best, splits, default=True)]
