"""Likes (collab) and the popularity signals they feed: likes sort and trending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.collab.services import has_liked, like_count, like_set, liked_repositories
from nbopen.core.errors import NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.search import trending
from nbopen.search.documents import static_rank
from tests.search.helpers import as_user, make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def repos(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        owner, fan, other = make_user("lk1"), make_user("lk2"), make_user("lk3")
        quiet = make_repo(owner, "lk1", "quiet", description="lantern festival")
        loved = make_repo(owner, "lk1", "loved", description="lantern festival")
        hidden = make_repo(owner, "lk1", "hidden", private=True, description="lantern")
    return {"owner": owner, "fan": fan, "other": other, "quiet": quiet, "loved": loved,
            "hidden": hidden}  # fmt: skip


def test_like_is_idempotent_and_logged(repos: dict[str, Any]) -> None:
    fan = Principal(user=repos["fan"])
    assert like_set(actor=fan, repo=repos["loved"], liked=True) == 1
    assert like_set(actor=fan, repo=repos["loved"], liked=True) == 1
    assert Event.objects.filter(kind="repo.like", repository_id=repos["loved"].pk).count() == 1
    assert has_liked(user_id=repos["fan"].pk, repo=repos["loved"])
    assert like_set(actor=fan, repo=repos["loved"], liked=False) == 0
    assert like_set(actor=fan, repo=repos["loved"], liked=False) == 0
    assert Event.objects.filter(kind="repo.unlike").count() == 1
    assert like_count(repos["loved"]) == 0


def test_like_needs_sign_in_read_access_and_a_writing_credential(repos: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        like_set(actor=Principal.anonymous(), repo=repos["loved"], liked=True)
    with pytest.raises(NotFound):
        like_set(actor=Principal(user=repos["fan"]), repo=repos["hidden"], liked=True)
    with pytest.raises(PermissionDenied):
        like_set(actor=Principal(user=repos["fan"], scope="read"), repo=repos["loved"], liked=True)
    owner = Principal(user=repos["owner"])
    assert like_set(actor=owner, repo=repos["hidden"], liked=True) == 1
    # What a user liked is listed through the policy: a private like stays private.
    fan_view = liked_repositories(principal=Principal(user=repos["fan"]), user_id=repos["owner"].pk)
    assert list(fan_view) == []


def test_likes_sort_and_trending_follow_the_events(
    repos: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for who in ("fan", "other"):
            like_set(actor=Principal(user=repos[who]), repo=repos["loved"], liked=True)
    result = as_user(None, q="lantern", sort="likes")
    assert [(h.id, h.likes) for h in result.hits] == [("lk1/loved", 2), ("lk1/quiet", 0)]
    assert trending.refresh() >= 2
    ranked = as_user(None, q="lantern festival", sort="trending").hits
    assert ranked[0].id == "lk1/loved"
    assert ranked[0].trending > ranked[1].trending > 0  # both were created (+0.5) just now


def test_static_rank_rises_with_popularity_and_freshness() -> None:
    now = timezone.now()
    base = static_rank(likes=0, downloads=0, updated_at=now)
    assert static_rank(likes=10, downloads=0, updated_at=now) > base
    assert static_rank(likes=0, downloads=500, updated_at=now) > base
    assert static_rank(likes=0, downloads=0, updated_at=now - timedelta(days=365)) < base
    assert 0.0 <= static_rank(likes=10**9, downloads=10**9, updated_at=now) <= 1.0
