"""Applications to a call: who may apply, who may read them, evidence privacy, decisions."""

from __future__ import annotations

from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.core.errors import AlreadyExists, PermissionDenied
from nbopen.orgs.services import org_create
from nbopen.programs import selectors, services
from nbopen.programs.errors import InvalidCall, InvalidTransition
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_call() -> dict[str, Any]:
    boss, staff = make_user("boss"), make_user("operator1", admin=True)
    lab_head, dev, outsider = make_user("labhead"), make_user("dev"), make_user("outsider")
    org = org_create(name="portco", kind="enterprise", owner=boss)
    lab = org_create(name="portlab", kind="university", owner=lab_head)
    call = services.call_create(
        actor=Principal(user=boss),
        organization=org,
        title="港口智能调度",
        details={"budget": 10, "eligibility": ["university", "individual"]},
    )
    for who, to in ((boss, "review"), (staff, "published"), (boss, "applications")):
        call = services.call_transition(actor=Principal(user=who), call=call, to=to)
    return locals()


def test_an_application_is_read_by_applicant_issuer_admins_and_operators(
    open_call: dict[str, Any],
) -> None:
    o = open_call
    make_repo(o["lab_head"], "portlab", "berth-planner", description="泊位计划")
    make_repo(o["lab_head"], "portlab", "secret-sauce", private=True)
    app = services.application_create(
        actor=Principal(user=o["lab_head"]),
        call=o["call"],
        organization=o["lab"],
        proposal="# 方案\n基于强化学习的泊位调度",
        budget_plan=[{"item": "算力", "amount": 10}],
        evidence=["portlab/berth-planner", "portlab/secret-sauce"],
    )
    readers = {"lab_head": True, "boss": True, "staff": True, "outsider": False, "dev": False}
    for name, expected in readers.items():
        principal = Principal(user=o[name])
        assert (app in selectors.visible_applications(principal, o["call"])) is expected, name
    # The issuer's admin sees the public evidence, not the applicant's private repository.
    assert selectors.evidence_names(Principal(user=o["boss"]), app) == ["portlab/berth-planner"]
    assert len(selectors.evidence_names(Principal(user=o["lab_head"]), app)) == 2

    with pytest.raises(InvalidCall, match="needs its reasons"):
        services.application_decide(
            actor=Principal(user=o["boss"]), application=app, status="shortlisted", reasons=" "
        )
    with pytest.raises(PermissionDenied):
        services.application_decide(
            actor=Principal(user=o["lab_head"]), application=app, status="accepted", reasons="me"
        )
    decided = services.application_decide(
        actor=Principal(user=o["boss"]), application=app, status="shortlisted", reasons="证据充分"
    )
    assert (decided.status, decided.decision_reasons, decided.decided_by) == (
        "shortlisted",
        "证据充分",
        o["boss"],
    )


def test_who_may_apply(open_call: dict[str, Any]) -> None:
    o = open_call
    dev = Principal(user=o["dev"])
    with pytest.raises(PermissionDenied, match="admin of portlab"):
        services.application_create(actor=dev, call=o["call"], organization=o["lab"], proposal="x")
    with pytest.raises(InvalidCall, match="its own call"):
        services.application_create(
            actor=Principal(user=o["boss"]), call=o["call"], organization=o["org"], proposal="x"
        )
    with pytest.raises(InvalidCall, match="Repository nobody/nothing not found"):
        services.application_create(
            actor=dev, call=o["call"], proposal="x", evidence=["nobody/nothing"]
        )
    assert (
        services.application_create(actor=dev, call=o["call"], proposal="我来").applicant_name
        == "dev"
    )
    with pytest.raises(AlreadyExists, match="already applied"):
        services.application_create(actor=dev, call=o["call"], proposal="再来一次")
    services.call_transition(actor=Principal(user=o["boss"]), call=o["call"], to="shortlist")
    o["call"].refresh_from_db()
    with pytest.raises(InvalidTransition, match="not taking applications"):
        services.application_create(actor=dev, call=o["call"], proposal="late")
