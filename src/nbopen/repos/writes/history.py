"""Rewriting history: a branch squashed into one root commit (the Hub's ``super-squash``).

Users who commit hundreds of checkpoints squash to keep the history readable; the Hub offers
it as ``super_squash_history``. The new commit has the branch head's tree and no parent, and
the branch moves to it by compare-and-swap under the branch lock every server-side writer
takes, so a commit or push that lands meanwhile is never lost silently (the squash answers
a conflict instead). The old commits stay in the object store until git's maintenance
prunes them; tags and other branches that point into the old history keep it alive, as in
git.
"""

from __future__ import annotations

from nbopen.accounts.models import User
from nbopen.collab import protection
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.models import Repository
from nbopen.repos.writes.after_update import RefUpdate, after_update
from nbopen.repos.writes.commits import author_of
from nbopen.repos.writes.refs import RefNotFound

BranchProtected = protection.BranchProtected


def super_squash(*, repo: Repository, actor: User | None, branch: str, message: str) -> str:
    """Replace ``branch``'s history by one root commit holding its current tree; returns the
    new commit. :class:`RefNotFound` when the branch does not exist,
    :class:`~nbopen.repos.git.commit.RefConflict` when it moved during the squash."""
    if not message.endswith("\n"):
        message += "\n"
    ref = gitcommit.qualify(branch)  # a branch, or a pull request's refs/pr/N
    with gitcommit.branch_lock(repo.git_path, branch):
        head = gitcommit.branch_head(repo.git_path, branch)
        if head is None:
            raise RefNotFound(ref)
        tree = gitcommit.tree_of(repo.git_path, head)
        sha = gitcommit.commit_tree(repo.git_path, tree, None, message, author_of(actor))
        # A squash rewrites history: a protected branch allows it only with force pushes.
        protection.check_update(repo=repo, actor=actor, ref=ref, old=head, new=sha)
        gitcommit.update_ref(repo.git_path, ref, sha, head)
    after_update(
        repo_id=repo.pk,
        actor=actor,
        updates=[RefUpdate(head, sha, ref)],
        kind="repo.squash",
        payload={"branch": branch, "old": head, "new": sha},
    )
    return sha
