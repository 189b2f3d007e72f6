"""``GET /api/{models,datasets}/{repo}[/revision/{rev}]`` and ``GET /api/{models,datasets}``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import visible_repositories
from nbopen.config.env import CONFIG
from nbopen.core.errors import InvalidInput
from nbopen.hubapi.errors import api_error
from nbopen.mirrors.status import mirror_status
from nbopen.repos import cards
from nbopen.repos import downloads as download_counts
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.repos.writes import after_update
from nbopen.scanning import services as scanning
from nbopen.search.services import listing, trending_scores

from . import content, stats
from .common import (
    TYPE_FROM_PLURAL,
    iso,
    load_repo,
    query_flag,
    resolve_rev,
    revision_not_found,
)

# The Hub's sort keys (huggingface_hub sends lastModified, createdAt, trendingScore for its
# last_modified, created_at, trending_score) → the search service's sorts.
SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "lastModified": "updated",
    "last_modified": "updated",
    "createdAt": "created",
    "created_at": "created",
    "trendingScore": "trending",
    "trending_score": "trending",
    "trending": "trending",
    "id": "name",
}
MAX_PAGE = 1000
FULL_PAGE = 100
# What ``expand=`` may ask for (huggingface_hub 2.4.0's ExpandModelProperty_T and
# ExpandDatasetProperty_T); anything else is a 400, as on the Hub. Properties NBopen has no
# data for (gguf, safetensors, spaces, inference, …) are accepted and left out.
EXPAND: dict[str, frozenset[str]] = {
    Repository.Type.MODEL: frozenset(
        [
            "author",
            "baseModels",
            "cardData",
            "childrenModelCount",
            "config",
            "createdAt",
            "disabled",
            "downloads",
            "downloadsAllTime",
            "evalResults",
            "gated",
            "gguf",
            "inference",
            "inferenceProviderMapping",
            "lastModified",
            "library_name",
            "likes",
            "mask_token",
            "model-index",
            "pipeline_tag",
            "private",
            "resourceGroup",
            "safetensors",
            "sha",
            "siblings",
            "spaces",
            "tags",
            "transformersInfo",
            "trendingScore",
            "usedStorage",
            "widgetData",
        ]
    ),
    Repository.Type.DATASET: frozenset(
        [
            "author",
            "cardData",
            "citation",
            "createdAt",
            "description",
            "disabled",
            "downloads",
            "downloadsAllTime",
            "gated",
            "lastModified",
            "likes",
            "mainSize",
            "paperswithcode_id",
            "private",
            "resourceGroup",
            "sha",
            "siblings",
            "tags",
            "trendingScore",
            "usedStorage",
        ]
    ),
}
CONFIG_LIMIT = 1 << 20
# What the Hub's ``config`` holds from a model's config.json and tokenizer_config.json.
CONFIG_KEYS = ("architectures", "model_type", "quantization_config", "task_specific_params")
TOKENIZER_KEYS = ("bos_token", "eos_token", "unk_token", "pad_token", "chat_template")


def expand_of(request: HttpRequest, repo_type: str) -> list[str] | JsonResponse:
    """The ``expand`` properties asked for, or the Hub's 400 for one it does not know."""
    expand = request.GET.getlist("expand") + request.GET.getlist("expand[]")
    allowed = EXPAND.get(repo_type, frozenset())
    unknown = [e for e in expand if e not in allowed]
    if unknown:
        return api_error(
            400,
            f'"expand" must be one of {", ".join(sorted(allowed))}; got {unknown[0]!r}',
            "BadRequest",
        )
    return expand


def _json_file(repo: Repository, sha: str, path: str) -> dict[str, Any] | None:
    entry = read.entry_at(repo.git_path, sha, path)
    if entry is None or entry.type != "blob" or (entry.size or 0) > CONFIG_LIMIT:
        return None
    try:
        value = json.loads(read.read_blob(repo.git_path, entry.oid, limit=CONFIG_LIMIT))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def model_config(repo: Repository, sha: str | None) -> dict[str, Any] | None:
    """The Hub's ``config`` of a model: parts of its config.json (and tokenizer_config.json)."""
    if sha is None or repo.type != Repository.Type.MODEL:
        return None
    raw = _json_file(repo, sha, "config.json")
    if raw is None:
        return None
    config = {k: raw[k] for k in CONFIG_KEYS if k in raw}
    tokenizer = _json_file(repo, sha, "tokenizer_config.json")
    if tokenizer is not None:
        config["tokenizer_config"] = {k: tokenizer[k] for k in TOKENIZER_KEYS if k in tokenizer}
    return config


def base_info(
    repo: Repository, *, downloads: int, likes: int, card: cards.Card | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "_id": str(repo.pk),
        "id": repo.full_name,
        "author": repo.owner.name,
        "private": repo.private,
        "gated": repo.gated or False,
        "disabled": False,
        "downloads": downloads,
        "likes": likes,
        "tags": list(card.tags if card is not None else repo.tags),
        "createdAt": iso(repo.created_at),
        "lastModified": iso(repo.pushed_at or repo.updated_at),
    }
    card_data = card.data if card is not None else repo.card_data
    if repo.type == Repository.Type.MODEL:
        data["modelId"] = repo.full_name
        if isinstance(card_data.get("library_name"), str):
            data["library_name"] = card_data["library_name"]
        if isinstance(card_data.get("pipeline_tag"), str):
            data["pipeline_tag"] = card_data["pipeline_tag"]
    else:
        data["description"] = repo.description
        data["citation"] = card_data.get("citation") if isinstance(card_data, dict) else None
    return data


def repo_info(
    request: HttpRequest, type_plural: str, owner: str, name: str, rev: str | None = None
) -> HttpResponse:
    expand = expand_of(request, TYPE_FROM_PLURAL.get(type_plural, ""))
    if isinstance(expand, JsonResponse):
        return expand
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo = ctx.repo
    sha = resolve_rev(repo, rev or repo.default_branch)
    if sha is None and (rev is not None or not read.is_empty(repo.git_path)):
        return revision_not_found(rev or repo.default_branch)
    card = cards.card_at(repo, sha)
    if sha is not None and (rev is None or rev == repo.default_branch):
        # Repairs the database copy of a card written before the card rules changed.
        after_update.sync_card(repo, card)
    data = base_info(
        repo,
        downloads=download_counts.downloads([repo.pk]).get(repo.pk, 0),
        likes=stats.likes([repo.pk]).get(repo.pk, 0),
        card=card,
    )
    data["sha"] = sha
    if sha is not None:
        commit = read.commit(repo.git_path, sha)
        if commit is not None:
            data["lastModified"] = iso(commit.committed_at)
    data["cardData"] = card.data
    data["siblings"] = (
        content.siblings(repo, sha, blobs=query_flag(request, "blobs")) if sha else []
    )
    if sha is None:
        data.pop("sha")
    data["usedStorage"] = sum(s.get("size", 0) for s in data["siblings"])
    config = model_config(repo, sha)
    if config is not None:
        data["config"] = config
    if "downloadsAllTime" in expand:
        data["downloadsAllTime"] = download_counts.downloads_all_time([repo.pk]).get(repo.pk, 0)
    if "trendingScore" in expand:
        data["trendingScore"] = trending_scores([repo.pk]).get(repo.pk, 0)
    if sha is not None and query_flag(request, "securityStatus"):
        data["securityRepoStatus"] = scanning.repo_status(repo, sha)
    mirrored = mirror_status(repo)
    if mirrored is not None:
        data["mirror"] = mirrored  # NBopen's own key: where the copy comes from, how fresh
    if expand:
        wanted = set(expand) | {"id", "_id"}
        data = {k: v for k, v in data.items() if k in wanted}
    return JsonResponse(data)


# Hub filter prefixes that name one of the search index's facets.
FACET_OF_PREFIX = {
    "license": "license",
    "hardware": "hardware",
    "pipeline_tag": "task",
    "task_categories": "task",
    "task": "task",
    "library": "library",
    "language": "language",
    "domain": "domain",
}
# On the Hub a model carries its library, task and languages also as bare tags.
BARE_ON_MODELS = ("library", "task", "language")
MAX_FILTERS = 20


def filter_condition(value: str, repo_type: str) -> list[tuple[str, str]]:
    """One ``filter=`` value as alternatives over the index's facets (any one must hold).

    ``license:mit`` matches the tag itself or the licence facet; ``library:x``,
    ``language:x`` and ``pipeline_tag:x`` also match a bare ``x`` tag; a bare ``x`` on a
    model also matches its library, task or language, as the Hub's derived tags do.
    """
    wanted = value.strip().lower()[:128]
    kind, sep, rest = wanted.partition(":")
    alternatives = [("tag", wanted)]
    if sep and rest:
        if kind in FACET_OF_PREFIX:
            alternatives.append((FACET_OF_PREFIX[kind], rest))
        if kind in {"library", "language", "pipeline_tag"}:
            alternatives.append(("tag", rest))
    elif repo_type == Repository.Type.MODEL:
        alternatives += [(field, wanted) for field in BARE_ON_MODELS]
    return alternatives


def _conditions(request: HttpRequest, repo_type: str) -> list[list[tuple[str, str]]]:
    values = [v for raw in request.GET.getlist("filter") for v in raw.split(",") if v.strip()]
    for key in ("pipeline_tag", "library", "language"):
        wanted_value = request.GET.get(key)
        if wanted_value:
            values.append(f"{key}:{wanted_value}")
    if len(values) > MAX_FILTERS:
        raise InvalidInput(f"At most {MAX_FILTERS} filter values")
    return [filter_condition(v, repo_type) for v in values]


def list_repos(request: HttpRequest, type_plural: str) -> HttpResponse:
    """The Hub's listing, answered by the search service (privacy inside its SQL).

    ``search`` words must all match (names, description, card; the last word as a prefix);
    ``filter`` values must all hold; ``author``; ``sort`` by downloads, likes, lastModified
    (the default), createdAt, trendingScore or id; ``direction=1`` ascending; offset cursor
    and an absolute ``Link: rel="next"`` header.
    """
    principal = principal_from_request(request)  # bad credentials: 401 from the route
    repo_type = TYPE_FROM_PLURAL.get(type_plural)
    if repo_type is None:
        return api_error(404, "Unknown repository type")
    expand = expand_of(request, repo_type)
    if isinstance(expand, JsonResponse):
        return expand
    try:
        limit = int(request.GET.get("limit") or 0)
        offset = max(0, int(request.GET.get("cursor") or 0))
    except ValueError:
        return api_error(400, "limit and cursor must be integers")
    full = query_flag(request, "full")
    page_size = min(limit or MAX_PAGE, FULL_PAGE if (full or expand) else MAX_PAGE)
    if limit < 0 or page_size < 1:
        return api_error(400, "limit must be positive")
    sort = SORT_KEYS.get(request.GET.get("sort", ""), "updated")
    author = request.GET.get("author")
    try:
        hits, more = listing(
            principal=principal,
            q=" ".join(request.GET.getlist("search")),
            types=[repo_type],
            filters={"owner": [author]} if author else None,
            all_of=_conditions(request, repo_type),
            sort=sort,
            descending=not (sort == "name" or request.GET.get("direction") == "1"),
            offset=offset,
            limit=page_size,
        )
    except InvalidInput as exc:
        return api_error(400, str(exc), "BadRequest")
    found = visible_repositories(principal).in_bulk(
        [int(h.extra["repository_id"]) for h in hits if h.extra.get("repository_id")]
    )
    repos = [found[i] for h in hits if (i := int(h.extra.get("repository_id") or 0)) in found]
    ids = [r.pk for r in repos]
    downloads, likes = download_counts.downloads(ids), stats.likes(ids)
    all_time = download_counts.downloads_all_time(ids) if "downloadsAllTime" in expand else {}
    trending = {int(h.extra.get("repository_id") or 0): round(h.trending, 4) for h in hits}
    with_card = query_flag(request, "cardData") or full
    with_config = query_flag(request, "config") or full or "config" in expand
    items = []
    for repo in repos:
        data = base_info(
            repo, downloads=downloads.get(repo.pk, 0), likes=likes.get(repo.pk, 0), card=None
        )
        data["trendingScore"] = trending.get(repo.pk, 0)
        if "downloadsAllTime" in expand:
            data["downloadsAllTime"] = all_time.get(repo.pk, 0)
        if with_config and repo.type == Repository.Type.MODEL:
            config = model_config(repo, resolve_rev(repo, repo.default_branch))
            if config is not None:
                data["config"] = config
        if with_card or "cardData" in expand:
            data["cardData"] = repo.card_data
        if full or "siblings" in expand or "sha" in expand:
            sha = resolve_rev(repo, repo.default_branch)
            if sha is not None:
                data["sha"] = sha
                if full or "siblings" in expand:
                    data["siblings"] = content.siblings(repo, sha, blobs=False)
        if expand:
            wanted = set(expand) | {"id", "_id"}
            data = {k: v for k, v in data.items() if k in wanted}
        items.append(data)
    response = JsonResponse(items, safe=False)
    if more:
        params = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k != "cursor"]
        params.append(("cursor", str(offset + page_size)))
        next_url = f"{CONFIG.public_url}{request.path}?{urlencode(params)}"
        response["Link"] = f'<{next_url}>; rel="next"'
    return response
