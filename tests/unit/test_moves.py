"""Moving repositories (``repos.moves``): who may rename or transfer, and the redirect rows."""

from __future__ import annotations

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.core.errors import AlreadyExists, PermissionDenied
from nbopen.repos import moves
from nbopen.repos.collaborators import collaborator_set
from nbopen.repos.models import Repository, RepositoryRedirect
from nbopen.repos.services import repo_create, repo_delete

pytestmark = pytest.mark.django_db


def _user(name: str) -> User:
    return user_create(username=name, email=f"{name}@example.org", password="pw-Secret-123")


def test_a_repository_admin_renames_but_only_the_owner_transfers() -> None:
    owner, helper = _user("mvowner"), _user("mvhelper")
    repo = repo_create(actor=Principal(user=owner), owner=None, name="study", private=True)
    collaborator_set(actor=Principal(user=owner), repo=repo, user=helper, role="admin")
    moves.repo_move(actor=Principal(user=helper), repo=repo, owner="mvowner", name="study-v2")
    with pytest.raises(PermissionDenied):
        moves.repo_move(actor=Principal(user=helper), repo=repo, owner="mvhelper", name="mine")
    assert Repository.objects.get(pk=repo.pk).full_name == "mvowner/study-v2"

    # The old name leads to the repository for those who may read it, nobody else.
    assert moves.visible_move(Principal(user=helper), "MVOWNER", "Study", None) == repo
    assert moves.visible_move(Principal(user=_user("mvstranger")), "mvowner", "study", None) is None
    assert moves.visible_move(Principal.anonymous(), "mvowner", "study", None) is None
    assert moves.visible_move(Principal(user=owner), "mvowner", "study", "dataset") is None


def test_the_redirect_ends_when_the_name_is_taken_and_moves_chain() -> None:
    owner = _user("chowner")
    who = Principal(user=owner)
    repo = repo_create(actor=who, owner=None, name="a")
    moves.repo_move(actor=who, repo=repo, owner="chowner", name="b")
    moves.repo_move(actor=who, repo=repo, owner="chowner", name="c")
    assert moves.moved_repository("chowner", "a", "model") == repo
    assert moves.moved_repository("chowner", "b", "model") == repo
    with pytest.raises(AlreadyExists):
        moves.repo_move(actor=who, repo=repo_create(actor=who, owner=None, name="d"),
                        owner="chowner", name="c")  # fmt: skip
    taker = repo_create(actor=who, owner=None, name="a")
    assert moves.moved_repository("chowner", "a", "model") is None
    repo_delete(actor=who, repo=taker)
    assert moves.moved_repository("chowner", "a", "model") is None  # ended for good
    # Moving back onto an old name takes it from the redirect.
    moves.repo_move(actor=who, repo=repo, owner="chowner", name="b")
    assert set(RepositoryRedirect.objects.values_list("name_lower", flat=True)) == {"c"}


def test_relocated_replaces_only_the_repository_segment() -> None:
    owner = _user("rlowner")
    repo = repo_create(actor=Principal(user=owner), owner=None, name="fresh")
    assert moves.relocated("/Old/Name.git/info/refs", "old", "name", repo) == (
        "/rlowner/fresh.git/info/refs"
    )
    assert moves.relocated("/api/models/old/name/tree/main/old/name", "old", "name", repo) == (
        "/api/models/rlowner/fresh/tree/main/old/name"
    )
    assert moves.relocated("/old/names", "old", "name", repo) == "/old/names"
