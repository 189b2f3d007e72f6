"""The /calls pages in Chinese: list with a state filter, details with the public timeline,
the apply form, matches for the issuing organization's admins only, drafts hidden."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.orgs.services import org_create
from nbopen.programs import services
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    boss, staff, lab = make_user("boss"), make_user("operator1", admin=True), make_user("lab")
    org = org_create(name="portco", kind="enterprise", owner=boss)
    org_create(name="portlab", kind="university", owner=lab)
    make_repo(lab, "portlab", "berth-scheduler", description="港口泊位分配与调度")
    published = services.call_create(
        actor=Principal(user=boss),
        organization=org,
        title="港口智能调度",
        details={"description": "泊位分配与调度优化", "budget": 100, "tags": ["港口"]},
    )
    services.call_transition(actor=Principal(user=boss), call=published, to="review")
    services.call_transition(actor=Principal(user=staff), call=published, to="published")
    draft = services.call_create(
        actor=Principal(user=boss), organization=org, title="保密草稿", details={}
    )
    return {"boss": boss, "lab": lab, "published": published, "draft": draft}


def _as(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def test_the_list_and_details_in_chinese(world: dict[str, Any]) -> None:
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    listing = anonymous.get("/calls").content.decode()
    assert "揭榜挂帅" in listing and "港口智能调度" in listing and "保密草稿" not in listing
    assert "港口智能调度" not in anonymous.get("/calls?state=draft").content.decode()
    assert anonymous.get(f"/calls/{world['draft'].pk}").status_code == 404
    detail = anonymous.get(f"/calls/{world['published'].pk}").content.decode()
    assert "进程公示" in detail and "operator1" in detail and "已发布" in detail
    assert "推荐揭榜方" not in detail and "berth-scheduler" not in detail
    admin_view = _as(world["boss"]).get(f"/calls/{world['published'].pk}").content.decode()
    assert "推荐揭榜方" in admin_view and "portlab/berth-scheduler" in admin_view
    # The embedding ranker's reason, translated: the repository it is closest in meaning to.
    assert '语义相近: <a href="/portlab/berth-scheduler">' in admin_view
    assert "保密草稿" in _as(world["boss"]).get("/calls").content.decode()


def test_applying_and_recording_a_step_from_the_page(world: dict[str, Any]) -> None:
    call = world["published"]
    lab = _as(world["lab"])
    sent = lab.post(
        f"/calls/{call.pk}/apply",
        {
            "organization": "portlab",
            "proposal": "我们的方案",
            "evidence": "portlab/berth-scheduler",
        },
    )
    assert sent.status_code == 302
    assert call.applications.get().applicant_org.name == "portlab"
    refused = lab.post(f"/calls/{call.pk}/transition", {"to": "applications"}, follow=True)
    assert "需要是 portco 的管理员才能管理其榜单" in refused.content.decode()
    boss = _as(world["boss"])
    boss.post(f"/calls/{call.pk}/transition", {"to": "applications", "note": "开始揭榜"})
    page = boss.get(f"/calls/{call.pk}").content.decode()
    assert "开始揭榜" in page and "我们的方案" in page and "揭榜中" in page
