"""Follows, watches and activity feeds (collab), with private repositories of several owners."""

from __future__ import annotations

from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import Namespace
from nbopen.collab import feeds, follows, watches
from nbopen.collab.services import like_set
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.orgs.models import Organization
from nbopen.orgs.services import member_set, org_create
from nbopen.repos.services import repo_update_settings
from tests.search.corpus import push_readme
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


def ns(name: str) -> Namespace:
    return Namespace.objects.get(name_lower=name.lower())


@pytest.fixture
def world(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """Two owners with public and private repositories, an org with a private repository,
    a member of that org, and an outsider who follows everybody."""
    with django_capture_on_commit_callbacks(execute=True):
        alice, bob = make_user("fd-alice"), make_user("fd-bob")
        member, outsider = make_user("fd-member"), make_user("fd-outsider")
        org: Organization = org_create(name="fd-port", kind="enterprise", owner=alice)
        member_set(organization=org, user=member, role="read", actor=alice)
        repos = {
            "alice_open": make_repo(alice, "fd-alice", "open-a", type="code"),
            "alice_secret": make_repo(alice, "fd-alice", "secret-a", private=True),
            "bob_open": make_repo(bob, "fd-bob", "open-b"),
            "bob_secret": make_repo(bob, "fd-bob", "secret-b", private=True),
            "org_open": make_repo(alice, "fd-port", "open-o"),
            "org_secret": make_repo(alice, "fd-port", "secret-o", private=True),
        }
    return {"alice": alice, "bob": bob, "member": member, "outsider": outsider, "org": org,
            **repos}  # fmt: skip


def push(world: dict[str, Any], repo: str, who: str) -> None:
    push_readme(world[repo], world[who], f"# {repo}\n")
    world[repo].refresh_from_db()


def names(events: Any) -> list[str]:
    return [e.repository_name for e in events if e.repository_name]


def test_follow_is_idempotent_counted_and_logged(world: dict[str, Any]) -> None:
    out = Principal(user=world["outsider"])
    assert follows.follow_set(actor=out, target=ns("fd-alice"), following=True) == 1
    assert follows.follow_set(actor=out, target=ns("fd-alice"), following=True) == 1
    assert follows.follow_set(actor=out, target=ns("fd-port"), following=True) == 1
    assert follows.is_following(user_id=world["outsider"].pk, target=ns("fd-alice"))
    assert follows.following_count(world["outsider"].pk) == 2
    assert [n.name for n in follows.following(world["outsider"].pk)] == ["fd-port", "fd-alice"]
    assert [u.username for u in follows.followers(ns("fd-alice"))] == ["fd-outsider"]
    logged = Event.objects.filter(kind="user.follow", actor_id=world["outsider"].pk)
    assert logged.count() == 2
    assert logged.filter(organization_id=world["org"].pk).count() == 1  # shows in the org feed
    assert follows.follow_set(actor=out, target=ns("fd-alice"), following=False) == 0
    assert follows.follow_set(actor=out, target=ns("fd-alice"), following=False) == 0
    assert Event.objects.filter(kind="user.unfollow").count() == 1


def test_follow_needs_a_signed_in_writer_and_not_oneself(world: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        follows.follow_set(actor=Principal.anonymous(), target=ns("fd-bob"), following=True)
    with pytest.raises(PermissionDenied):
        follows.follow_set(
            actor=Principal(user=world["alice"], scope="read"), target=ns("fd-bob"), following=True
        )
    with pytest.raises(InvalidInput):
        follows.follow_set(actor=Principal(user=world["bob"]), target=ns("fd-bob"), following=True)
    assert follows.follower_count(ns("fd-bob")) == 0


def test_watch_needs_read_access(world: dict[str, Any]) -> None:
    out, member = Principal(user=world["outsider"]), Principal(user=world["member"])
    with pytest.raises(NotFound):
        watches.watch_set(actor=out, repo=world["bob_secret"], watching=True)
    with pytest.raises(NotFound):
        watches.watch_set(actor=out, repo=world["org_secret"], watching=True)
    with pytest.raises(PermissionDenied):
        watches.watch_set(actor=Principal.anonymous(), repo=world["bob_open"], watching=True)
    with pytest.raises(PermissionDenied):
        watches.watch_set(actor=Principal.anonymous(), repo=world["bob_secret"], watching=True)
    assert watches.watch_set(actor=member, repo=world["org_secret"], watching=True) == 1
    assert watches.watch_set(actor=member, repo=world["org_secret"], watching=True) == 1
    assert watches.watch_set(actor=out, repo=world["bob_open"], watching=True) == 1
    assert Event.objects.filter(kind="repo.watch").count() == 2
    # What someone watches is listed through the policy.
    seen_by_out = watches.watched_repositories(principal=out, user_id=world["member"].pk)
    assert list(seen_by_out) == []
    seen_by_member = watches.watched_repositories(principal=member, user_id=world["member"].pk)
    assert [r.full_name for r in seen_by_member] == ["fd-port/secret-o"]
    assert watches.watch_set(actor=member, repo=world["org_secret"], watching=False) == 0


def test_user_feed_hides_private_repositories_from_those_who_cannot_read_them(
    world: dict[str, Any],
) -> None:
    for repo in ("alice_open", "alice_secret", "org_secret", "org_open"):
        push(world, repo, "alice")
    for repo in ("bob_open", "bob_secret"):
        push(world, repo, "bob")
    out, bob = Principal(user=world["outsider"]), Principal(user=world["bob"])
    member, alice = Principal(user=world["member"]), Principal(user=world["alice"])
    alice_id = world["alice"].pk

    assert set(names(feeds.user_feed(Principal.anonymous(), alice_id))) == {
        "fd-alice/open-a", "fd-port/open-o"
    }  # fmt: skip
    assert set(names(feeds.user_feed(bob, alice_id))) == {"fd-alice/open-a", "fd-port/open-o"}
    assert set(names(feeds.user_feed(member, alice_id))) == {
        "fd-alice/open-a", "fd-port/open-o", "fd-port/secret-o"
    }  # fmt: skip
    assert "fd-alice/secret-a" in names(feeds.user_feed(alice, alice_id))
    assert set(names(feeds.user_feed(alice, world["bob"].pk))) == {"fd-bob/open-b"}
    assert "fd-bob/secret-b" in names(feeds.user_feed(bob, world["bob"].pk))

    org_id = world["org"].pk
    assert set(names(feeds.org_feed(out, org_id))) == {"fd-port/open-o"}
    assert set(names(feeds.org_feed(member, org_id))) == {"fd-port/open-o", "fd-port/secret-o"}

    # Privacy is in the query: a page of one holds a visible event, never an empty slot.
    first = feeds.page_of(feeds.user_feed(out, alice_id), page=1, per_page=1)
    assert len(first) == 1 and first[0].repository_name in {"fd-alice/open-a", "fd-port/open-o"}
    assert feeds.user_feed(out, alice_id).filter(kind="repo.push").count() == 2


def test_dashboard_follows_watches_and_own_orgs(world: dict[str, Any]) -> None:
    out, member = Principal(user=world["outsider"]), Principal(user=world["member"])
    follows.follow_set(actor=out, target=ns("fd-alice"), following=True)
    follows.follow_set(actor=out, target=ns("fd-bob"), following=True)
    watches.watch_set(actor=member, repo=world["bob_open"], watching=True)
    for repo in ("alice_open", "alice_secret", "org_secret"):
        push(world, repo, "alice")
    for repo in ("bob_open", "bob_secret"):
        push(world, repo, "bob")
    like_set(actor=Principal(user=world["alice"]), repo=world["bob_open"], liked=True)

    out_feed = list(feeds.dashboard_feed(out))
    assert {(e.kind, e.repository_name) for e in out_feed if e.kind == "repo.push"} == {
        ("repo.push", "fd-alice/open-a"), ("repo.push", "fd-bob/open-b")
    }  # fmt: skip
    assert ("repo.like", "fd-bob/open-b") in {(e.kind, e.repository_name) for e in out_feed}
    assert all(e.actor_id != world["outsider"].pk for e in out_feed)

    # The member follows nobody: their org's private work and the watched repository show.
    member_pushes = {
        e.repository_name for e in feeds.dashboard_feed(member) if e.kind == "repo.push"
    }
    assert member_pushes == {"fd-port/secret-o", "fd-bob/open-b"}
    assert list(feeds.dashboard_feed(Principal.anonymous())) == []


def test_feed_follows_visibility_changes(world: dict[str, Any]) -> None:
    push(world, "bob_open", "bob")
    out = Principal(user=world["outsider"])
    assert names(feeds.user_feed(out, world["bob"].pk)) == ["fd-bob/open-b", "fd-bob/open-b"]
    repo_update_settings(actor=Principal(user=world["bob"]), repo=world["bob_open"], private=True)
    assert names(feeds.user_feed(out, world["bob"].pk)) == []


def test_feed_json_whitelists_payloads(world: dict[str, Any]) -> None:
    push(world, "bob_open", "bob")
    follows.follow_set(actor=Principal(user=world["bob"]), target=ns("fd-port"), following=True)
    rows = [feeds.as_json(e) for e in feeds.user_feed(Principal.anonymous(), world["bob"].pk)]
    assert rows[0] == {
        "id": rows[0]["id"], "kind": "user.follow", "actor": "fd-bob", "repo": None,
        "created_at": rows[0]["created_at"], "target": "fd-port", "target_kind": "org",
    }  # fmt: skip
    assert rows[1]["kind"] == "repo.push" and rows[1]["refs"] == ["refs/heads/main"]
