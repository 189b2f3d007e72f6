"""The repository pages' git cache: answers per (repository, commit), the last-commit column,
refs that follow every update, README renderings per blob, and no answer crossing repositories."""

from __future__ import annotations

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.repos import git_cache
from nbopen.repos.git.bare import GitError
from nbopen.repos.git.read import list_refs
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits
from nbopen.web.markdown import LinkBase
from nbopen.web.views.browse import rendered_markdown

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> User:
    return user_create(username="calice", email="calice@example.org", password="pw-Secret-123")


def _repo(user: User, name: str, *, private: bool = False) -> Repository:
    return repo_create(actor=Principal(user=user), owner=None, name=name, private=private)


def _commit(repo: Repository, user: User, message: str, **files: bytes) -> str:
    ops = [commits.AddBytes(path.replace("__", "/"), data) for path, data in files.items()]
    sha, _ = commits.commit(repo=repo, actor=user, branch="main", operations=ops, message=message)
    return sha


def test_last_commit_per_entry_from_one_walk(alice: User) -> None:
    repo = _repo(alice, "lc")
    first = _commit(repo, alice, "add a and docs", **{"a.txt": b"1", "docs__x.md": b"x"})
    second = _commit(repo, alice, "change b", **{"b.txt": b"2"})
    third = _commit(repo, alice, "touch docs", **{"docs__y.md": b"y"})
    last = git_cache.last_commits(repo, third, "", ["a.txt", "b.txt", "docs"])
    assert {name: c.sha for name, c in last.items()} == {
        "a.txt": first,
        "b.txt": second,
        "docs": third,
    }
    inside = git_cache.last_commits(repo, third, "docs", ["x.md", "y.md"])
    assert inside["x.md"].sha == first and inside["y.md"].sha == third
    # At an older commit, the answer is that commit's history, not the tip's.
    assert git_cache.last_commits(repo, second, "docs", ["x.md"])["x.md"].sha == first

    page = Client().get(f"{repo.web_path}/tree/main")
    assert page.status_code == 200
    html = page.content.decode()
    assert "last-commit-cell" in html and "change b" in html and "touch docs" in html


def test_refs_follow_every_update(alice: User) -> None:
    repo = _repo(alice, "refsmemo")
    first = _commit(repo, alice, "one", **{"a.txt": b"1"})
    branches, _ = git_cache.list_refs(repo)
    assert [b.target for b in branches] == [first]
    second = _commit(repo, alice, "two", **{"a.txt": b"2"})
    branches, _ = git_cache.list_refs(repo)
    assert (
        [b.target for b in branches] == [second] == [b.target for b in list_refs(repo.git_path)[0]]
    )
    assert Client().get(f"{repo.web_path}/commits/main").content.decode().count("/commit/") >= 2


def test_no_answer_crosses_repositories(alice: User) -> None:
    secret = _repo(alice, "vault", private=True)
    public = _repo(alice, "open")
    hidden = _commit(secret, alice, "secret plans", **{"README.md": b"# launch codes 1234\n"})
    _commit(public, alice, "hello", **{"README.md": b"# hello world\n"})

    # The owner's visit fills every cache for the private repository.
    owner = Client()
    owner.force_login(alice)
    assert "launch codes" in owner.get(secret.web_path).content.decode()
    readme = git_cache.ls_tree(secret, hidden)[0]
    assert git_cache.commit(secret, hidden) is not None

    # The public repository does not hold the private commit: none of it is served there.
    with pytest.raises(GitError):
        git_cache.commit(public, hidden)
    with pytest.raises(FileNotFoundError):
        git_cache.ls_tree(public, hidden)
    assert git_cache.last_commits(public, hidden, "", ["README.md"]) == {}
    with pytest.raises(GitError):
        git_cache.log(public, hidden)
    # Rendered (and cached) for the private repository first, with the very same link base:
    # the public repository still misses the cache and cannot read the blob.
    links = LinkBase(blob=f"{public.web_path}/blob/main", raw="", directory="")
    assert "launch codes" in rendered_markdown(secret, readme.oid, links).html
    with pytest.raises(GitError):
        rendered_markdown(public, readme.oid, links)

    anonymous = Client()
    for url in (
        secret.web_path,
        f"{secret.web_path}/tree/{hidden}",
        f"{secret.web_path}/commits/main",
        f"{public.web_path}/tree/{hidden}",
        f"{public.web_path}/commit/{hidden}",
        f"{public.web_path}/blob/{hidden}/README.md",
    ):
        response = anonymous.get(url)
        assert response.status_code == 404, url
        assert b"launch codes" not in response.content and b"secret plans" not in response.content


def test_last_commit_walk_is_bounded(alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(alice, "bounded")
    _commit(repo, alice, "old", **{"d__old.txt": b"1"})
    tip = _commit(repo, alice, "new", **{"d__new.txt": b"2"})
    monkeypatch.setattr(git_cache, "MAX_WALK_COMMITS", 1)
    # A subdirectory: the after-update job warms only the root listing.
    last = git_cache.last_commits(repo, tip, "d", ["old.txt", "new.txt"])
    assert set(last) == {"new.txt"} and last["new.txt"].sha == tip
