"""The review conversation around a pull request's lines, and the clean-up after a merge.

Small services the web's files-changed tab calls (the Gitea API may call them too): a line
comment is a one-comment review (GitHub and Gitea record it so), a reply joins the first
comment's conversation, a conversation is resolved or unresolved as a whole, and the merged
head branch is deleted through the one write service (:mod:`nbopen.repos.writes.refs`).
"""

from __future__ import annotations

from django.db import transaction

from nbopen.access.policy import Level, Principal, repo_level, require_repo
from nbopen.collab import pulls, threads
from nbopen.collab.models import Review, ReviewComment, Thread
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.repos.writes import refs


@transaction.atomic
def line_comment(
    *, actor: Principal, thread: Thread, path: str, line: int, body: str
) -> ReviewComment:
    """A single comment on ``path:line`` of the head (a "commented" review holding it)."""
    rev = pulls.review(
        actor=actor,
        thread=thread,
        state=Review.State.COMMENTED,
        comments=[{"path": path, "line": line, "body": body}],
    )
    return rev.comments.get()


def _root(thread: Thread, comment_id: int) -> ReviewComment:
    found = ReviewComment.objects.filter(thread=thread, pk=comment_id).first()
    if found is None:
        raise NotFound("No such review comment")
    while found.in_reply_to_id is not None:
        parent = found.in_reply_to
        assert parent is not None
        found = parent
    return found


@transaction.atomic
def reply(*, actor: Principal, thread: Thread, comment_id: int, body: str) -> ReviewComment:
    """A reply in the conversation of review comment ``comment_id``, anchored where the
    conversation started (so an outdated conversation stays one conversation)."""
    root = _root(thread, comment_id)
    user = threads.participant(actor, thread.repository)
    review = Review.objects.create(
        thread=thread, author=user, state=Review.State.COMMENTED, commit_sha=root.commit_sha
    )
    return pulls.review_comment(
        actor=actor, review=review, path=root.path, line=root.line, body=body, in_reply_to=root
    )


def set_resolved(*, actor: Principal, thread: Thread, comment_id: int, resolved: bool) -> None:
    """Resolve (or unresolve) a conversation: the pull request's author or a writer."""
    user = threads.participant(actor, thread.repository)
    if thread.author_id != user.pk and repo_level(actor, thread.repository) < Level.WRITE:
        raise PermissionDenied("Only the author or a maintainer may resolve a conversation")
    root = _root(thread, comment_id)
    ReviewComment.objects.filter(pk=root.pk).update(resolved=resolved)


def delete_head_branch(*, actor: Principal, thread: Thread) -> str:
    """Delete a merged pull request's head branch (write access to the head repository;
    never a default branch, never the Hub's ``refs/pr/N``). Returns the branch name."""
    head_repo = thread.head_repository
    if thread.state != Thread.State.MERGED or head_repo is None or not thread.head_ref:
        raise InvalidInput("Only a merged pull request's head branch can be deleted")
    if thread.head_ref.startswith("refs/") or thread.head_ref == head_repo.default_branch:
        raise InvalidInput(f"The branch {thread.head_ref} cannot be deleted")
    user = threads.participant(actor, thread.repository)
    require_repo(actor, head_repo, Level.WRITE)
    if refs.branch_head(head_repo, thread.head_ref) is not None:
        refs.delete_branch(repo=head_repo, actor=user, branch=thread.head_ref)
    return thread.head_ref
