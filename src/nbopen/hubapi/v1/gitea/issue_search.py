"""Gitea's ``GET /api/v1/repos/issues/search``: issues and pull requests of every repository
the caller may read, answered by thread search (:mod:`nbopen.search.thread_search`: Chinese
segmented, pinyin understood, privacy inside its SQL).

``q``, ``state`` (open / closed / all), ``type`` (issues / pulls), ``page`` and ``limit`` as
Gitea has them; the answer is Gitea's list of ``Issue`` objects, each with its
``repository``, and ``X-Total-Count`` / ``Link`` headers. A very broad query counts and
pages its newest 1,000 visible matches (the search service's window).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse

from nbopen.access.credentials import principal_from_request
from nbopen.collab.models import Thread
from nbopen.core.errors import InvalidInput
from nbopen.hubapi.v1.gitea import shapes
from nbopen.hubapi.v1.gitea.common import gitea_view, int_param, paginate
from nbopen.search.thread_search import MAX_LIMIT, WINDOW, search_threads


@gitea_view
def issues_search(request: HttpRequest) -> HttpResponse:
    """Search issues and pull requests across repositories (Gitea's shape)."""
    state = request.GET.get("state", "open") or "open"
    kind = request.GET.get("type", "")
    page = int_param(request, "page", 1, 1, 1_000_000)
    limit = int_param(request, "limit", 30, 1, MAX_LIMIT)
    if page > WINDOW:
        raise InvalidInput(f"page must be between 1 and {WINDOW}")
    result = search_threads(
        principal=principal_from_request(request),
        q=request.GET.get("q", ""),
        state=state,
        type=kind,
        page=page,
        limit=limit,
    )
    ids = [t.pk for t in result.threads]
    found = (
        Thread.objects.filter(pk__in=ids)
        .select_related("repository__owner", "author")
        .prefetch_related("labels", "assignees", "comments")
        .annotate(n=Count("comments", filter=Q(comments__opening=False)))
        .in_bulk()
    )
    rows = [found[i] for i in ids if i in found]

    def shape(thread: Thread) -> object:
        opening = next((c.body for c in thread.comments.all() if c.opening), "")
        return shapes.issue(thread, opening, getattr(thread, "n", 0), list(thread.labels.all()))

    return paginate(request, rows, shape, total=result.total)
