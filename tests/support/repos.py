"""A code repository with one commit on ``main``: what thread, hook and notification tests
start from (a pull request needs a base branch)."""

from __future__ import annotations

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits


def code_repo(user: User, name: str, *, private: bool = False) -> Repository:
    repo = repo_create(
        actor=Principal(user=user), owner=None, name=name, type="code", private=private, empty=True
    )
    commits.commit(
        repo=repo,
        actor=user,
        branch="main",
        operations=[commits.AddBytes("a.txt", b"one\n")],
        message="first",
        parent=None,
    )
    return repo
