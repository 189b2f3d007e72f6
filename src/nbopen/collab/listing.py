"""The issue and pull-request list's extra filters: assignee, review state and a search in
titles, descriptions and comments.

The search is thread search's index (:mod:`nbopen.search.thread_search`): jieba words and
their pinyin, intersected with the repository's token inside FTS5 / the GIN index, so a
Chinese query on a 50,000-issue repository reads its matches only. A substring ``LIKE``
over titles and bodies read every row of the repository (p95 126 ms at 50,000 issues,
bench/collab.py)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from nbopen.collab.models import Review, Thread
from nbopen.search.thread_search import repository_filter

REVIEW_STATES = ("none", "approved", "changes_requested")


def refine(
    qs: QuerySet[Thread],
    *,
    assignee: str | None = None,
    review: str | None = None,
    query: str | None = None,
    repository_id: int | None = None,
) -> QuerySet[Thread]:
    """``qs`` narrowed by assignee (user name), review state (the latest approving or
    change-requesting review decides; "none": no such review yet) and search text (words of
    the title, description or comments; ``repository_id``: the repository ``qs`` lists, which
    the search is confined to inside the index). With search text the threads come newest
    first (pinned ones are not lifted above the matches, as on GitHub's search)."""
    if assignee:
        qs = qs.filter(assignees__username__iexact=assignee)
    if review in REVIEW_STATES:
        decisive = Review.objects.filter(thread=OuterRef("pk")).exclude(
            state=Review.State.COMMENTED
        )
        if review == "none":
            qs = qs.filter(kind=Thread.Kind.PULL).exclude(Exists(decisive))
        else:
            latest = Subquery(decisive.order_by("-pk").values("state")[:1])
            qs = qs.annotate(review_state=latest).filter(review_state=review)
    text = (query or "").strip()
    if text:
        found = repository_filter(repository_id, text) if repository_id is not None else None
        if found is None:
            return qs.none()  # nothing searchable in the text (or no repository given)
        qs = qs.extra(  # noqa: S610 (fixed SQL, values bound)
            tables=found.tables, where=found.where, params=found.params, order_by=found.order_by
        )
    return qs
