"""Issue 16's acceptance for open calls, end to end over HTTP: an enterprise publishes a call
linked to a competition, two labs apply, a conflicted reviewer cannot see the application of
their own organization, the matcher ranks the lab with related repositories and a competition
rank above the one without (and says why), the contract and acceptance are recorded, and the
public timeline shows each step."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.challenges import services as challenges
from nbopen.challenges.models import Submission
from nbopen.orgs.services import member_set, org_create
from tests.programs.test_api import _auth, api  # noqa: F401  (fixture)
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


def _competition_with_final_ranks(host: Any, org: Any, winner: Any, other: Any) -> Any:
    """A real competition of the enterprise: published, two teams scored, closed (the
    close records the final ranks the matcher reads)."""
    host_p = Principal(user=host)
    comp = challenges.competition_create(
        actor=host_p,
        organization=org,
        slug="berth-bench",
        title="泊位调度算法挑战赛",
        overview="集装箱码头泊位分配与调度",
        datasets=[],
        metric="accuracy",
        start=timezone.now() - dt.timedelta(hours=2),
    )
    challenges.ground_truth_set(
        actor=host_p, competition=comp, source=io.BytesIO(b"id,target\na,1\n")
    )
    challenges.competition_publish(actor=host_p, competition=comp)
    phase = comp.phases.get()
    for user, score in ((winner, 0.9), (other, 0.4)):
        team = challenges.join(
            actor=Principal(user=user), competition=comp, team_name=user.username
        )
        Submission.objects.create(
            competition=comp,
            phase=phase,
            team=team,
            file_oid="x",
            state=Submission.State.FINISHED,
            scores={"public": {"accuracy": score}, "private": {"accuracy": score}},
        )
    challenges.competition_close(actor=host_p, competition=comp)
    return comp


def test_open_call_acceptance(api: Any) -> None:  # noqa: F811
    boss, staff = make_user("boss"), make_user("operator1", admin=True)
    alice, bob, carol, solo = (
        make_user("alice"),
        make_user("bob"),
        make_user("carol"),
        make_user("solo"),
    )
    portco = org_create(name="portco", kind="enterprise", owner=boss)
    portlab = org_create(name="portlab", kind="university", owner=alice)
    genlab = org_create(name="genlab", kind="university", owner=bob)
    genlab.description = "通用数据实验室 港口"
    genlab.save()
    portlab.industry_tags = ["港口", "航运"]
    portlab.save()
    member_set(organization=genlab, user=carol, role="write", actor=bob)
    make_repo(alice, "portlab", "berth-scheduler", description="集装箱码头泊位分配与调度优化")
    make_repo(bob, "genlab", "web-crawler", description="网页爬虫")
    # The competition rank belongs to a lab member; an unaffiliated player ranks second.
    comp = _competition_with_final_ranks(boss, portco, alice, solo)

    B, S, A, Bob, C = (_auth(u) for u in (boss, staff, alice, bob, carol))
    created = api(
        "post",
        "/api/v1/calls",
        B,
        {
            "organization": "portco",
            "title": "港口泊位智能调度",
            "description": "集装箱码头泊位分配与调度优化，验收以泊位调度挑战赛私榜成绩为准",
            "tags": ["港口", "调度"],
            "budget": {"total": 500000, "milestones": [{"name": "验收", "amount": 500000}]},
            "eligibility": ["university"],
            "competition": comp.slug,
        },
    )
    assert created.status_code == 201, created.json()
    call = created.json()
    assert call["competition"] == "berth-bench"
    url = f"/api/v1/calls/{call['id']}"

    def step(who: dict[str, str], to: str, note: str = "") -> None:
        moved = api("post", f"{url}/transition", who, {"to": to, "note": note})
        assert moved.status_code == 200, moved.json()

    step(B, "review")
    step(S, "published")
    step(B, "applications")

    apps = {}
    for who, org, text in ((A, "portlab", "强化学习泊位调度"), (Bob, "genlab", "通用方案")):
        made = api("post", f"{url}/applications", who, {"organization": org, "proposal": text})
        assert made.status_code == 201, made.json()
        apps[org] = made.json()["id"]

    # The panel: carol (a member of genlab) is named; she never sees genlab's application.
    api(
        "patch",
        f"{url}/panel",
        B,
        {"criteria": [{"name": "技术", "weight": 2}, {"name": "团队", "weight": 1}]},
    )
    assert api("put", f"{url}/panel/reviewers/carol", B).status_code == 204
    listed = api("get", f"{url}/applications", C).json()
    assert [a["id"] for a in listed] == [apps["portlab"]]
    assert api("get", f"{url}/applications/{apps['genlab']}", C).status_code == 404
    assert api("get", f"{url}/applications/{apps['portlab']}", C).status_code == 200
    reviewed = api(
        "post",
        f"{url}/applications/{apps['portlab']}/reviews",
        C,
        {"scores": {"技术": 5, "团队": 4}, "comment": "方案扎实"},
    )
    assert reviewed.status_code == 201

    # The matcher: portlab (related repository + rank 1 in the linked competition) first.
    matches = api("get", f"{url}/matches", B).json()
    names = [m["candidate"]["name"] for m in matches]
    assert names[0] == "portlab"
    assert "genlab" not in names or names.index("genlab") > names.index("portlab")
    why = {r["kind"]: r for r in matches[0]["reasons"]}
    assert why["repository"]["repository"] == "portlab/berth-scheduler"
    assert why["competition"] == {
        "kind": "competition",
        "competition": "berth-bench",
        "rank": 1,
        "linked": True,
    }
    assert "港口" in why["tags"]["tags"]

    # Decisions with reasons, then the contract and the acceptance, each on the timeline.
    step(B, "shortlist")
    for org, status, reasons in (
        ("portlab", "accepted", "评审均分最高，竞赛私榜第一"),
        ("genlab", "rejected", "缺少相关成果"),
    ):
        decided = api(
            "post",
            f"{url}/applications/{apps[org]}/decision",
            B,
            {"status": status, "reasons": reasons},
        )
        assert decided.status_code == 200 and decided.json()["status"] == status
    # The applicant sees the decision and its reasons, but no score or reviewer yet.
    mine = api("get", f"{url}/applications/{apps['portlab']}", A).json()
    assert mine["decision_reasons"] == "评审均分最高，竞赛私榜第一"
    assert api("get", f"{url}/applications/{apps['portlab']}/reviews", A).json() == []
    step(B, "negotiation")
    step(B, "contracted", "合同 NB-2027-001 已签署，承接方 portlab")
    step(B, "in_progress")
    step(B, "acceptance", "验收：berth-bench 私榜第一")
    step(B, "closed", "验收通过，尾款支付")

    public = api("get", url).json()  # anonymous
    assert [t["to"] for t in public["timeline"]] == [
        "draft",
        "review",
        "published",
        "applications",
        "shortlist",
        "negotiation",
        "contracted",
        "in_progress",
        "acceptance",
        "closed",
    ]
    assert all(t["actor"] for t in public["timeline"])
    notes = {t["to"]: t["note"] for t in public["timeline"]}
    assert "NB-2027-001" in notes["contracted"] and "私榜第一" in notes["acceptance"]
    page = Client().get(f"/calls/{call['id']}").content.decode()
    for text in ("NB-2027-001", "验收通过", "operator1"):
        assert text in page
    # Nothing of the applications reaches the anonymous page.
    assert "强化学习泊位调度" not in page and "方案扎实" not in page
