"""Incubation's life and who may do what: apply (writers only), operators accept or decline
and open and close votes, mentors vote and override, reports per quarter, each vote recorded
and the result computed; applications hidden from outsiders; the API in Gitea's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.incubator import selectors, services
from nbopen.incubator.errors import InvalidStep
from nbopen.orgs.services import org_create
from tests.incubator.helpers import commit
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    lead, outsider = make_user("lead"), make_user("outsider")
    staff, m1, m2 = make_user("operator1", admin=True), make_user("m1"), make_user("m2")
    org = org_create(name="portlab", kind="university", owner=lead)
    repo = make_repo(lead, "portlab", "yard-planner", type="code")
    commit(repo, lead, "README.md", "# yard planner\n")
    return {
        "lead": lead,
        "outsider": outsider,
        "staff": staff,
        "m1": m1,
        "m2": m2,
        "org": org,
        "repo": repo,
    }


def _apply(world: dict[str, Any]) -> Any:
    return services.project_apply(
        actor=Principal(user=world["lead"]),
        slug="yard-planner",
        name="堆场规划",
        description="堆场规划器",
        repositories=[world["repo"]],
        organization=world["org"],
    )


def test_only_writers_apply_and_applications_stay_private(world: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied, match="write access"):
        services.project_apply(
            actor=Principal(user=world["outsider"]),
            slug="stolen",
            name="x",
            description="",
            repositories=[world["repo"]],
        )
    with pytest.raises(InvalidInput, match="short name"):
        services.project_apply(
            actor=Principal(user=world["lead"]),
            slug="A!",
            name="x",
            description="",
            repositories=[world["repo"]],
        )
    project = _apply(world)
    for who in (Principal.anonymous(), Principal(user=world["outsider"])):
        with pytest.raises(NotFound):
            selectors.project_get(who, "yard-planner")
    assert selectors.project_get(Principal(user=world["staff"]), "yard-planner") == project
    assert selectors.project_get(Principal(user=world["lead"]), "yard-planner") == project
    assert Client().get("/incubator/yard-planner").status_code == 404
    assert "堆场规划" not in Client().get("/incubator").content.decode()


def test_operators_accept_mentors_vote_and_the_result_is_computed(world: dict[str, Any]) -> None:
    project = _apply(world)
    lead, staff = Principal(user=world["lead"]), Principal(user=world["staff"])
    m1, m2 = Principal(user=world["m1"]), Principal(user=world["m2"])
    with pytest.raises(PermissionDenied, match="operators"):
        services.project_accept(actor=lead, project=project, mentors=[world["m1"]])
    services.project_accept(actor=staff, project=project, mentors=[world["m1"], world["m2"]])
    with pytest.raises(InvalidStep):
        services.project_accept(actor=staff, project=project, mentors=[world["m1"]])
    assert selectors.project_get(Principal.anonymous(), "yard-planner") == project
    with pytest.raises(InvalidInput, match="2026-Q4"):
        services.report_file(actor=lead, project=project, period="Q4", body="进展")
    with pytest.raises(PermissionDenied):
        services.report_file(
            actor=Principal(user=world["outsider"]), project=project, period="2026-Q4", body="x"
        )
    services.report_file(actor=lead, project=project, period="2026-Q4", body="第一版")
    services.report_file(actor=lead, project=project, period="2026-Q4", body="第一版（修订）")
    assert [(r.period, r.body) for r in project.reports.all()] == [("2026-Q4", "第一版（修订）")]
    with pytest.raises(PermissionDenied):
        services.ballot_open(actor=m1, project=project, kind="graduate")
    ballot = services.ballot_open(actor=staff, project=project, kind="graduate")
    with pytest.raises(InvalidStep, match="already open"):
        services.ballot_open(actor=staff, project=project, kind="retire")
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=lead, ballot=ballot, value=1)
    services.vote_cast(actor=m1, ballot=ballot, value=-1)
    services.vote_cast(actor=m1, ballot=ballot, value=1, note="改票")  # replaces the first
    services.vote_cast(actor=m2, ballot=ballot, value=1)
    with pytest.raises(PermissionDenied):
        services.ballot_close(actor=m1, ballot=ballot)
    # Two mentors: three +1 votes are needed; two is not enough.
    closed = services.ballot_close(actor=staff, ballot=ballot)
    assert (closed.result, closed.yes, closed.no) == ("failed", 2, 0)
    project.refresh_from_db()
    assert project.state == "incubating"
    with pytest.raises(InvalidStep, match="closed"):
        services.vote_cast(actor=m1, ballot=closed, value=1)
    second = services.ballot_open(actor=staff, project=project, kind="graduate")
    for who, value in ((m1, 1), (m2, 1), (staff, 1)):
        services.vote_cast(actor=who, ballot=second, value=value)
    closed = services.ballot_close(actor=staff, ballot=second)
    assert (closed.result, closed.yes) == ("passed", 3)
    assert sorted(second.votes.values_list("voter__username", "value")) == [
        ("m1", 1),
        ("m2", 1),
        ("operator1", 1),
    ]
    project.refresh_from_db()
    assert project.state == "graduated"
    assert [t.to_state for t in project.transitions.all()] == ["applied", "incubating", "graduated"]
    assert project.transitions.last().note == "+1 3 · 0 0 · -1 0"  # type: ignore[union-attr]


def _api(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_flow_with_pagination(world: dict[str, Any]) -> None:
    lead, staff = _api(world["lead"]), _api(world["staff"])
    assert _post(_api(), "/api/v1/incubator", {}).status_code == 401
    created = _post(
        lead,
        "/api/v1/incubator",
        {"slug": "yard-planner", "name": "堆场规划", "repositories": ["portlab/yard-planner"]},
    )
    assert created.status_code == 201 and created.json()["state"] == "applied"
    assert (
        _post(lead, "/api/v1/incubator/yard-planner/accept", {"mentors": ["m1"]}).status_code == 403
    )
    assert _api().get("/api/v1/incubator/yard-planner").status_code == 404
    accepted = _post(staff, "/api/v1/incubator/yard-planner/accept", {"mentors": ["m1"]})
    assert accepted.status_code == 200 and accepted.json()["mentors"] == ["m1"]
    again = _post(staff, "/api/v1/incubator/yard-planner/accept", {"mentors": ["m1"]})
    assert again.status_code == 409
    report = _post(
        lead, "/api/v1/incubator/yard-planner/reports", {"period": "2026-Q4", "body": "进展"}
    )
    assert report.status_code == 201
    item = _api(world["m1"]).put(
        "/api/v1/incubator/yard-planner/maturity/CS10",
        json.dumps({"status": "met", "note": "决策者名单在 README"}),
        content_type="application/json",
    )
    cs10 = {i["id"]: i for i in item.json()["maturity"]["items"]}["CS10"]
    assert cs10["status"] == "met" and cs10["override"]["mentor"] == "m1"
    ballot = _post(staff, "/api/v1/incubator/yard-planner/votes", {"kind": "retire"}).json()
    url = f"/api/v1/incubator/yard-planner/votes/{ballot['id']}"
    assert _post(_api(world["m1"]), url, {"value": 1}).status_code == 200
    assert _post(staff, url, {"value": 2}).status_code == 400
    assert _post(staff, url, {"value": 1}).status_code == 200
    closed = _post(staff, url + "/close", {}).json()
    # One mentor: every mentor plus one operator (two +1) is enough.
    assert closed["result"] == "passed" and closed["tally"] == {"yes": 2, "no": 0, "abstain": 0}
    listing = _api().get("/api/v1/incubator?limit=1")
    assert listing.status_code == 200 and listing["X-Total-Count"] == "1"
    assert listing.json()[0]["state"] == "retired"
    doc = _api().get("/api/openapi.json").json()
    assert "/api/v1/incubator/{slug}" in doc["paths"] and "/api/v1/standards" in doc["paths"]


def test_nul_in_text_is_bad_input_not_a_server_error(world: dict[str, Any]) -> None:
    lead = _api(world["lead"])
    answer = _post(
        lead,
        "/api/v1/incubator",
        {"slug": "nul-case", "name": "a\x00b", "repositories": ["portlab/yard-planner"]},
    )
    assert answer.status_code == 400 and "NUL" in answer.json()["error"]
    answer = _post(lead, "/api/v1/incubator", {"slug": "x", "repositories": ["a\x00/b"]})
    assert answer.status_code == 400
    with pytest.raises(InvalidInput, match="NUL"):
        services.project_apply(
            actor=Principal(user=world["lead"]),
            slug="nul-case",
            name="x",
            description="\x00",
            repositories=[world["repo"]],
        )


def test_a_project_may_be_a_whole_organization_or_a_group(world: dict[str, Any]) -> None:
    from nbopen.orgs.teams import team_create, team_repo_set

    lead = Principal(user=world["lead"])
    with pytest.raises(InvalidInput, match="organization"):
        services.project_apply(
            actor=lead,
            slug="whole",
            name="x",
            description="",
            repositories=[],
            whole_organization=True,
        )
    with pytest.raises(PermissionDenied, match="admin of portlab"):
        services.project_apply(
            actor=Principal(user=world["outsider"]),
            slug="whole",
            name="x",
            description="",
            repositories=[],
            organization=world["org"],
            whole_organization=True,
        )
    whole = services.project_apply(
        actor=lead,
        slug="whole-lab",
        name="整个实验室",
        description="",
        repositories=[],
        organization=world["org"],
        whole_organization=True,
    )
    later = make_repo(world["lead"], "portlab", "later-tool", type="code")
    hidden = make_repo(world["lead"], "portlab", "hidden-tool", type="code", private=True)
    names = [r.full_name for r in selectors.readable_repositories(lead, whole)]
    assert names == ["portlab/hidden-tool", "portlab/later-tool", "portlab/yard-planner"]
    names = [r.full_name for r in selectors.readable_repositories(Principal.anonymous(), whole)]
    assert names == ["portlab/later-tool", "portlab/yard-planner"]
    team = team_create(actor=lead, org=world["org"], name="berth-group", display_name="泊位小组")
    team_repo_set(actor=lead, team=team, repo=later, role="write")
    group = services.project_apply(
        actor=lead,
        slug="berth-group",
        name="泊位小组",
        description="",
        repositories=[],
        team=team,
    )
    assert group.organization == world["org"]
    assert [r.full_name for r in selectors.readable_repositories(lead, group)] == [
        "portlab/later-tool"
    ]
    assert hidden.private
