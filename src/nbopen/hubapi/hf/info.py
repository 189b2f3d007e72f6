"""``GET /api/{models,datasets}/{repo}[/revision/{rev}]`` and ``GET /api/{models,datasets}``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.policy import visible_repositories
from nbopen.config.env import CONFIG
from nbopen.hubapi.errors import api_error
from nbopen.repos import cards
from nbopen.repos.git import read
from nbopen.repos.models import Repository

from . import content, stats
from .common import (
    TYPE_FROM_PLURAL,
    iso,
    load_repo,
    principal_or_error,
    query_flag,
    resolve_rev,
    revision_not_found,
)

SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "trendingScore": "likes",
    "trending_score": "likes",
    "id": "id",
}
MAX_PAGE = 1000
FULL_PAGE = 100


def base_info(
    repo: Repository, *, downloads: int, likes: int, card: cards.Card | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "_id": str(repo.pk),
        "id": repo.full_name,
        "author": repo.owner.name,
        "private": repo.private,
        "gated": False,
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
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo = ctx.repo
    sha = resolve_rev(repo, rev or repo.default_branch)
    if sha is None and (rev is not None or not read.is_empty(repo.git_path)):
        return revision_not_found(rev or repo.default_branch)
    card = content.card_at(repo, sha)
    if sha is not None and (rev is None or rev == repo.default_branch):
        content.sync_card(repo, card)
    data = base_info(
        repo,
        downloads=stats.downloads([repo.pk]).get(repo.pk, 0),
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
    expand = request.GET.getlist("expand") + request.GET.getlist("expand[]")
    if expand:
        wanted = set(expand) | {"id", "_id"}
        data = {k: v for k, v in data.items() if k in wanted}
    return JsonResponse(data)


def _matches(repo: Repository, request: HttpRequest) -> bool:
    searches = [s.lower() for s in request.GET.getlist("search") if s]
    full = repo.full_name.lower()
    if any(s not in full for s in searches):
        return False
    tags = list(repo.tags or [])
    for wanted in request.GET.getlist("filter"):
        for value in wanted.split(","):
            if value and not cards.tag_matches(tags, value.strip()):
                return False
    for key in ("pipeline_tag", "library", "language"):
        wanted_value = request.GET.get(key)
        if wanted_value and not cards.tag_matches(tags, f"{key}:{wanted_value}"):
            return False
    return True


def list_repos(request: HttpRequest, type_plural: str) -> HttpResponse:
    principal = principal_or_error(request)
    if isinstance(principal, JsonResponse):
        return principal
    repo_type = TYPE_FROM_PLURAL.get(type_plural)
    if repo_type is None:
        return api_error(404, "Unknown repository type")
    qs = visible_repositories(principal).filter(type=repo_type)
    author = request.GET.get("author")
    if author:
        qs = qs.filter(owner__name_lower=author.lower())
    repos = [r for r in qs if _matches(r, request)]
    ids = [r.pk for r in repos]
    downloads, likes = stats.downloads(ids), stats.likes(ids)
    sort = SORT_KEYS.get(request.GET.get("sort", ""), "lastModified")

    def key(repo: Repository) -> tuple[Any, int]:
        value: Any = {
            "downloads": downloads.get(repo.pk, 0),
            "likes": likes.get(repo.pk, 0),
            "lastModified": (repo.pushed_at or repo.updated_at).timestamp(),
            "createdAt": repo.created_at.timestamp(),
            "id": repo.full_name.lower(),
        }[sort]
        return value, repo.pk

    ascending = sort == "id" or request.GET.get("direction") == "1"
    repos.sort(key=key, reverse=not ascending)
    full = query_flag(request, "full")
    with_card = query_flag(request, "cardData") or full
    expand = request.GET.getlist("expand") + request.GET.getlist("expand[]")
    try:
        limit = int(request.GET.get("limit") or 0)
        offset = max(0, int(request.GET.get("cursor") or 0))
    except ValueError:
        return api_error(400, "limit and cursor must be integers")
    page_size = min(limit or MAX_PAGE, FULL_PAGE if (full or expand) else MAX_PAGE)
    page = repos[offset : offset + page_size]
    items = []
    for repo in page:
        data = base_info(
            repo, downloads=downloads.get(repo.pk, 0), likes=likes.get(repo.pk, 0), card=None
        )
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
    if offset + page_size < len(repos):
        params = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k != "cursor"]
        params.append(("cursor", str(offset + page_size)))
        next_url = f"{CONFIG.public_url}{request.path}?{urlencode(params)}"
        response["Link"] = f'<{next_url}>; rel="next"'
    return response
