"""Model and dataset cards: README.md YAML front matter → ``cardData`` and tags.

Why here and not in a view: the Hub API, git pushes and the web UI all need the same card,
and the listing filters (``filter=license:mit``) search the tags this module derives. Bad
YAML never raises: it comes back as a list of human-readable errors for the author.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from nbopen.repos.git import read

if TYPE_CHECKING:
    from nbopen.repos.models import Repository

# NBopen's hardware tags for domestic AI accelerators (plus the usual two). A card lists
# them under ``hardware:``; they become ``hardware:<name>`` tags that the listing filters on.
HARDWARE = {
    "ascend": "华为昇腾 Ascend",
    "cambricon": "寒武纪 Cambricon",
    "hygon-dcu": "海光 DCU",
    "kunlunxin": "昆仑芯 Kunlunxin",
    "iluvatar": "天数智芯 Iluvatar",
    "metax": "沐曦 MetaX",
    "moore-threads": "摩尔线程 Moore Threads",
    "enflame": "燧原 Enflame",
    "cuda": "NVIDIA CUDA",
    "cpu": "CPU",
}
_ALIASES = {"hygon": "hygon-dcu", "dcu": "hygon-dcu", "npu": "ascend", "nvidia": "cuda"}
# Blank lines may come first, as huggingface_hub's own parser (REGEX_YAML_BLOCK) allows.
_FRONT_MATTER = re.compile(
    r"\A\ufeff?(?:[ \t]*\r?\n)*---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*$", re.S | re.M
)
MAX_CARD_BYTES = 1 << 20
# Caps on what the YAML may expand to (an alias bomb is a few hundred bytes of text that
# expands to gigabytes): aliases, anchors, nesting depth, the expanded size (scalar characters
# plus one per node, counting every alias as the copy it stands for) and the JSON stored.
MAX_ALIASES = 100
MAX_ANCHORS = 100
MAX_DEPTH = 64
MAX_EXPANDED = 1 << 20
MAX_CARD_JSON = 1 << 20
log = logging.getLogger(__name__)


@dataclass
class Card:
    data: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def license(self) -> str:
        value = self.data.get("license")
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value or "")[:64]


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings, so cardData stays JSON-serialisable."""


def _str_constructor(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _str_constructor)


class CardTooLarge(ValueError):
    """The metadata is over one of the caps (aliases, anchors, depth, expanded size)."""


class _CappedLoader(_SafeLoader):
    """Counts aliases and anchors while composing, before anything is constructed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise CardTooLarge(f"more than {MAX_ALIASES} YAML aliases (*name)")
        node = super().compose_node(parent, index)
        if len(self.anchors) > MAX_ANCHORS:
            raise CardTooLarge(f"more than {MAX_ANCHORS} YAML anchors (&name)")
        return node


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose expansion is too deep or too big (sizes memoised per node,
    so a bomb is measured without being expanded)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise CardTooLarge(f"nested deeper than {MAX_DEPTH} levels")
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise CardTooLarge("a YAML alias refers to itself")
        active.add(key)
        total = 1
        if isinstance(node, yaml.ScalarNode):
            total += len(node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        if total > MAX_EXPANDED:
            raise CardTooLarge(f"expands to more than {MAX_EXPANDED // 1024} KiB")
        sizes[key] = total
        return total

    size(root, 0)


def _load(text: str) -> Any:
    loader = _CappedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(text: str) -> Any:
    """YAML from a repository file with the card's caps (aliases, anchors, depth, size):
    also issue templates' front matter and forms. Raises ``yaml.YAMLError`` or
    :class:`CardTooLarge`."""
    return _load(text)


def front_matter(text: str) -> str | None:
    """The YAML between the leading ``---`` lines, or None if the README has none."""
    match = _FRONT_MATTER.match(text)
    return match.group(1) if match else None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    if isinstance(value, dict):
        return []
    return [str(value)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def parse_yaml(text: str, repo_type: str = "model") -> Card:
    """Parse card metadata (the YAML itself, without the ``---`` fences)."""
    card = Card()
    if len(text.encode("utf-8", "replace")) > MAX_CARD_BYTES:
        card.errors.append("The README metadata is larger than 1 MiB")
        return card
    try:
        data = _load(text)
    except CardTooLarge as exc:
        log.warning("card metadata refused: %s", exc)
        card.errors.append(f"The README metadata is refused: {exc}")
        return card
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        card.errors.append(f"Invalid YAML in the README metadata{where}: {problem}")
        return card
    except (ValueError, TypeError, RecursionError) as exc:
        card.errors.append(f"Invalid YAML in the README metadata: {exc}")
        return card
    if data is None:
        return card
    if not isinstance(data, dict):
        card.errors.append("The README metadata must be a YAML mapping (key: value)")
        return card
    try:
        card.data = _jsonable(data)
        stored = len(json.dumps(card.data, ensure_ascii=False).encode())
    except (ValueError, TypeError, RecursionError) as exc:
        card.data = {}
        card.errors.append(f"Invalid YAML in the README metadata: {exc}")
        return card
    if stored > MAX_CARD_JSON:
        card.data = {}
        log.warning("card metadata refused: %d bytes of JSON", stored)
        card.errors.append(
            f"The README metadata is refused: more than {MAX_CARD_JSON // 1024} KiB as JSON"
        )
        return card
    card.tags = derive_tags(card.data, repo_type, card.warnings)
    return card


def parse_readme(text: str, repo_type: str = "model") -> Card:
    """Parse a README's front matter; a README without one is an empty, valid card."""
    yaml_text = front_matter(text)
    if yaml_text is None:
        return Card()
    return parse_yaml(yaml_text, repo_type)


NO_METADATA = "empty or missing yaml metadata in repo card"


def validate_readme(text: str, repo_type: str = "model") -> Card:
    """:func:`parse_readme` plus the Hub's checks of ``validate-yaml``: a README without
    metadata is a warning; a ``model-index`` that is not a list of ``{name, results: [...]}``
    is an error (the client then refuses the commit)."""
    card = parse_readme(text, repo_type)
    if card.errors:
        return card
    if not card.data:
        card.warnings.append(NO_METADATA)
        return card
    if "model-index" in card.data:
        card.errors.extend(_model_index_errors(card.data["model-index"]))
    return card


def _model_index_errors(value: Any) -> list[str]:
    if not isinstance(value, list):
        return ['"model-index" must be an array']
    errors = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            errors.append(f'"model-index[{i}]" must be an object')
            continue
        if not isinstance(entry.get("name"), str):
            errors.append(f'"model-index[{i}].name" is required and must be a string')
        results = entry.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            errors.append(f'"model-index[{i}].results" must be an array of objects')
    return errors


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter as a mapping, the Markdown after it): for readers that need the
    metadata but not the author-facing errors or the tags. Invalid metadata reads as {}."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    return parse_yaml(match.group(1)).data, text[match.end() :]


def front_matter_data(text: str) -> dict[str, Any]:
    """A README's front matter as a mapping ({} when absent or invalid)."""
    return split_front_matter(text)[0]


_card_cache: OrderedDict[tuple[str, str], Card] = OrderedDict()
_card_lock = threading.Lock()


def card_at(repo: Repository, sha: str | None) -> Card:
    """The card README.md at ``sha`` declares (cached by README blob id)."""
    if sha is None:
        return Card()
    entry = read.entry_at(repo.git_path, sha, "README.md")
    if entry is None or entry.type != "blob":
        return Card()
    key = (entry.oid, repo.type)
    with _card_lock:
        if key in _card_cache:
            _card_cache.move_to_end(key)
            return _card_cache[key]
    data = read.read_blob(repo.git_path, entry.oid, limit=MAX_CARD_BYTES + 4096)
    card = parse_readme(data.decode("utf-8", "replace"), repo.type)
    with _card_lock:
        _card_cache[key] = card
        if len(_card_cache) > 4096:
            _card_cache.popitem(last=False)
    return card


def hardware_tags(data: dict[str, Any], warnings: list[str]) -> list[str]:
    tags = []
    for raw in _as_list(data.get("hardware")):
        name = _ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if name in HARDWARE:
            tags.append(f"hardware:{name}")
        else:
            warnings.append(f"Unknown hardware {raw!r}; known: {', '.join(sorted(HARDWARE))}")
    return tags


def derive_tags(data: dict[str, Any], repo_type: str, warnings: list[str]) -> list[str]:
    """The Hub-style tags a card implies (order kept, duplicates dropped)."""
    tags: list[str] = []
    tags += _as_list(data.get("tags"))
    if repo_type == "dataset":
        for key in (
            "task_categories",
            "task_ids",
            "size_categories",
            "language",
            "multilinguality",
            "source_datasets",
            "annotations_creators",
            "language_creators",
            "modality",
            "format",
        ):
            tags += [f"{key}:{v}" for v in _as_list(data.get(key))]
    else:
        tags += _as_list(data.get("library_name"))
        tags += _as_list(data.get("pipeline_tag"))
        tags += _as_list(data.get("language"))
        tags += [f"dataset:{v}" for v in _as_list(data.get("datasets"))]
        tags += [f"base_model:{v}" for v in _as_list(data.get("base_model"))]
    tags += [f"license:{v}" for v in _as_list(data.get("license"))]
    tags += hardware_tags(data, warnings)
    seen: set[str] = set()
    unique = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in seen and len(tag) <= 200:
            seen.add(tag)
            unique.append(tag)
    return unique


def tag_matches(tags: list[str], wanted: str) -> bool:
    """Whether a repository with ``tags`` matches one ``filter=`` value.

    ``library:x`` and ``language:x`` also match the bare ``x`` models carry, as on the Hub.
    """
    if wanted in tags:
        return True
    kind, sep, value = wanted.partition(":")
    if sep and kind in {"library", "language", "pipeline_tag"}:
        return value in tags
    return False
