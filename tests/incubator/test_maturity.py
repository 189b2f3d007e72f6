"""Incubation: a project's maturity page fills its measured items from real platform data.

The world: two organizations whose members commit to the project's two public repositories
(real git commits, back-dated history, tags), a LICENSE file in each, an issue answered by a
member, and a private repository of the project that only its organization may read. The
expected figures below are counted from that set-up by hand, not from the code.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.collab import threads
from nbopen.core.errors import InvalidInput, PermissionDenied
from nbopen.incubator import maturity, selectors, services
from nbopen.orgs.services import member_set, org_create
from nbopen.repos.collaborators import collaborator_set
from tests.incubator.helpers import APACHE, MIT, commit, tag
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    boss, alice = make_user("boss"), make_user("alice")
    prof, bob = make_user("prof"), make_user("bob")
    dave, staff, mentor = make_user("dave"), make_user("operator1", admin=True), make_user("mentor")
    enterprise = org_create(name="port-enterprise", kind="enterprise", owner=boss)
    lab = org_create(name="yongjiang-lab", kind="university", owner=prof)
    member_set(organization=enterprise, user=alice, role="write", actor=boss)
    member_set(organization=lab, user=bob, role="write", actor=prof)
    old = timezone.now() - timedelta(days=200)
    # port-enterprise/scheduler: boss (initial commit + LICENSE), alice twice (200 days ago).
    scheduler = make_repo(boss, "port-enterprise", "scheduler", type="code")
    commit(scheduler, boss, "LICENSE", APACHE, when=old - timedelta(days=1))
    first = commit(scheduler, alice, "berth.py", "x = 1\n", when=old)
    tag(scheduler, boss, "v0.1", first)
    head = commit(scheduler, alice, "berth.py", "x = 2\n")
    tag(scheduler, boss, "v0.2", head)
    # yongjiang-lab/solver: prof (initial commit + LICENSE), bob twice.
    solver = make_repo(prof, "yongjiang-lab", "solver", type="code")
    commit(solver, prof, "LICENSE", MIT)
    commit(solver, bob, "solve.py", "y = 1\n")
    commit(solver, bob, "solve.py", "y = 2\n")
    # A private repository of the project: only port-enterprise's members read it.
    secret = make_repo(boss, "port-enterprise", "secret-plans", type="code", private=True)
    commit(secret, alice, "plan.md", "机密\n")
    issue = threads.create_thread(
        actor=Principal(user=dave), repo=solver, title="求解器超时", body="大规模时超时"
    )
    threads.comment_add(actor=Principal(user=bob), thread=issue, body="已修复")
    return {
        "boss": boss,
        "alice": alice,
        "prof": prof,
        "bob": bob,
        "dave": dave,
        "staff": staff,
        "mentor": mentor,
        "enterprise": enterprise,
        "repos": [scheduler, solver, secret],
    }


def _apply_and_accept(world: dict[str, Any]) -> Any:
    """prof applies: the lab's owner writes to solver, and boss grants him write on the
    enterprise's two repositories (a collaborator, not a member: the organizations stay)."""
    for repo in (world["repos"][0], world["repos"][2]):
        collaborator_set(
            actor=Principal(user=world["boss"]), repo=repo, user=world["prof"], role="write"
        )
    project = services.project_apply(
        actor=Principal(user=world["prof"]),
        slug="berth-suite",
        name="泊位调度套件",
        description="港口泊位调度的开放套件",
        repositories=world["repos"],
    )
    return services.project_accept(
        actor=Principal(user=world["staff"]), project=project, mentors=[world["mentor"]]
    )


def _status(items: list[maturity.Item]) -> dict[str, str]:
    return {i.id: i.status for i in items}


def test_measured_items_come_from_the_repositories(world: dict[str, Any]) -> None:
    project = _apply_and_accept(world)
    evidence, items = selectors.maturity_of(Principal.anonymous(), project)
    # What an anonymous reader sees: the two public repositories only.
    assert evidence.repositories == 2
    assert evidence.licences == {
        "port-enterprise/scheduler": "apache-2.0",
        "yongjiang-lab/solver": "mit",
    }
    # Code repositories start empty: boss 1 + alice 2 (port-enterprise), prof 1 + bob 2.
    assert evidence.commits == 6 and evidence.identified_commits == 6
    assert evidence.contributors == 4
    assert evidence.organizations == {"port-enterprise": 3, "yongjiang-lab": 3}
    # bus factor: alice 2 + bob 2 hold 4 of 6 commits.
    assert evidence.elephant_factor == 2 and evidence.bus_factor == 2
    # boss's only commit is 201 days old: alice, prof and bob are the recent contributors.
    assert evidence.recent_contributors == 3
    assert [t["name"] for t in evidence.tags] == ["v0.1", "v0.2"]
    assert evidence.median_days_between_releases == 200
    assert evidence.issues == 1 and evidence.answered_issues == 1
    assert evidence.median_response_days is not None and evidence.median_response_days < 1
    status = _status(items)
    for item in (
        "CD10",
        "CD20",
        "CD40",
        "CD50",
        "LC10",
        "RE10",
        "QU50",
        "CO20",
        "CO40",
        "CO70",
        "IN10",
    ):
        assert status[item] == "met", item
    assert status["CS30"] == "unknown" and status["LC40"] == "unknown"
    assert len(items) == 34 and {i.area for i in items} == {
        "CD",
        "LC",
        "RE",
        "QU",
        "CO",
        "CS",
        "IN",
    }
    evidence_text = {i.id: i.evidence for i in items}
    assert (
        "port-enterprise 3" in evidence_text["IN10"] and "yongjiang-lab 3" in evidence_text["IN10"]
    )


def test_a_single_organization_project_is_not_independent(world: dict[str, Any]) -> None:
    scheduler = world["repos"][0]
    evidence = maturity.measure([scheduler])
    assert evidence.organizations == {"port-enterprise": 3}
    status = _status(maturity.evaluate(evidence, {}))
    assert status["IN10"] == "not_met" and evidence.elephant_factor == 1


def test_the_private_repository_counts_only_for_its_readers(world: dict[str, Any]) -> None:
    project = _apply_and_accept(world)
    insider, _ = selectors.maturity_of(Principal(user=world["alice"]), project)
    assert insider.repositories == 3 and insider.commits == 6 + 1
    assert insider.licences["port-enterprise/secret-plans"] == ""
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = anonymous.get("/incubator/berth-suite").content.decode()
    assert "泊位调度套件" in page and "成熟度" in page and "secret-plans" not in page
    api = anonymous.get("/api/v1/incubator/berth-suite").json()
    assert api["repositories"] == ["port-enterprise/scheduler", "yongjiang-lab/solver"]
    assert "secret-plans" not in str(api)
    items = {i["id"]: i for i in api["maturity"]["items"]}
    assert items["IN10"]["status"] == "met" and items["IN10"]["measured"] is True
    member = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    member.force_login(world["alice"])
    assert "secret-plans" in member.get("/incubator/berth-suite").content.decode()


def test_mentor_override_wins_with_its_note(world: dict[str, Any]) -> None:
    project = _apply_and_accept(world)
    with pytest.raises(PermissionDenied):
        services.item_override(
            actor=Principal(user=world["dave"]),
            project=project,
            item="CS30",
            status="met",
            note="x",
        )
    with pytest.raises(InvalidInput, match="Say why"):
        services.item_override(
            actor=Principal(user=world["mentor"]),
            project=project,
            item="CS30",
            status="met",
            note=" ",
        )
    services.item_override(
        actor=Principal(user=world["mentor"]),
        project=project,
        item="cs30",
        status="met",
        note="投票规则写在 GOVERNANCE.md",
    )
    services.item_override(
        actor=Principal(user=world["mentor"]),
        project=project,
        item="IN10",
        status="not_met",
        note="两家单位同属一个集团",
    )
    _, items = selectors.maturity_of(Principal.anonymous(), project)
    by_id = {i.id: i for i in items}
    assert by_id["CS30"].status == "met" and by_id["CS30"].override_by == "mentor"
    assert by_id["IN10"].status == "not_met" and by_id["IN10"].measured
    services.item_override(
        actor=Principal(user=world["mentor"]),
        project=project,
        item="IN10",
        status="measured",
        note="",
    )
    _, items = selectors.maturity_of(Principal.anonymous(), project)
    assert _status(items)["IN10"] == "met"


def test_the_monthly_analytics_figures_join_the_evidence(world: dict[str, Any]) -> None:
    """After ``nbopen analytics compute`` has run over the platform's events, the activity and
    OpenRank of the project's repositories that month are part of the community evidence."""
    from nbopen.analytics import pipeline
    from nbopen.analytics.services import analytics_root

    project = _apply_and_accept(world)
    month = timezone.now().strftime("%Y-%m")
    root = analytics_root()
    existed = root.exists()
    try:
        pipeline.compute_months(month=month, memory_limit="1GB")
        evidence, items = selectors.maturity_of(Principal.anonymous(), project)
    finally:
        if not existed:  # leave no computed month behind for other tests
            shutil.rmtree(root, ignore_errors=True)
    assert evidence.metrics_month == month
    assert set(evidence.computed) <= {"port-enterprise/scheduler", "yongjiang-lab/solver"}
    assert evidence.computed, "the job computed no figure for the project's repositories"
    assert "OpenRank" in {i.id: i.evidence for i in items}["CO20"]
    # The private repository's figures never reach an anonymous reader.
    assert "port-enterprise/secret-plans" not in evidence.computed
