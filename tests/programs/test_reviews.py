"""Review panels over HTTP: scoring forms, automatic and declared conflicts that hide an
application (404 as for an unknown id), publication of scores and reviewer names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.collab.models import Thread
from nbopen.core import events
from nbopen.orgs.services import member_set, org_create
from nbopen.programs import reviews, services
from tests.programs.test_api import _auth, api  # noqa: F401  (fixture)
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel() -> dict[str, Any]:
    boss, staff = make_user("boss"), make_user("operator1", admin=True)
    head_a, head_b = make_user("heada"), make_user("headb")
    insider, coauthor, expert = make_user("insider"), make_user("coauthor"), make_user("expert")
    org = org_create(name="portco", kind="enterprise", owner=boss)
    lab_a = org_create(name="laba", kind="university", owner=head_a)
    lab_b = org_create(name="labb", kind="university", owner=head_b)
    member_set(organization=lab_a, user=insider, role="write", actor=head_a)
    call = services.call_create(
        actor=Principal(user=boss), organization=org, title="泊位调度", details={"budget": 10}
    )
    for who, to in ((boss, "review"), (staff, "published"), (boss, "applications")):
        call = services.call_transition(actor=Principal(user=who), call=call, to=to)
    app_a = services.application_create(
        actor=Principal(user=head_a), call=call, organization=lab_a, proposal="A 方案"
    )
    app_b = services.application_create(
        actor=Principal(user=head_b), call=call, organization=lab_b, proposal="B 方案"
    )
    return locals()


def _base(p: dict[str, Any]) -> str:
    return f"/api/v1/calls/{p['call'].pk}"


def test_panel_scoring_and_publication(api: Any, panel: dict[str, Any]) -> None:  # noqa: F811
    p = panel
    boss, expert, head_b = _auth(p["boss"]), _auth(p["expert"]), _auth(p["head_b"])
    base = _base(p)
    form = {"criteria": [{"name": "技术", "weight": 3}, {"name": "团队", "weight": 1}]}
    assert api("patch", f"{base}/panel", expert, form).status_code == 403
    assert (
        api("patch", f"{base}/panel", boss, {"criteria": [{"name": "x", "weight": 0}]}).status_code
        == 422
    )
    assert api("patch", f"{base}/panel", boss, form).json()["criteria"][0]["weight"] == 3
    assert api("put", f"{base}/panel/reviewers/expert", boss).status_code == 204
    assert api("put", f"{base}/panel/reviewers/nobody", boss).status_code == 404
    # The reviewer now reads both applications; before being named, neither.
    url_b = f"{base}/applications/{p['app_b'].pk}"
    assert api("get", url_b, _auth(p["coauthor"])).status_code == 404
    assert api("get", url_b, expert).status_code == 200
    assert len(api("get", f"{base}/applications", expert).json()) == 2

    bad = api("post", f"{url_b}/reviews", expert, {"scores": {"技术": 6, "团队": 3}})
    assert bad.status_code == 422 and "1 to 5" in bad.json()["error"]
    missing = api("post", f"{url_b}/reviews", expert, {"scores": {"技术": 4}})
    assert missing.status_code == 422 and "团队" in missing.json()["error"]
    done = api(
        "post", f"{url_b}/reviews", expert, {"scores": {"技术": 5, "团队": 1}, "comment": "好"}
    )
    assert done.status_code == 201 and done.json()["total"] == 4.0  # (3·5 + 1·1) / 4
    # Revising replaces the form; the criteria are then frozen.
    api("post", f"{url_b}/reviews", expert, {"scores": {"技术": 4, "团队": 4}})
    assert len(api("get", f"{url_b}/reviews", boss).json()) == 1
    frozen = api("patch", f"{base}/panel", boss, {"criteria": [{"name": "新", "weight": 1}]})
    assert frozen.status_code == 409

    # The applicant sees neither scores nor who reviewed, until the organization publishes.
    assert api("get", f"{url_b}/reviews", head_b).json() == []
    assert api("get", f"{base}/panel", head_b).json()["reviewers"] is None
    decided = api(
        "post",
        f"{url_b}/decision",
        boss,
        {"status": "accepted", "reasons": "技术方案最完整"},
    )
    assert decided.json()["decision_reasons"] == "技术方案最完整"
    assert api("get", url_b, head_b).json()["status"] == "accepted"
    api("patch", f"{base}/panel", boss, {"published": True})
    shown = api("get", f"{url_b}/reviews", head_b).json()
    assert [(r["reviewer"], r["total"]) for r in shown] == [("expert", 4.0)]
    assert api("get", f"{base}/panel", head_b).json()["reviewers"] == ["expert"]


def test_a_reviewer_of_the_applying_organization_cannot_see_its_application(
    api: Any,  # noqa: F811
    panel: dict[str, Any],
) -> None:
    p = panel
    base = _base(p)
    reviews.reviewer_add(actor=Principal(user=p["boss"]), call=p["call"], user=p["insider"])
    insider = _auth(p["insider"])
    url_a = f"{base}/applications/{p['app_a'].pk}"
    unknown = api("get", f"{base}/applications/999999", insider)
    hidden = api("get", url_a, insider)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["error"] == unknown.json()["error"]
    assert [a["id"] for a in api("get", f"{base}/applications", insider).json()] == [p["app_b"].pk]
    for method, suffix, body in (
        ("get", "/reviews", None),
        ("post", "/reviews", {"scores": {}}),
        ("post", "/conflict", {"reason": "x"}),
    ):
        assert api(method, url_a + suffix, insider, body).status_code == 404
    # The organization's admins see why.
    conflicts = api("get", f"{base}/panel", _auth(p["boss"])).json()["conflicts"]
    assert conflicts == [
        {
            "reviewer": "insider",
            "application": p["app_a"].pk,
            "reasons": [{"kind": "organization", "detail": "laba"}],
        }
    ]
    # The page does not show it either.
    from django.test import Client

    browser = Client()
    browser.force_login(p["insider"])
    page = browser.get(f"/calls/{p['call'].pk}").content.decode()
    assert "B 方案" in page and "A 方案" not in page


def test_recent_coauthorship_and_self_declaration(api: Any, panel: dict[str, Any]) -> None:  # noqa: F811
    p = panel
    base = _base(p)
    boss = Principal(user=p["boss"])
    reviews.reviewer_add(actor=boss, call=p["call"], user=p["coauthor"])
    reviews.reviewer_add(actor=boss, call=p["call"], user=p["expert"])
    shared = make_repo(p["head_b"], "headb", "quay-sim", description="码头仿真")
    url_b = f"{base}/applications/{p['app_b'].pk}"
    assert api("get", url_b, _auth(p["coauthor"])).status_code == 200
    events.record("repo.push", actor=p["head_b"], repository=shared)
    # A pull request older than twelve months is no conflict any more.
    old = Thread.objects.create(
        repository=shared, number=1, kind=Thread.Kind.PULL, title="旧 PR", author=p["coauthor"]
    )
    Thread.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    assert api("get", url_b, _auth(p["coauthor"])).status_code == 200
    Thread.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=300))
    assert api("get", url_b, _auth(p["coauthor"])).status_code == 404
    Thread.objects.filter(pk=old.pk).delete()
    assert api("get", url_b, _auth(p["coauthor"])).status_code == 200
    events.record("repo.push", actor=p["coauthor"], repository=shared)
    assert api("get", url_b, _auth(p["coauthor"])).status_code == 404
    found = reviews.conflicts_of(p["coauthor"], p["app_b"])
    assert [(c.kind, c.detail) for c in found] == [("coauthorship", "headb/quay-sim")]

    expert = _auth(p["expert"])
    assert api("get", url_b, expert).status_code == 200
    assert api("post", f"{url_b}/conflict", expert, {"reason": "前同事"}).status_code == 204
    assert api("get", url_b, expert).status_code == 404
    assert [a["id"] for a in api("get", f"{base}/applications", expert).json()] == [p["app_a"].pk]
    # A non-reviewer cannot declare (and learns nothing about other applications).
    outsider = api("post", f"{url_b}/conflict", _auth(p["head_a"]), {"reason": "x"})
    assert outsider.status_code == 404


def test_the_panel_from_the_pages(panel: dict[str, Any]) -> None:
    from django.test import Client

    p = panel
    url = f"/calls/{p['call'].pk}"
    boss, expert, head_b = Client(), Client(), Client()
    boss.force_login(p["boss"])
    expert.force_login(p["expert"])
    head_b.force_login(p["head_b"])
    boss.post(f"{url}/panel", {"action": "add", "username": "expert"})
    boss.post(f"{url}/panel", {"action": "criteria", "criteria": "技术: 2\n成本"})
    p["call"].refresh_from_db()
    assert p["call"].review_criteria == [
        {"name": "技术", "weight": 2},
        {"name": "成本", "weight": 1},
    ]
    bad = boss.post(f"{url}/panel", {"action": "criteria", "criteria": "技术: 重"}, follow=True)
    assert "名称: 权重" in bad.content.decode()  # the error, in the page's language
    app = p["app_b"].pk
    expert.post(
        f"{url}/applications/{app}/review", {"score-0": "5", "score-1": "2", "comment": "可行"}
    )
    assert reviews.Review.objects.get(application_id=app).total == 4.0
    boss.post(f"{url}/applications/{app}/decision", {"status": "shortlisted", "reasons": "入围"})
    p["app_b"].refresh_from_db()
    assert (p["app_b"].status, p["app_b"].decision_reasons) == ("shortlisted", "入围")
    # Before publication the applicant's page carries no score and no reviewer name.
    page = head_b.get(url).content.decode()
    assert "B 方案" in page and "expert" not in page and "可行" not in page
    boss.post(
        f"{url}/panel", {"action": "criteria", "criteria": "技术: 2\n成本", "published": "on"}
    )
    page = head_b.get(url).content.decode()
    assert "expert" in page and "可行" in page


def test_hostile_scores_and_text_are_refused_or_cleaned(panel: dict[str, Any]) -> None:
    from nbopen.programs.errors import InvalidCall

    p = panel
    boss = Principal(user=p["boss"])
    reviews.panel_configure(
        actor=boss, call=p["call"], criteria=[{"name": "技\x00术", "weight": 1}]
    )
    assert p["call"].review_criteria == [{"name": "技术", "weight": 1}]
    reviews.reviewer_add(actor=boss, call=p["call"], user=p["expert"])
    expert = Principal(user=p["expert"])
    for bad in ("²", "9" * 5000, True, 0, 6, 2.5, None):
        with pytest.raises(InvalidCall):
            reviews.review_submit(actor=expert, application=p["app_b"], scores={"技术": bad})
    done = reviews.review_submit(
        actor=expert, application=p["app_b"], scores={"技术": "4"}, comment="好\x00的"
    )
    done.refresh_from_db()  # stored on PostgreSQL too: no NUL reaches it
    assert (done.total, done.comment) == (4.0, "好的")
