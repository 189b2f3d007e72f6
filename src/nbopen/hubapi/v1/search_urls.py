"""URLs of the search endpoint, included under ``api/v1/`` by ``nbopen.hubapi.urls``."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1.search import code_search_view, search_view

INT = {"type": "integer", "minimum": 1}

urlpatterns = [
    route(
        "search",
        search_view,
        summary="Search repositories, organizations and users the caller may see",
        tag="search",
        query=(
            Param("q", "the query (Chinese segmented, spelling-corrected)"),
            Param("type", "model, dataset, code, org or user; repeatable"),
            Param("sort", "relevance (default), trending, likes, downloads, updated, created"),
            Param("page", schema=INT),
            Param("per_page", schema=INT),
            Param("facets", "0 to skip facet counts"),
            Param("license", "filter; also tags, task, language, owner, org_kind, …"),
        ),
        responses={200: s.SEARCH},
        name="api-v1-search",
    ),
    route(
        "search/code",
        code_search_view,
        summary="Search the text of default-branch files in repositories the caller may read",
        tag="search",
        query=(
            Param("q", "the query (identifiers, Chinese words, pinyin of Chinese words)"),
            Param("repo", "only this repository, owner/name"),
            Param("owner", "only repositories of this user or organization"),
            Param("language", "only files of this language (from the extension), e.g. python"),
            Param("page", schema=INT),
            Param("limit", schema={"type": "integer", "minimum": 1, "maximum": 50}),
        ),
        responses={200: s.CODE_SEARCH},
        name="api-v1-search-code",
    ),
]
