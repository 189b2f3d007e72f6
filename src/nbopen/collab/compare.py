"""The compare view before a pull request is opened: what ``head_branch`` of ``head_repo``
(this repository or a fork) would bring into ``base_branch`` — its commits, changed files and
whether it merges cleanly — read with git plumbing, nothing written to any ref.

A fork's branch is compared in the fork's own git directory, which holds the base's objects
as of the fork (hard links); when the base has moved past what the fork has, only the commits
are shown and the pull request page (which copies the head into the base) tells the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.repos.git import bare, read
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git import merge as gitmerge
from nbopen.repos.models import Repository


@dataclass
class Comparison:
    commits: list[read.Commit] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    complete: bool = False  # False: the base's head is not in the fork (files not computed)


def compare(
    *, actor: Principal, repo: Repository, head_repo: Repository, head_branch: str
) -> Comparison | None:
    """None when there is nothing to compare (a missing branch)."""
    require_repo(actor, repo, Level.READ)
    require_repo(actor, head_repo, Level.READ)
    base = gitcommit.branch_head(repo.git_path, repo.default_branch)
    head = gitcommit.branch_head(head_repo.git_path, head_branch)
    if base is None or head is None:
        return None
    git = head_repo.git_path
    if bare.rev_parse(git, base) is None:
        mb = gitmerge.merge_base(git, head, gitcommit.branch_head(git, repo.default_branch) or head)
        commits = gitmerge.commits_between(git, mb, head) if mb else []
        return Comparison(commits=commits)
    found = Comparison(commits=gitmerge.commits_between(git, base, head), complete=True)
    mb = gitmerge.merge_base(git, base, head)
    if mb is not None:
        found.files = gitmerge.changed_paths(git, mb, head)
        found.conflicts = list(gitmerge.merge_tree(git, base, head).conflicts)
    return found
