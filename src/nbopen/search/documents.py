"""What a repository, organization or user looks like to the index.

Sources for a repository: its name, owner, description, tags, card metadata and README text
at the default branch. Card metadata is ``Repository.card_data`` when the Hub has filled it,
otherwise the README's YAML front matter, parsed here the same way.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from nbopen.accounts.models import User
from nbopen.orgs.models import Organization
from nbopen.repos import cards
from nbopen.repos.git import read
from nbopen.repos.git.bare import GitError
from nbopen.repos.models import Repository
from nbopen.search.analysis import name_terms, pinyin_terms, surface_words, terms

README_NAMES = ("readme.md", "readme.markdown", "readme.txt", "readme", "readme_zh.md")
README_LIMIT = 256 * 1024
MAX_BODY_TERMS = 20_000
DESCRIPTION_SHOWN = 500

# Domestic accelerators (and the usual baselines) recognised among tags as the hardware facet.
HARDWARE = frozenset(
    {
        "ascend",
        "cambricon",
        "hygon-dcu",
        "hygon",
        "kunlunxin",
        "metax",
        "moore-threads",
        "iluvatar",
        "enflame",
        "biren",
        "cuda",
        "rocm",
        "cpu",
        "npu",
    }
)
FACET_FIELDS = (
    "type",
    "domain",
    "task",
    "license",
    "language",
    "hardware",
    "library",
    "org_kind",
    "owner",
    "tag",
)


@dataclass
class DocData:
    """A document ready to be written: display fields, analysed fields, facets, signals."""

    kind: str
    doc_type: str
    key: str
    title: str
    description: str
    owner_name: str
    fields: tuple[list[str], list[str], list[str], list[str]]
    facets: set[tuple[str, str]] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    likes: int = 0
    downloads: int = 0
    updated_at: datetime | None = None
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _strings(value: Any) -> list[str]:
    """A card value that may be a string, a list of strings, or missing."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if isinstance(v, str | int | float) and str(v).strip()]


def readme_text(repo: Repository) -> str:
    """README at the default branch, or "" (never pushed, empty, missing, unreadable)."""
    if repo.pushed_at is None:
        return ""
    path = repo.git_path
    try:
        sha = read.resolve(path, repo.default_branch)
        if sha is None:
            return ""
        entries = {e.path.lower(): e for e in read.ls_tree(path, sha) if e.type == "blob"}
        for name in README_NAMES:
            entry = entries.get(name)
            if entry is not None:
                blob = read.read_blob(path, entry.oid, limit=README_LIMIT)
                return blob.decode("utf-8", errors="replace")
    except (GitError, OSError) as exc:
        logging.getLogger(__name__).warning("README of %s unreadable: %s", repo.pk, exc)
    return ""


def _lower_set(values: list[str]) -> list[str]:
    return sorted({v.strip().lower()[:128] for v in values if v and v.strip()})


def static_rank(*, likes: int, downloads: int, updated_at: datetime | None) -> float:
    """Query-independent quality in [0, 1]: 60 % popularity, 40 % freshness.

    popularity = log(1 + likes + downloads/20) / log(1001), capped at 1 (a thousand likes is
    "as popular as it gets"); freshness halves every 90 days since the last update.
    """
    popularity = min(1.0, math.log1p(likes + downloads / 20) / math.log(1001))
    freshness = 0.0
    if updated_at is not None:
        age_days = max(0.0, (timezone.now() - updated_at).total_seconds() / 86400)
        freshness = 0.5 ** (age_days / 90)
    return 0.6 * popularity + 0.4 * freshness


def repository_doc(repo: Repository, *, readme: str | None = None) -> DocData:
    owner = repo.owner
    org = owner.organization if owner.organization_id else None
    text = readme_text(repo) if readme is None else readme
    front, body = cards.split_front_matter(text)
    card: dict[str, Any] = dict(front)
    card.update(repo.card_data or {})
    tags = _strings(repo.tags) + _strings(card.get("tags"))
    tasks = (
        _strings(card.get("pipeline_tag"))
        + _strings(card.get("task"))
        + _strings(card.get("task_categories"))
    )
    licenses = _strings(repo.license) or _strings(card.get("license"))
    languages = _strings(card.get("language"))
    libraries = _strings(card.get("library_name"))
    hardware = _strings(card.get("hardware")) + [t for t in tags if t.lower() in HARDWARE]
    domains = _strings(card.get("domain")) + [
        t.split(":", 1)[1] for t in tags if t.lower().startswith("domain:")
    ]
    facets = {("type", repo.type), ("owner", owner.name.lower())}
    if org is not None:
        facets.add(("org_kind", org.kind))
    for name, values in (
        ("task", tasks),
        ("license", licenses),
        ("language", languages),
        ("library", libraries),
        ("hardware", hardware),
        ("domain", domains),
        ("tag", tags),
    ):
        facets.update((name, v) for v in _lower_set(values))
    meta_sources = [
        owner.name,
        org.display_name if org is not None else "",
        *tags,
        *tasks,
        *libraries,
        *domains,
        *_strings(card.get("datasets")),
        *_strings(card.get("base_model")),
        *_strings(card.get("pretty_name")),
    ]
    meta = name_terms(owner.name) + terms(" ".join(meta_sources[1:]))
    # Pinyin of the Chinese words a repository names itself by (name, description, pretty
    # name): ``gangkou`` finds 港口. Not the owner's: "ningbo" would then match every
    # repository of 宁波大学. Weighted as README text, so literal matches rank first.
    spelled = pinyin_terms(
        " ".join([repo.name, repo.description, *_strings(card.get("pretty_name"))])
    )
    updated = repo.pushed_at or repo.updated_at
    return DocData(
        kind="repo",
        doc_type=repo.type,
        key=repo.full_name,
        title=repo.full_name,
        description=repo.description[:DESCRIPTION_SHOWN],
        owner_name=owner.name,
        fields=(
            name_terms(repo.name),
            meta,
            terms(repo.description),
            spelled + terms(body)[: MAX_BODY_TERMS - len(spelled)],
        ),
        facets=facets,
        words=surface_words(" ".join([repo.name, repo.description, *meta_sources, body])),
        updated_at=updated,
        created_at=repo.created_at,
        extra={
            "repository_id": repo.pk,
            "name": repo.name,
            "owner": owner.name,
            "tags": sorted(set(tags))[:20],
            "license": licenses[0].lower() if licenses else "",
            "task": tasks[0].lower() if tasks else "",
            "private": repo.private,
        },
    )


def organization_doc(org: Organization) -> DocData:
    meta = [t for s in [org.region, *_strings(org.industry_tags)] for t in terms(s)]
    return DocData(
        kind="org",
        doc_type="org",
        key=org.name,
        title=org.display_name or org.name,
        description=org.description[:DESCRIPTION_SHOWN],
        owner_name=org.name,
        fields=(
            name_terms(org.name) + terms(org.display_name) + pinyin_terms(org.display_name),
            meta,
            terms(org.description),
            [],
        ),
        facets={("type", "org"), ("org_kind", org.kind), ("owner", org.name.lower())},
        words=surface_words(f"{org.name} {org.display_name} {org.description}"),
        updated_at=org.created_at,
        created_at=org.created_at,
        extra={"name": org.name, "kind": org.kind, "verified": org.verified},
    )


def user_doc(user: User) -> DocData:
    return DocData(
        kind="user",
        doc_type="user",
        key=user.username,
        title=user.display_name or user.username,
        description=user.bio[:DESCRIPTION_SHOWN],
        owner_name=user.username,
        fields=(name_terms(user.username) + terms(user.display_name), [], terms(user.bio), []),
        facets={("type", "user"), ("owner", user.username.lower())},
        words=surface_words(f"{user.username} {user.display_name} {user.bio}"),
        updated_at=user.date_joined,
        created_at=user.date_joined,
        extra={"name": user.username},
    )
