"""Domain membership, growth series and privacy of the vertical data libraries.

Several owners (two users and an organization) have public and private repositories in one
domain, created in different months (the clock is moved, the services run for real: README
uploads sync the card, CSV pushes are converted to Parquet inline, pushes append events).
Every number is checked for an anonymous visitor, an outsider, each owner, an org member and
a site admin, so a private repository leaking into any count shows up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest

from nbopen.access.policy import Principal, is_operator
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.core.errors import AlreadyExists, InvalidInput, PermissionDenied
from nbopen.libraries import services
from nbopen.libraries.models import Domain
from nbopen.orgs.models import Membership, Organization
from nbopen.orgs.services import member_set, org_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.uploads import Upload, upload_files

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
USERS = ("la", "lb", "lm", "lx", "ladmin")


def _user(name: str, admin: bool = False) -> User:
    return user_create(
        username=name, email=f"{name}@example.org", password="test-password-1", is_admin=admin
    )


def _csv(n: int) -> bytes:
    return ("id,港口,teu\n" + "".join(f"{i},北仑,{i * 10}\n" for i in range(n))).encode()


def _readme(front: str) -> bytes:
    return f"---\n{front}\n---\n# test\n".encode()


def _at(when: datetime) -> Any:
    return mock.patch("django.utils.timezone.now", return_value=when)


def _repo(
    actor: User, owner: str, name: str, type_: str, front: str, *, private: bool = False
) -> Repository:
    repo = repo_create(
        actor=Principal(user=actor), owner=owner, name=name, type=type_, private=private
    )
    _push(actor, repo, {"README.md": _readme(front)})
    return repo


def _push(actor: User, repo: Repository, files: dict[str, bytes]) -> None:
    upload_files(
        actor=Principal(user=actor),
        repo=repo,
        branch=repo.default_branch,
        uploads=[Upload(path, data=data) for path, data in files.items()],
        message="update",
    )


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        ua, ub, um, ux = (_user(n) for n in USERS[:4])
        admin = _user("ladmin", admin=True)
        domain = services.domain_create(
            principal=None, slug="port-test", name_zh="港口测试", name_en="Port test"
        )
        services.domain_create(principal=None, slug="other-test", name_zh="其他测试")
        with _at(datetime(2026, 1, 15, tzinfo=UTC)):
            org_create(name="lorg", kind="enterprise", owner=ua)
            member_set(
                organization=Organization.objects.get(name="lorg"),
                user=um,
                role=Membership.Role.READ,
                actor=ua,
            )
            pub = _repo(ua, "la", "pub-data", "dataset", "domain: port-test\nlicense: mit")
            _push(ua, pub, {"data/train.csv": _csv(5)})
        with _at(datetime(2026, 2, 10, tzinfo=UTC)):
            sec = _repo(ub, "lb", "sec-data", "dataset", "domain: 港口测试", private=True)
            _push(ub, sec, {"data/train.csv": _csv(7)})
            _repo(ua, "lorg", "sec-org", "model", "tags: [domain:port-test]", private=True)
        with _at(datetime(2026, 3, 5, tzinfo=UTC)):
            _repo(ub, "lb", "pub-code", "code", "tags: [x, DOMAIN:Port-Test]")
            nolic = _repo(ua, "la", "nolic", "dataset", "domain: [port test, port-test]")
            _push(ua, nolic, {"data/train.csv": _csv(3)})
            _push(ua, pub, {"data/train.csv": _csv(10)})
            _repo(ua, "la", "elsewhere", "dataset", "domain: other-test")
            _repo(ua, "la", "unknown", "model", "domain: no-such-domain")
        try:
            yield {
                "domain": domain,
                "anon": Principal.anonymous(),
                "a": Principal(user=ua),
                "b": Principal(user=ub),
                "member": Principal(user=um),
                "outsider": Principal(user=ux),
                "admin": Principal(user=admin),
            }
        finally:
            Repository.objects.filter(owner__name__in=["la", "lb", "lorg"]).delete()
            Organization.objects.filter(name="lorg").delete()
            User.objects.filter(username__in=USERS).delete()
            Domain.objects.filter(slug__in=["port-test", "other-test"]).delete()


def _names(repos: list[Repository]) -> set[str]:
    return {r.full_name for r in repos}


PUBLIC = {"la/pub-data", "lb/pub-code", "la/nolic"}
EXPECTED: dict[str, dict[str, Any]] = {
    # who: repositories visible, cumulative repos, rows, contributors per month
    "anon": {"repos": PUBLIC, "count": [0, 1, 1, 3], "rows": [0, 5, 5, 13], "people": [0, 1, 0, 2]},
    "outsider": {
        "repos": PUBLIC,
        "count": [0, 1, 1, 3],
        "rows": [0, 5, 5, 13],
        "people": [0, 1, 0, 2],
    },
    "a": {
        "repos": PUBLIC | {"lorg/sec-org"},
        "count": [0, 1, 2, 4],
        "rows": [0, 5, 5, 13],
        "people": [0, 1, 1, 2],
    },
    "member": {
        "repos": PUBLIC | {"lorg/sec-org"},
        "count": [0, 1, 2, 4],
        "rows": [0, 5, 5, 13],
        "people": [0, 1, 1, 2],
    },
    "b": {
        "repos": PUBLIC | {"lb/sec-data"},
        "count": [0, 1, 2, 4],
        "rows": [0, 5, 12, 20],
        "people": [0, 1, 1, 2],
    },
    "admin": {
        "repos": PUBLIC | {"lb/sec-data", "lorg/sec-org"},
        "count": [0, 1, 3, 5],
        "rows": [0, 5, 12, 20],
        "people": [0, 1, 2, 2],
    },
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_domain_page_numbers_cover_only_what_the_viewer_may_read(
    world: dict[str, Any], who: str
) -> None:
    summary = services.summarize(world[who], world["domain"], now=NOW)
    want = EXPECTED[who]
    assert _names(summary.repos) == want["repos"]
    # A month of zeros first: growth starts from nothing.
    assert summary.growth.months == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert summary.growth.repositories == want["count"]
    assert summary.growth.rows == want["rows"]
    assert summary.growth.contributors == want["people"]
    assert summary.growth.contributors_total == 2
    assert summary.counts["total"] == len(want["repos"])
    assert summary.rows_total == want["rows"][-1]
    assert services.repos_in_domain(world[who], world["domain"]) == summary.repos
    # The JSON the API serves carries the same numbers and never a hidden name.
    data = services.summary_dict(summary)
    assert {r["id"] for r in data["repositories"]} == want["repos"]
    assert data["growth"]["repositories"] == want["count"]
    hidden = {"lb/sec-data", "lorg/sec-org"} - want["repos"]
    text = repr(data)
    assert not any(name in text for name in hidden)


def test_top_organizations_never_count_a_private_repository(world: dict[str, Any]) -> None:
    assert services.summarize(world["anon"], world["domain"]).top_orgs == []
    assert services.summarize(world["outsider"], world["domain"]).top_orgs == []
    [share] = services.summarize(world["member"], world["domain"]).top_orgs
    assert (share.name, share.repositories, share.pushes) == ("lorg", 1, 1)


def test_public_datasets_without_a_licence_are_listed(world: dict[str, Any]) -> None:
    for who in ("anon", "admin"):
        missing = services.summarize(world[who], world["domain"]).licence_missing
        assert _names(missing) == {"la/nolic"}  # pub-data says mit; code needs no notice
    nolic = Repository.objects.get(owner__name="la", name="nolic")
    assert services.needs_licence_notice(nolic)
    assert not services.needs_licence_notice(Repository.objects.get(name="pub-data"))
    assert not services.needs_licence_notice(Repository.objects.get(name="sec-data"))


def test_membership_by_card_or_tag_in_any_case_and_by_name(world: dict[str, Any]) -> None:
    by_name = {r.name: r for r in Repository.objects.filter(owner__name__in=["la", "lb"])}
    assert [d.slug for d in services.domain_of(by_name["sec-data"])] == ["port-test"]  # 港口测试
    assert [d.slug for d in services.domain_of(by_name["pub-code"])] == ["port-test"]  # tag
    assert [d.slug for d in services.domain_of(by_name["elsewhere"])] == ["other-test"]
    assert services.domain_of(by_name["unknown"]) == []


def test_overview_counts_per_domain(world: dict[str, Any]) -> None:
    counts = {d.slug: c for d, c in services.overview(world["anon"])}
    assert counts["port-test"] == {"dataset": 2, "model": 0, "code": 1, "total": 3}
    assert counts["other-test"]["total"] == 1
    admin = {d.slug: c for d, c in services.overview(world["admin"])}
    assert admin["port-test"] == {"dataset": 3, "model": 1, "code": 1, "total": 5}


def test_only_operators_define_domains(world: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.domain_create(principal=world["a"], slug="nope", name_zh="不行")
    with pytest.raises(PermissionDenied):
        services.domain_update(principal=world["b"], domain=world["domain"], name_zh="改名")
    read_token = Principal(user=world["admin"].user, scope="read")
    assert is_operator(world["admin"]) and not is_operator(read_token)
    staff = User.objects.get(username="lx")
    staff.is_staff = True
    assert is_operator(Principal(user=staff))
    assert not is_operator(Principal.anonymous())


@pytest.mark.parametrize("slug", ["", "Has Space", "-lead", "trail-", "new", "x" * 65, "中文"])
def test_bad_slugs_are_refused(world: dict[str, Any], slug: str) -> None:
    with pytest.raises(InvalidInput):
        services.domain_create(principal=None, slug=slug, name_zh="名字")


def test_names_are_required_and_slugs_unique(world: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        services.domain_create(principal=None, slug="no-name", name_zh="  ")
    with pytest.raises(AlreadyExists):
        services.domain_create(principal=None, slug="PORT-TEST", name_zh="重复")


def test_an_empty_domain_has_one_month_of_zeros(world: dict[str, Any]) -> None:
    empty = Domain(slug="empty-test", name_zh="空")
    summary = services.summarize(world["admin"], empty, now=NOW)
    assert summary.repos == [] and summary.growth.months == ["2026-02", "2026-03"]
    assert summary.growth.repositories == [0, 0] and summary.growth.rows == [0, 0]
    assert summary.growth.contributors == [0, 0] and summary.growth.contributors_total == 0


def test_a_january_start_begins_in_december_and_long_histories_are_capped(
    world: dict[str, Any],
) -> None:
    months = services.summarize(world["anon"], world["domain"], now=NOW).growth.months
    assert months[0] == "2025-12"
    later = datetime(2029, 6, 1, tzinfo=UTC)
    growth = services.summarize(world["anon"], world["domain"], now=later).growth
    assert len(growth.months) == services.MAX_MONTHS and growth.months[-1] == "2029-06"
    assert growth.repositories[-1] == 3 and growth.rows[-1] == 13


def test_a_collaborator_sees_the_private_repository_they_were_granted(
    world: dict[str, Any],
) -> None:
    from nbopen.repos.collaborators import collaborator_set

    outsider = world["outsider"].user
    sec = Repository.objects.get(owner__name="lb", name="sec-data")
    collaborator_set(actor=world["b"], repo=sec, user=outsider, role="read")
    summary = services.summarize(Principal(user=outsider), world["domain"], now=NOW)
    assert _names(summary.repos) == PUBLIC | {"lb/sec-data"}
    assert summary.growth.rows == [0, 5, 12, 20]
    assert "lorg/sec-org" not in repr(services.summary_dict(summary))
