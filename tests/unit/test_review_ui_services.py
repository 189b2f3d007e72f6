"""The list filters (assignee, review state, Chinese search in titles and bodies) and the
review conversation services behind the files-changed tab: a line comment, a reply joining
its conversation, resolving (author or writer only), deleting the merged head branch."""

from __future__ import annotations

from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.collab import listing, pulls, reviewing, threads
from nbopen.collab.models import Review
from nbopen.core.errors import InvalidInput, PermissionDenied
from nbopen.repos.writes import refs
from tests.unit.test_threads import _head, _repo, _user, _write

pytestmark = pytest.mark.django_db


def test_list_filters_assignee_review_state_and_chinese_search(
    django_capture_on_commit_callbacks: Any,
) -> None:
    owner, other = _user("lfowner"), _user("lfother")
    repo = _repo(owner, "filters")
    me, them = Principal(user=owner), Principal(user=other)
    with django_capture_on_commit_callbacks(execute=True):  # thread search indexes on commit
        issue = threads.create_thread(actor=me, repo=repo, title="港口调度超时", body="普通描述")
        threads.create_thread(actor=me, repo=repo, title="文档", body="正文提到超时问题")
        threads.create_thread(actor=me, repo=repo, title="无关", body="无")
    threads.set_assignees(actor=me, thread=issue, usernames=["lfother"])
    _write(repo, other, "feature", "b.txt", b"x\n", "feature")
    pull = pulls.open_pull(actor=them, repo=repo, title="修复", head_branch="feature")
    base = threads.thread_list(actor=me, repo=repo)

    def numbers(**kw: str) -> set[int]:
        return {t.number for t in listing.refine(base, repository_id=repo.pk, **kw)}

    assert numbers(query="超时") == {1, 2}  # title or description
    assert numbers(assignee="LFOTHER") == {1}
    assert numbers(review="none") == {pull.number}
    pulls.review(actor=me, thread=pull, state=Review.State.CHANGES_REQUESTED)
    assert numbers(review="changes_requested") == {pull.number}
    pulls.review(actor=me, thread=pull, state=Review.State.APPROVED)
    pulls.review(actor=me, thread=pull, state=Review.State.COMMENTED, body="好")
    assert numbers(review="approved") == {pull.number}  # the latest decision counts
    assert numbers(review="changes_requested") == set() and numbers(review="none") == set()


def test_line_comment_reply_resolve_and_delete_head_branch() -> None:
    owner, other, outsider = _user("rvowner"), _user("rvother"), _user("rvout")
    repo = _repo(owner, "review")
    me, them = Principal(user=owner), Principal(user=other)
    refs.create_branch(repo=repo, actor=owner, branch="feature", target=_head(repo))
    _write(repo, owner, "feature", "a.txt", b"one\nTWO\nthree\n", "feature")
    pull = pulls.open_pull(actor=them, repo=repo, title="改动", head_branch="feature")
    first = reviewing.line_comment(actor=me, thread=pull, path="a.txt", line=2, body="为什么")
    assert first.line_text == "TWO" and first.review.state == Review.State.COMMENTED
    answer = reviewing.reply(actor=them, thread=pull, comment_id=first.pk, body="因为")
    again = reviewing.reply(actor=me, thread=pull, comment_id=answer.pk, body="好")
    assert answer.in_reply_to_id == first.pk and again.in_reply_to_id == first.pk
    with pytest.raises(PermissionDenied):
        reviewing.set_resolved(
            actor=Principal(user=outsider), thread=pull, comment_id=first.pk, resolved=True
        )
    reviewing.set_resolved(actor=them, thread=pull, comment_id=again.pk, resolved=True)
    first.refresh_from_db()
    assert first.resolved
    with pytest.raises(InvalidInput):  # not merged yet
        reviewing.delete_head_branch(actor=me, thread=pull)
    pulls.merge_pull(actor=me, thread=pull, strategy=pulls.Strategy.SQUASH)
    pull.refresh_from_db()
    assert reviewing.delete_head_branch(actor=me, thread=pull) == "feature"
    assert refs.branch_head(repo, "feature") is None
