"""Private repositories never show in results, totals or facet counts of those who cannot read.

Several owners (two users, an organization) each have private and public repositories with
distinctive facet values, so a leak shows up in whichever number it hides in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.orgs.models import Membership, Organization
from nbopen.orgs.services import member_set, org_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_delete, repo_update_settings
from nbopen.search import indexer, services
from tests.search.helpers import as_user, facet, ids, make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Built once, committed (so indexing runs as in production); tests roll back their edits."""
    with django_db_blocker.unblock():
        ua, ub, um, ux = (make_user(n) for n in ("pa", "pb", "pm", "px"))
        admin = make_user("padmin", admin=True)
        org_create(name="porg", kind="university", owner=ua)
        member_set(
            organization=Organization.objects.get(name="porg"),
            user=um,
            role=Membership.Role.READ,
            actor=ua,
        )
        harbor = "港口 harbor twin"
        make_repo(ua, "pa", "pub-a", description=harbor, card={"license": "mit", "tags": ["cpu"]})
        make_repo(
            ua, "pa", "sec-a", private=True, description=harbor,
            card={"license": "gpl-3.0", "tags": ["ascend"], "pipeline_tag": "secret-task-a"},
        )  # fmt: skip
        make_repo(
            ub, "pb", "sec-b", private=True, description=harbor, type="dataset",
            card={"license": "cc0-1.0", "tags": ["kunlunxin"]},
        )  # fmt: skip
        make_repo(ua, "porg", "pub-org", description=harbor, type="code")
        make_repo(
            ua, "porg", "sec-org", private=True, description=harbor,
            card={"library_name": "secretlib", "tags": ["cambricon"]},
        )  # fmt: skip
        try:
            yield {"a": ua, "b": ub, "member": um, "outsider": ux, "admin": admin}
        finally:
            Repository.objects.filter(owner__name__in=["pa", "pb", "porg"]).delete()
            Organization.objects.filter(name="porg").delete()
            User.objects.filter(username__in=["pa", "pb", "pm", "px", "padmin"]).delete()
            indexer.reindex_all()


PUBLIC = {"pa/pub-a", "porg/pub-org"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, PUBLIC),
        ("outsider", PUBLIC),
        ("a", PUBLIC | {"pa/sec-a", "porg/sec-org"}),  # porg owner
        ("b", PUBLIC | {"pb/sec-b"}),
        ("member", PUBLIC | {"porg/sec-org"}),
        ("admin", PUBLIC | {"pa/sec-a", "pb/sec-b", "porg/sec-org"}),
    ],
)
def test_results_totals_and_facets(
    world: dict[str, Any], who: str | None, expected: set[str]
) -> None:
    user = world[who] if who else None
    result = as_user(user, q="harbor twin")
    assert ids(result) == expected
    assert result.total == len(expected)
    types = facet(result, "type")
    assert sum(types.values()) == len(expected)
    hardware = facet(result, "hardware")
    assert ("ascend" in hardware) == ("pa/sec-a" in expected)
    assert ("kunlunxin" in hardware) == ("pb/sec-b" in expected)
    assert ("kunlunxin" in facet(result, "tag")) == ("pb/sec-b" in expected)
    assert ("cambricon" in hardware) == ("porg/sec-org" in expected)
    assert ("secretlib" in facet(result, "library")) == ("porg/sec-org" in expected)
    assert ("secret-task-a" in facet(result, "task")) == ("pa/sec-a" in expected)
    assert ("gpl-3.0" in facet(result, "license")) == ("pa/sec-a" in expected)
    # Browsing without a query obeys the same rule.
    browse = as_user(user, types=["model", "dataset", "code"])
    assert {i for i in ids(browse) if i.split("/")[0] in {"pa", "pb", "porg"}} == expected


def test_filtering_on_a_private_only_value_reveals_nothing(world: dict[str, Any]) -> None:
    for who in (None, world["outsider"], world["member"]):
        result = as_user(who, q="harbor", filters={"hardware": ["kunlunxin"]})
        assert result.total == 0 and result.hits == []
        assert facet(result, "hardware").get("kunlunxin", 0) == 0
        assert facet(result, "type") == {}
    assert as_user(world["b"], q="harbor", filters={"hardware": ["kunlunxin"]}).total == 1


def test_pages_and_counts_agree(world: dict[str, Any]) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        result = as_user(world["member"], q="harbor", per_page=1, page=page)
        assert result.total == 3
        seen += [h.id for h in result.hits]
    assert set(seen) == PUBLIC | {"porg/sec-org"} and len(seen) == 3


def test_privacy_is_checked_live_not_from_the_index(world: dict[str, Any]) -> None:
    # Flip a repository to private behind the indexer's back: it must vanish at once.
    Repository.objects.filter(owner__name="pa", name="pub-a").update(private=True)
    assert ids(as_user(None, q="harbor")) == {"porg/pub-org"}
    assert "pa/pub-a" in ids(as_user(world["a"], q="harbor"))


def test_settings_change_and_delete_follow_the_event_log(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    a = Principal(user=world["a"])
    repo = Repository.objects.select_related("owner").get(owner__name="pa", name="sec-a")
    with django_capture_on_commit_callbacks(execute=True):
        repo_update_settings(actor=a, repo=repo, private=False, description="港口 harbor 灯塔")
    anon = as_user(None, q="灯塔")
    assert ids(anon) == {"pa/sec-a"}
    assert facet(anon, "hardware") == {"ascend": 1}
    with django_capture_on_commit_callbacks(execute=True):
        repo_delete(actor=a, repo=repo)
    assert as_user(world["admin"], q="灯塔").total == 0


@pytest.mark.parametrize("who", [None, "outsider", "member", "b"])
def test_small_window_approximates_but_never_leaks(
    world: dict[str, Any], who: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a rescoring window of one document and totals tracked up to one, the answer says
    it is approximate ("gte") — and the private repositories still count nowhere."""
    user = world[who] if who else None
    exact = as_user(user, q="harbor twin")
    assert exact.total_relation == "eq" and exact.facets_relation == "eq"
    monkeypatch.setattr(services, "CANDIDATES", 1)
    monkeypatch.setattr(services, "RAW_FACTOR", 1)
    monkeypatch.setattr(services, "TRACK_TOTAL", 1)
    small = as_user(user, q="harbor twin", per_page=1)
    assert (small.total, small.total_relation) == (1, "gte")
    assert small.facets_relation == "gte"
    assert sum(facet(small, "type").values()) == 1
    assert ids(small) <= ids(exact)
    for name in ("hardware", "library", "task", "license", "tag"):
        assert set(facet(small, name)) <= set(facet(exact, name))
