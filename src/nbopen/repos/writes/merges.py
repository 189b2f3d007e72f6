"""Merging a pull request's head into a branch, and the refs a pull request keeps.

A merge is one more caller of the write path, never a new way to move a ref: the merged
tree comes from ``git merge-tree --write-tree`` (:mod:`nbopen.repos.git.merge`), the commit
from ``commit-tree``, and the base branch moves by compare-and-swap under the same per-branch
lock as every server-side commit, then :func:`.after_update.after_update` records the push
(which closes issues named by ``fixes #N``, through the collab app's listener).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from nbopen.accounts.models import User
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git import merge as gitmerge
from nbopen.repos.git.bare import GitError
from nbopen.repos.models import Repository
from nbopen.repos.writes.after_update import PUSH, RefUpdate, after_update
from nbopen.repos.writes.commits import author_of

RefConflict = gitcommit.RefConflict


class Strategy(enum.StrEnum):
    MERGE = "merge"
    SQUASH = "squash"
    REBASE = "rebase"


class MergeConflict(GitError):
    """The head does not merge cleanly into the base; ``files`` lists the conflicts."""

    def __init__(self, files: Sequence[str]) -> None:
        super().__init__("Merge conflict in: " + ", ".join(files))
        self.files = list(files)


class NotFastForward(GitError):
    """A rebase merge was asked but the base has commits the head lacks."""


def pull_ref(number: int) -> str:
    return f"refs/pull/{number}/head"


def hub_pr_ref(number: int) -> str:
    return f"refs/pr/{number}"


def keep_pull_head(
    *, repo: Repository, number: int, head_repo: Repository, head_ref: str
) -> str | None:
    """Point the base repository's ``refs/pull/N/head`` at the head's current commit
    (copied from a fork when the head lives there); returns it, or None if the head is gone.
    No event: the person's push to the head was already recorded."""
    ref = pull_ref(number)
    source = gitcommit.qualify(head_ref)
    if head_repo.pk == repo.pk:
        sha, current = gitcommit.resolve_many(repo.git_path, [f"{source}^{{commit}}", ref])
        if sha is None:
            return None
        if current != sha:
            try:
                gitcommit.update_ref(repo.git_path, ref, sha, current)
            except RefConflict:  # another follower moved it at the same time
                return gitcommit.ref_target(repo.git_path, ref)
        return sha
    return gitmerge.fetch_into(repo.git_path, head_repo.git_path, source, ref)


def open_hub_pr_ref(*, repo: Repository, actor: User | None, number: int, target: str) -> None:
    """The Hub's ``refs/pr/N``, created at ``target`` (the base's head) when the pull request
    opens; commits then go there like on a branch."""
    gitcommit.update_ref(repo.git_path, hub_pr_ref(number), target, None)
    after_update(
        repo_id=repo.pk,
        actor=actor,
        updates=[RefUpdate(gitcommit.ZERO_SHA, target, hub_pr_ref(number))],
        kind=None,
    )


def merge(
    *,
    repo: Repository,
    actor: User,
    base_branch: str,
    head_sha: str,
    strategy: Strategy,
    message: str,
    expected_base: str | None = None,
    still_mergeable: Callable[[], None] | None = None,
    merged: Callable[[str], None] | None = None,
    announce: bool = True,
) -> tuple[str, str]:
    """Merge commit ``head_sha`` (already in ``repo``) into ``base_branch``; returns
    (new head of the base, previous head).

    Under the branch's write lock: ``still_mergeable()`` (the caller's check that the pull
    request is still open; it raises otherwise) runs first and ``merged(new)`` (the caller
    records the merge, committed at once) last, so two merges of one pull request racing give
    one merge and one clear error; ``expected_base``, when given, must still be
    the base's head (:class:`RefConflict`). Raises :class:`MergeConflict` with the files,
    :class:`NotFastForward` for a rebase that cannot fast-forward (git 2.39 cannot replay
    commits without a work tree). ``merge``: a merge commit; ``squash``: one commit with
    the head's tree on top of the base (``message`` should carry ``Co-authored-by`` lines).
    ``announce=False``: the caller runs :func:`announce` itself (in a background job, so the
    merge's answer does not wait for the push's listeners: search, webhooks, scanning…).
    """
    git = repo.git_path
    me = author_of(actor)
    with gitcommit.branch_lock(git, base_branch):
        if still_mergeable is not None:
            still_mergeable()
        base = gitcommit.branch_head(git, base_branch)
        if base is None:
            raise RefConflict(f"The base branch {base_branch} does not exist")
        if expected_base is not None and base != expected_base:
            raise RefConflict(f"The base branch {base_branch} moved; review the change again")
        if not message.endswith("\n"):
            message += "\n"
        if strategy is Strategy.REBASE:
            if not gitmerge.is_ancestor(git, base, head_sha):
                raise NotFastForward(
                    f"{base_branch} has commits the pull request lacks: "
                    "use a merge commit or squash"
                )
            new = head_sha
        else:
            result = gitmerge.merge_tree(git, base, head_sha)
            if result.tree is None:
                raise MergeConflict(result.conflicts)
            more = [head_sha] if strategy is Strategy.MERGE else []
            new = gitcommit.commit_tree(git, result.tree, base, message, me, more_parents=more)
        gitcommit.update_ref(git, gitcommit.qualify(base_branch), new, base)
        if merged is not None:
            merged(new)
    if announce:
        announce_merge(repo_id=repo.pk, actor=actor, base_branch=base_branch, old=base, new=new)
    return new, base


def announce_merge(
    *, repo_id: int, actor: User | None, base_branch: str, old: str, new: str
) -> None:
    """The step after a merge moved ``base_branch`` from ``old`` to ``new``: recorded like a
    push (``repo.push``: closing keywords, search, webhooks, scanning, card)."""
    after_update(
        repo_id=repo_id,
        actor=actor,
        updates=[RefUpdate(old, new, gitcommit.qualify(base_branch))],
        kind=PUSH,
    )
