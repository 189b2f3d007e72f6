"""Open calls through the services: states in order, who may move them, what is validated."""

from __future__ import annotations

from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.core.errors import PermissionDenied
from nbopen.orgs.services import member_set, org_create
from nbopen.programs import selectors, services
from nbopen.programs.errors import InvalidCall, InvalidTransition
from tests.search.helpers import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    boss = make_user("boss")
    staff = make_user("operator1", admin=True)
    outsider = make_user("outsider")
    org = org_create(name="portco", kind="enterprise", owner=boss)
    return {"boss": boss, "staff": staff, "outsider": outsider, "org": org}


def _call(world: dict[str, Any], **details: Any) -> Any:
    return services.call_create(
        actor=Principal(user=world["boss"]),
        organization=world["org"],
        title="港口智能调度",
        details={"description": "集装箱码头的智能调度", "budget": 100, **details},
    )


def test_states_move_one_step_at_a_time_and_are_recorded(world: dict[str, Any]) -> None:
    boss, staff = Principal(user=world["boss"]), Principal(user=world["staff"])
    call = _call(world)
    with pytest.raises(InvalidTransition, match="cannot move to published; next: review"):
        services.call_transition(actor=boss, call=call, to="published")
    services.call_transition(actor=boss, call=call, to="review")
    with pytest.raises(PermissionDenied, match="operator"):
        services.call_transition(actor=boss, call=call, to="published")
    services.call_transition(actor=staff, call=call, to="published")
    call = services.call_transition(actor=boss, call=call, to="applications")
    steps = [(t.from_state, t.to_state, t.actor_name) for t in call.transitions.all()]
    assert steps == [
        ("", "draft", "boss"),
        ("draft", "review", "boss"),
        ("review", "published", "operator1"),
        ("published", "applications", "boss"),
    ]


def test_drafts_are_visible_to_the_organization_and_operators_only(world: dict[str, Any]) -> None:
    call = _call(world)
    member = make_user("member")
    member_set(organization=world["org"], user=member, role="read", actor=world["boss"])
    for user in (world["boss"], member, world["staff"]):
        assert selectors.call_get(Principal(user=user), call.pk) == call
    for principal in (Principal(user=world["outsider"]), Principal.anonymous()):
        assert call not in selectors.visible_calls(principal)
        with pytest.raises(Exception, match="Call not found"):
            selectors.call_get(principal, call.pk)
    with pytest.raises(PermissionDenied):
        services.call_transition(actor=Principal(user=member), call=call, to="review")


def test_budget_and_dates_must_be_consistent(world: dict[str, Any]) -> None:
    with pytest.raises(InvalidCall, match="add up to 90 but the budget is 100"):
        _call(world, milestones=[{"amount": 40}, {"amount": 50}])
    with pytest.raises(InvalidCall, match=r"execution_start .* is before deadline"):
        _call(world, deadline="2027-03-01", execution_start="2027-02-01")
    with pytest.raises(InvalidCall, match="must be a date"):
        _call(world, deadline="next spring")
    ok = _call(
        world,
        deadline="2027-03-01",
        execution_start="2027-04-01",
        milestones=[{"amount": 40, "due": "2027-05-01"}, {"amount": 60, "due": "2027-09-01"}],
    )
    assert ok.budget == 100 and len(ok.milestones) == 2
