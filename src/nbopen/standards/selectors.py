"""Reads of the standards registry, with visibility in one place.

A standard is seen only by those who may read its repository; a draft only by the committee
organization's members (and operators). Implementers are listed only where the reader may
read the implementing repository; the comment counts come from the repository's issues.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal, is_operator, visible_repositories
from nbopen.collab.models import Comment, Thread
from nbopen.core.errors import NotFound
from nbopen.repos.git import read as gitread
from nbopen.standards.models import Implementation, Standard


def visible_standards(principal: Principal) -> QuerySet[Standard]:
    qs = Standard.objects.select_related("committee", "repository__owner").filter(
        repository__in=visible_repositories(principal)
    )
    if is_operator(principal) or principal.is_site_admin:
        return qs
    mine = list(principal.org_roles()) if principal.is_authenticated else []
    return qs.filter(~Q(status=Standard.Status.DRAFT) | Q(committee_id__in=mine))


def standard_get(principal: Principal, slug: str) -> Standard:
    standard = visible_standards(principal).filter(slug=slug).first()
    if standard is None:
        raise NotFound(gettext_noop("Standard not found"))
    return standard


def implementations(principal: Principal, standard: Standard) -> list[Implementation]:
    return list(
        standard.implementations.select_related("repository__owner")
        .filter(repository__in=visible_repositories(principal))
        .order_by("version", "repository__owner__name", "repository__name")
    )


@dataclass(frozen=True)
class CommentCounts:
    open_threads: int
    closed_threads: int
    open_comments: int
    closed_comments: int

    def as_json(self) -> dict[str, int]:
        return {
            "open_threads": self.open_threads,
            "closed_threads": self.closed_threads,
            "open_comments": self.open_comments,
            "closed_comments": self.closed_comments,
        }


def comment_counts(standard: Standard) -> CommentCounts:
    """The public comment period is the repository's issue threads: how many are open or
    closed, and how many comments (besides the opening text) each side holds."""
    threads = Thread.objects.filter(repository=standard.repository, kind=Thread.Kind.ISSUE)
    by_state = dict(threads.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    comments = (
        Comment.objects.filter(thread__in=threads, opening=False, hidden=False)
        .values_list("thread__state")
        .annotate(n=Count("id"))
    )
    by_comment_state = {state: n for state, n in comments}
    return CommentCounts(
        open_threads=by_state.get(Thread.State.OPEN, 0),
        closed_threads=sum(n for s, n in by_state.items() if s != Thread.State.OPEN),
        open_comments=by_comment_state.get(Thread.State.OPEN, 0),
        closed_comments=sum(n for s, n in by_comment_state.items() if s != Thread.State.OPEN),
    )


def document_at(standard: Standard, version: str | None) -> tuple[str, str] | None:
    """(revision, Markdown text) of the standard's document at ``version`` (a tag; None: the
    default branch), or None when the tag or the file is missing."""
    repo = standard.repository
    if not repo.git_path.exists():
        return None
    rev = version or repo.default_branch
    if version is not None and version not in [t.name for t in gitread.list_refs(repo.git_path)[1]]:
        return None
    sha = gitread.resolve(repo.git_path, f"refs/tags/{rev}" if version else rev)
    if sha is None:
        return None
    entry = gitread.entry_at(repo.git_path, sha, standard.document)
    if entry is None or entry.type != "blob":
        return None
    text = gitread.read_blob(repo.git_path, entry.oid, limit=2 * 1024 * 1024)
    return rev, text.decode("utf-8", "replace")
