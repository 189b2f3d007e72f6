"""The operators' programs report: figures from real calls, exports, operators only."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.core.errors import AlreadyExists, PermissionDenied
from nbopen.orgs.services import org_create
from nbopen.programs import report, services
from nbopen.programs.errors import InvalidTransition
from tests.search.helpers import make_user

pytestmark = pytest.mark.django_db


def _taken(boss: Any, staff: Any, org: Any, winner: Any, head: Any, title: str, budget: int) -> Any:
    call = services.call_create(
        actor=Principal(user=boss),
        organization=org,
        title=title,
        details={
            "budget": budget,
            "milestones": [
                {"name": "M1", "amount": budget // 2},
                {"name": "M2", "amount": budget - budget // 2},
            ],
        },
    )
    for who, to in ((boss, "review"), (staff, "published"), (boss, "applications")):
        call = services.call_transition(actor=Principal(user=who), call=call, to=to)
    app = services.application_create(
        actor=Principal(user=head), call=call, organization=winner, proposal="方案"
    )
    services.application_decide(
        actor=Principal(user=boss), application=app, status="accepted", reasons="最好"
    )
    for to in ("shortlist", "negotiation", "contracted"):
        call = services.call_transition(actor=Principal(user=boss), call=call, to=to)
    return call


def test_the_city_report_and_its_exports() -> None:
    boss, staff = make_user("boss"), make_user("operator1", admin=True)
    uni_head, co_head, far_head = make_user("unihead"), make_user("cohead"), make_user("farhead")
    org = org_create(name="portco", kind="enterprise", owner=boss)
    org.industry_tags = ["港口"]
    org.save()
    uni = org_create(name="nbu", kind="university", owner=uni_head, region="浙江宁波")
    co = org_create(name="nbco", kind="enterprise", owner=co_head, region="Ningbo")
    far = org_create(name="farlab", kind="university", owner=far_head, region="北京")
    a = _taken(boss, staff, org, uni, uni_head, "泊位", 100)
    _taken(boss, staff, org, co, co_head, "集卡", 300)
    _taken(boss, staff, org, far, far_head, "堆场", 600)
    services.call_create(actor=Principal(user=boss), organization=org, title="草稿", details={})

    with pytest.raises(InvalidTransition):
        services.milestone_pay(
            actor=Principal(user=boss),
            call=services.call_create(
                actor=Principal(user=boss), organization=org, title="未签", details={}
            ),
            number=1,
        )
    web_boss = Client()
    web_boss.force_login(boss)
    assert "/milestones/1/payment" in web_boss.get(f"/calls/{a.pk}").content.decode()
    web_boss.post(f"/calls/{a.pk}/milestones/1/payment")  # the page's button
    a.refresh_from_db()
    assert a.milestones[0]["paid"] is True and "paid" not in a.milestones[1]
    assert "milestone-paid" in web_boss.get(f"/calls/{a.pk}").content.decode()
    with pytest.raises(AlreadyExists):
        services.milestone_pay(actor=Principal(user=boss), call=a, number=1)
    with pytest.raises(PermissionDenied):
        report.city_report(Principal(user=boss))

    data = report.city_report(Principal(user=staff))
    s = data["summary"]
    assert (s["calls"], s["taken"], s["money_committed"], s["money_paid"]) == (5, 3, 1000, 50)
    assert s["local_share"] == round(2 / 3, 3)
    assert {r["state"]: r["calls"] for r in data["by_state"]}["draft"] == 2
    assert data["by_industry"] == [{"industry": "港口", "calls": 5}]
    takers = {r["kind"]: r["calls"] for r in data["takers"]}
    assert takers == {
        "local_university": 1,
        "local_enterprise": 1,
        "local_other": 0,
        "non_local": 1,
        "individual": 0,
    }
    assert len(data["days_to_contract"]) == 3 and all(
        d["days"] >= 0 for d in data["days_to_contract"]
    )

    # The extension point: another app's section joins the report and its exports.
    report.register_section("incubator", lambda p: {"projects": [{"name": "x", "maturity": 3}]})
    try:
        web = Client()
        web.force_login(staff)
        page = web.get("/calls/report")
        html = page.content.decode()
        assert page.status_code == 200 and re.search(r"money-committed\">¥1,?000<", html), html[
            -3000:
        ]
        zipped = web.get("/calls/report?format=csv")
        assert zipped["Content-Type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
        assert any("takers" in n for n in names) and any("incubator" in n for n in names)
        assert web.get("/calls/report?format=json").json()["summary"]["money_paid"] == 50
    finally:
        report._SECTIONS.pop("incubator", None)
    outsider = Client()
    outsider.force_login(boss)
    assert outsider.get("/calls/report").status_code == 404
    assert Client().get("/calls/report").status_code in (302, 401)
