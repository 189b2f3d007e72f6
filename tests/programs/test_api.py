"""The calls API end to end over HTTP: flow, visibility, errors, matches; every response is
checked against the schema the OpenAPI document declares for it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from nbopen.accounts.services import token_create
from nbopen.hubapi.openapi import document
from nbopen.orgs.services import org_create
from tests.e2e.test_openapi import _check
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


def _auth(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user).secret}"}


@pytest.fixture
def api(client: Client) -> Any:
    doc = document()

    def call(method: str, url: str, who: dict[str, str] | None = None, body: Any = None) -> Any:
        kwargs: dict[str, Any] = dict(who or {})
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(url, **kwargs)
        _check(doc, response, method, url)
        return response

    return call


@pytest.fixture
def people() -> dict[str, dict[str, str]]:
    boss, staff, lab_head = make_user("boss"), make_user("operator1", admin=True), make_user("lab")
    outsider = make_user("outsider")
    org_create(name="portco", kind="enterprise", owner=boss)
    org_create(name="portlab", kind="university", owner=lab_head)
    make_repo(lab_head, "portlab", "berth-scheduler", description="港口泊位分配与调度优化")
    make_repo(lab_head, "portlab", "secret-quay", private=True, description="港口 调度 机密码头")
    make_repo(lab_head, "lab", "berth-notes", description="泊位分配 学习笔记")
    return {
        "boss": _auth(boss),
        "staff": _auth(staff),
        "lab": _auth(lab_head),
        "outsider": _auth(outsider),
    }


NEW_CALL = {
    "organization": "portco",
    "title": "港口智能调度",
    "description": "集装箱码头泊位分配与调度优化，降低船舶在港时间",
    "tags": ["港口", "调度"],
    "budget": {
        "total": 1000000,
        "milestones": [
            {"name": "原型", "amount": 400000, "due": "2027-06-01"},
            {"name": "验收", "amount": 600000, "due": "2027-12-01"},
        ],
    },
    "deadline": "2027-03-01",
    "execution_start": "2027-04-01",
    "execution_end": "2027-12-31",
}


def test_the_whole_flow_with_a_public_timeline(api: Any, people: dict[str, Any]) -> None:
    created = api("post", "/api/v1/calls", people["boss"], NEW_CALL)
    assert created.status_code == 201, created.json()
    call = created.json()
    assert call["state"] == "draft" and call["budget"]["total"] == 1000000
    url = f"/api/v1/calls/{call['id']}"

    # A draft is the organization's business: outsiders and anonymous visitors get 404.
    assert api("get", url, people["outsider"]).status_code == 404
    assert api("get", url).status_code == 404
    assert api("get", "/api/v1/calls", people["outsider"]).json() == []
    assert api("get", url, people["staff"]).status_code == 200

    out_of_order = api("post", f"{url}/transition", people["boss"], {"to": "shortlist"})
    assert out_of_order.status_code == 409
    assert "cannot move to shortlist; next: review" in out_of_order.json()["error"]
    assert api("post", f"{url}/transition", people["boss"], {"to": "review"}).status_code == 200
    assert api("post", f"{url}/transition", people["boss"], {"to": "published"}).status_code == 403
    assert api("post", f"{url}/transition", people["staff"], {"to": "published"}).status_code == 200
    api("post", f"{url}/transition", people["boss"], {"to": "applications"})
    assert api("get", url).status_code == 200  # public now
    fits = api("get", "/api/v1/users/lab/matched-calls").json()
    assert [f["call"]["id"] for f in fits] == [call["id"]]
    assert any("泊位" in r.get("terms", []) for r in fits[0]["reasons"])

    applied = api(
        "post",
        f"{url}/applications",
        people["lab"],
        {
            "organization": "portlab",
            "proposal": "# 方案\n强化学习泊位分配",
            "budget_plan": [{"item": "研发", "amount": 1000000}],
            "evidence": ["portlab/berth-scheduler", "portlab/secret-quay"],
        },
    )
    assert applied.status_code == 201, applied.json()
    app_id = applied.json()["id"]
    seen_by_issuer = api("get", f"{url}/applications", people["boss"])
    assert seen_by_issuer["X-Total-Count"] == "1"
    assert seen_by_issuer.json()[0]["evidence"] == ["portlab/berth-scheduler"]
    assert api("get", f"{url}/applications", people["outsider"]).json() == []
    assert api("get", f"{url}/applications").json() == []

    api("post", f"{url}/transition", people["boss"], {"to": "shortlist"})
    decided = api(
        "post",
        f"{url}/applications/{app_id}/decision",
        people["boss"],
        {"status": "shortlisted", "reasons": "相关仓库下载量高"},
    )
    assert decided.json()["status"] == "shortlisted"
    mine = api("get", f"{url}/applications", people["lab"]).json()
    assert mine[0]["decision_reasons"] == "相关仓库下载量高"
    for step in ("negotiation", "contracted", "in_progress", "acceptance", "closed"):
        assert api("post", f"{url}/transition", people["boss"], {"to": step}).status_code == 200
    timeline = api("get", url).json()["timeline"]
    assert [t["to"] for t in timeline] == [
        "draft", "review", "published", "applications", "shortlist",
        "negotiation", "contracted", "in_progress", "acceptance", "closed",
    ]  # fmt: skip
    assert timeline[2]["actor"] == "operator1" and all(t["at"] for t in timeline)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"budget": {"total": 100, "milestones": [{"amount": 30}, {"amount": 30}]}},
            "add up to 60",
        ),
        ({"deadline": "2027-05-01", "execution_start": "2027-04-01"}, "Dates out of order"),
        ({"deadline": "soon"}, "deadline must be a date"),
        ({"budget": -5}, "budget must be a non-negative number"),
        ({"title": ""}, "needs a title"),
    ],
)
def test_inconsistent_calls_are_422_with_a_clear_message(
    api: Any, people: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    refused = api("post", "/api/v1/calls", people["boss"], {**NEW_CALL, **change})
    assert refused.status_code == 422
    assert message in refused.json()["error"]


def test_only_the_org_admins_create_and_patch(api: Any, people: dict[str, Any]) -> None:
    assert api("post", "/api/v1/calls", people["outsider"], NEW_CALL).status_code == 403
    assert api("post", "/api/v1/calls", None, NEW_CALL).status_code == 401
    call = api("post", "/api/v1/calls", people["boss"], NEW_CALL).json()
    patched = api("patch", f"/api/v1/calls/{call['id']}", people["boss"], {"title": "新标题"})
    assert patched.json()["title"] == "新标题"
    bad = api("patch", f"/api/v1/calls/{call['id']}", people["boss"], {"budget": 5})
    assert bad.status_code == 422 and "add up to 1000000 but the budget is 5" in bad.json()["error"]


def test_matches_rank_the_related_lab_first_and_hide_private_words(
    api: Any, people: dict[str, Any]
) -> None:
    call = api("post", "/api/v1/calls", people["boss"], NEW_CALL).json()
    url = f"/api/v1/calls/{call['id']}/matches"
    assert api("get", url, people["outsider"]).status_code == 404  # still a draft
    found = api("get", url, people["boss"])
    assert found.status_code == 200
    top = found.json()[0]
    assert top["candidate"] == {"type": "org", "name": "portlab"}
    kinds = {r["kind"]: r for r in top["reasons"]}
    assert "泊位" in kinds["keywords"]["terms"]
    assert kinds["repository"]["repository"] == "portlab/berth-scheduler"
    # 码头 is in the call and only in portlab's private repository: an operator, who may read
    # that repository, sees it among the shared keywords; the issuer's admin does not.
    assert "secret-quay" not in found.content.decode() and "码头" not in found.content.decode()
    operator = api("get", url, people["staff"]).json()[0]
    assert "码头" in next(r for r in operator["reasons"] if r["kind"] == "keywords")["terms"]
    assert api("get", "/api/v1/users/nobody-here/matched-calls").status_code == 404
