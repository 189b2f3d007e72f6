"""The repository write service: operations, the LFS rule, compare-and-swap, the after-update
step and the datasets listener, called as every channel calls them."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.core.models import Event
from nbopen.datasets.models import Conversion
from nbopen.repos.git import read
from nbopen.repos.models import Repository, RepositoryLFSObject
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits, lfs_rule, refs, repositories

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> User:
    return user_create(username="walice", email="walice@example.org", password="pw-Secret-123")


def _repo(user: User, name: str, type_: str = "model", *, empty: bool = True) -> Repository:
    return repo_create(actor=Principal(user=user), owner=None, name=name, type=type_, empty=empty)


def _files(repo: Repository, sha: str) -> list[str]:
    return sorted(e.path for e in read.ls_tree(repo.git_path, sha, "", recursive=True))


def test_lfs_rule_is_the_hubs() -> None:
    assert not lfs_rule.by_content(9_999_999, b"text")
    assert lfs_rule.by_content(10_000_000, b"text")  # 10 MB, not 10 MiB
    assert lfs_rule.by_content(10, b"\x89PNG\0")
    assert not lfs_rule.by_content(0, b"")


ATTRS = b"""*.bin filter=lfs diff=lfs merge=lfs -text
saved_model/** filter=lfs diff=lfs merge=lfs -text
/anchored.txt filter=lfs diff=lfs merge=lfs -text
docs/*.md filter=lfs diff=lfs merge=lfs -text
a?c.txt filter=lfs diff=lfs merge=lfs -text
[xy].dat filter=lfs diff=lfs merge=lfs -text
keep.bin -filter
"""


def test_lfs_rule_reads_gitattributes_with_gits_semantics(alice: User) -> None:
    repo = _repo(alice, "w-attrs")
    sha, _ = _commit(
        repo,
        alice,
        commits.AddBytes(".gitattributes", ATTRS),
        commits.AddBytes("sub/.gitattributes", b"*.txt filter=lfs diff=lfs merge=lfs -text\n"),
    )
    rule = lfs_rule.at(repo.git_path, sha)
    routed = {
        "x.bin",
        "d/e/x.bin",
        "saved_model/v1/m.pb",
        "saved_model/a",
        "anchored.txt",
        "docs/a.md",
        "abc.txt",
        "x.dat",
        "sub/any.txt",
        "sub/deep/any.txt",
    }
    not_routed = {
        "keep.bin",
        "saved_model",
        "d/anchored.txt",
        "docs/deep/a.md",
        "README.md",
        "ac.txt",
        "z.dat",
        "other.txt",
        "x.bin.txt",
    }
    assert rule.routed(routed | not_routed) == routed
    assert rule.stored_as_lfs("README.md", 10_000_000, b"")
    assert not lfs_rule.at(repo.git_path, None).routed(routed)

    # Every channel's commit follows it: small text matching a pattern is an LFS pointer.
    sha, _ = _commit(
        repo, alice, commits.AddBytes("w/x.bin", b"text"), commits.AddBytes("keep.bin", b"text")
    )
    blob = read.entry_at(repo.git_path, sha, "w/x.bin")
    assert blob is not None
    assert read.read_blob(repo.git_path, blob.oid).startswith(b"version https://git-lfs")
    kept = read.entry_at(repo.git_path, sha, "keep.bin")
    assert kept is not None and read.read_blob(repo.git_path, kept.oid) == b"text"


README = b"---\nlicense: mit\ntags: [a]\n---\n# x\n"


def _commit(
    repo: Repository, actor: User, *ops: commits.Operation, **options: Any
) -> tuple[str, str | None]:
    return commits.commit(
        repo=repo, actor=actor, branch="main", operations=ops, message="m", **options
    )


def test_commit_operations_lfs_and_the_push_event(alice: User) -> None:
    repo = _repo(alice, "w-ops")
    sha, old = _commit(
        repo,
        alice,
        commits.AddBytes("README.md", README),
        commits.AddBytes("data/blob.bin", b"\0binary"),
        commits.AddBytes("data/keep.txt", b"keep"),
    )
    assert old is None
    tree = [".gitattributes", "README.md", "data", "data/blob.bin", "data/keep.txt"]
    assert _files(repo, sha) == tree
    assert RepositoryLFSObject.objects.filter(repository=repo).count() == 1
    event = Event.objects.filter(kind="repo.push", repository_id=repo.pk).get()
    assert event.payload["commits"] == 1
    assert event.payload["refs"] == [{"ref": "refs/heads/main", "old": "0" * 40, "new": sha}]
    repo.refresh_from_db()
    assert (repo.license, repo.tags) == ("mit", ["a", "license:mit"])  # one tag derivation
    assert repo.pushed_at is not None

    second, _ = _commit(repo, alice, commits.DeleteFolder("data"), parent=sha)
    assert _files(repo, second) == [".gitattributes", "README.md"]
    with pytest.raises(commits.RefConflict):  # compare-and-swap on the stale parent
        _commit(repo, alice, commits.AddBytes("x", b"x"), parent=sha)
    with pytest.raises(commits.PathNotFound):
        _commit(repo, alice, commits.DeleteFile("nope"))
    with pytest.raises(commits.NothingChanged):
        _commit(repo, alice, commits.AddBytes("README.md", README), skip_unchanged=True)


def test_initialization_is_the_same_for_every_caller(alice: User) -> None:
    hub_like = _repo(alice, "w-init-a", empty=False)
    web_like = _repo(alice, "w-init-b", empty=False)
    a = read.resolve(hub_like.git_path, "main")
    b = read.resolve(web_like.git_path, "main")
    assert a and b
    assert read.ls_tree(hub_like.git_path, a, "") == read.ls_tree(web_like.git_path, b, "")
    blob = read.entry_at(hub_like.git_path, a, ".gitattributes")
    assert blob is not None
    assert read.read_blob(hub_like.git_path, blob.oid) == repositories.gitattributes("model")
    assert not Event.objects.filter(kind="repo.push", repository_id=hub_like.pk).exists()
    code = _repo(alice, "w-init-code", "code", empty=False)
    assert read.is_empty(code.git_path)


def test_refs_record_the_hub_kinds(alice: User) -> None:
    repo = _repo(alice, "w-refs", empty=False)
    head = read.resolve(repo.git_path, "main")
    assert head is not None
    refs.create_branch(repo=repo, actor=alice, branch="dev", target=head)
    with pytest.raises(refs.RefConflict):
        refs.create_branch(repo=repo, actor=alice, branch="dev", target=head)
    refs.create_tag(repo=repo, actor=alice, tag="v1", target=head, message="one")
    kind = subprocess.run(
        ["git", "cat-file", "-t", "refs/tags/v1"], cwd=repo.git_path, capture_output=True, text=True
    ).stdout.strip()
    assert kind == "tag"  # annotated, because a message was given
    refs.delete_tag(repo=repo, actor=alice, tag="v1")
    refs.delete_branch(repo=repo, actor=alice, branch="dev")
    with pytest.raises(refs.RefNotFound):
        refs.delete_branch(repo=repo, actor=alice, branch="dev")
    kinds = list(
        Event.objects.filter(repository_id=repo.pk).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [
        "repo.create",
        "repo.branch.create",
        "repo.tag.create",
        "repo.tag.delete",
        "repo.branch.delete",
    ]


def test_datasets_react_to_the_push_event(alice: User) -> None:
    repo = _repo(alice, "w-data", "dataset")
    sha, _ = commits.commit(
        repo=repo,
        actor=alice,
        branch="main",
        operations=[commits.AddBytes("a.csv", b"id,v\n1,2\n")],
        message="data",
    )
    # The datasets app's listener, not a call from the write service, scheduled it.
    assert Conversion.objects.filter(repository=repo, revision=sha).exists()
