"""A push is scanned by what it changed, not by the whole tree at its tip."""

from __future__ import annotations

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.repos.git import read
from nbopen.repos.services import repo_create
from nbopen.repos.uploads import Upload, upload_files
from nbopen.repos.writes import commits
from nbopen.scanning import services

pytestmark = pytest.mark.django_db


def test_only_the_files_a_push_changed_are_listed() -> None:
    user = user_create(username="sinc", email="sinc@example.org", password="test-password-1")
    who = Principal(user=user)
    repo = repo_create(actor=who, owner=None, name="inc", empty=False)
    first = upload_files(
        actor=who,
        repo=repo,
        branch="main",
        uploads=[Upload(f"src/f{i}.py", data=f"x = {i}\n".encode()) for i in range(5)],
        message="five files",
    )
    second = upload_files(
        actor=who,
        repo=repo,
        branch="main",
        uploads=[Upload("src/f1.py", data=b"x = 'changed'\n"), Upload("new.txt", data=b"n\n")],
        message="one changed, one new",
    )
    everything = {f.path for f in services.files_at(repo, second)}
    assert {"src/f0.py", "src/f1.py", "new.txt"} <= everything

    changed = services.files_at(repo, second, since=first)
    # The push's scan uses that list only on top of a commit whose files were all scanned.
    assert services.scan_commit(repo.pk, first) >= 5
    assert services.scan_commit(repo.pk, second, since=first) == 2
    assert sorted(f.path for f in changed) == ["new.txt", "src/f1.py"]
    assert {f.size for f in changed} == {len(b"x = 'changed'\n"), 2}

    # A deletion brings nothing to scan; an unknown previous commit falls back to the tree.
    sha, _ = commits.commit(
        repo=repo, actor=user, branch="main", operations=[commits.DeleteFile("src/f2.py")],
        message="delete",
    )  # fmt: skip
    assert services.files_at(repo, sha, since=second) == []
    assert read.changed_blobs(repo.git_path, "0" * 40, second) is None
    assert {f.path for f in services.files_at(repo, second, since="0" * 40)} == everything
