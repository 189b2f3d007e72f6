"""The issue and pull-request list's extra filters: assignee, review state and a search in
titles and bodies (Chinese included: a plain case-insensitive substring match, which needs
no word segmentation and stays on the (repository, kind, state, number) index's rows)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from nbopen.collab.models import Comment, Review, Thread

REVIEW_STATES = ("none", "approved", "changes_requested")


def refine(
    qs: QuerySet[Thread],
    *,
    assignee: str | None = None,
    review: str | None = None,
    query: str | None = None,
) -> QuerySet[Thread]:
    """``qs`` narrowed by assignee (user name), review state (the latest approving or
    change-requesting review decides; "none": no such review yet) and search text."""
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
    text = (query or "").strip()[:100]
    if text:
        bodies = Comment.objects.filter(thread=OuterRef("pk"), opening=True, body__icontains=text)
        qs = qs.filter(Q(title__icontains=text) | Exists(bodies))
    return qs
