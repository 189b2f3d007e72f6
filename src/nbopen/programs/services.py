"""Writes of open calls and applications: the one path web pages and the API both call.

A call moves one step at a time along :data:`ORDER` (an operator may also send a call in
review back to draft); every step is a :class:`~nbopen.programs.models.CallTransition` row,
which is the public timeline, and an event in the log. Content is validated here, once, so the
API and the pages refuse the same inconsistencies with the same words: milestone payments must
add up to the budget, dates must be in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import (
    Principal,
    is_operator,
    may_manage_call,
    may_read_call,
    readable_among,
)
from nbopen.challenges.models import Competition
from nbopen.challenges.services import competition_get
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.orgs.models import Membership, Organization
from nbopen.programs.errors import InvalidCall, InvalidTransition
from nbopen.programs.models import Application, Call, CallTransition
from nbopen.repos.models import Repository

S = Call.State
ORDER: tuple[str, ...] = tuple(S.values)
PUBLIC_STATES = frozenset(ORDER[ORDER.index(S.PUBLISHED) :])
# Steps only an operator takes: the platform vouches for what it publishes.
OPERATOR_STEPS = frozenset({(S.REVIEW.value, S.PUBLISHED.value), (S.REVIEW.value, S.DRAFT.value)})
OPEN_FOR_APPLICATIONS = frozenset({S.PUBLISHED.value, S.APPLICATIONS.value})
EDITABLE = frozenset({S.DRAFT.value, S.REVIEW.value, S.PUBLISHED.value, S.APPLICATIONS.value})
ELIGIBLE_KINDS = frozenset([*Organization.Kind.values, "individual"])
DETAIL_FIELDS = (
    "description",
    "kpis",
    "deliverables",
    "budget",
    "milestones",
    "publish_date",
    "deadline",
    "execution_start",
    "execution_end",
    "eligibility",
    "tags",
)


def _date(name: str, value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise InvalidCall(gettext_noop("%(field)s must be a date (YYYY-MM-DD)"), field=name)


def _amount(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidCall(gettext_noop("%(field)s must be a non-negative number"), field=name)
    return int(value)


def _strings(name: str, value: Any, limit: int = 50) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidCall(gettext_noop("%(field)s must be a list of strings"), field=name)
    cleaned = (v.replace("\x00", "").strip() for v in value)
    return [v for v in cleaned if v][:limit]


def _milestones(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise InvalidCall(gettext_noop("milestones must be a list of objects"))
    out = []
    for i, m in enumerate(value, 1):
        due = _date(f"milestones[{i}].due", m.get("due"))
        row: dict[str, Any] = {
            "name": str(m.get("name") or f"M{i}")[:200],
            "amount": _amount(f"milestones[{i}].amount", m.get("amount", 0)),
            "due": due.isoformat() if due else None,
        }
        if m.get("paid") is True:  # kept as recorded by milestone_pay
            row["paid"] = True
            row["paid_at"] = str(m.get("paid_at") or "")[:10]
        out.append(row)
    return out


def clean_details(data: Mapping[str, Any], current: Call | None = None) -> dict[str, Any]:
    """Validate the call's details (all of them, merged over ``current``) and return them as
    the model stores them. ``budget`` may be a number or ``{"total", "milestones"}``."""
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {f: getattr(current, f) for f in DETAIL_FIELDS}
    unknown = set(data) - {*DETAIL_FIELDS, "title"}
    if unknown:
        raise InvalidCall(
            gettext_noop("Unknown fields: %(fields)s"), fields=", ".join(sorted(unknown))
        )
    merged.update({k: v for k, v in data.items() if k != "title"})
    budget = merged.get("budget", 0)
    if isinstance(budget, dict):
        if "milestones" in budget:
            merged["milestones"] = budget["milestones"]
        budget = budget.get("total", 0)
    out: dict[str, Any] = {
        "description": str(merged.get("description") or "").replace("\x00", ""),
        "budget": _amount("budget", budget or 0),
        "milestones": _milestones(merged.get("milestones")),
        "deliverables": _strings("deliverables", merged.get("deliverables")),
        "tags": _strings("tags", merged.get("tags")),
        "eligibility": _strings("eligibility", merged.get("eligibility")),
    }
    kpis = merged.get("kpis") or []
    if not isinstance(kpis, list) or not all(isinstance(k, dict) for k in kpis):
        raise InvalidCall(gettext_noop("kpis must be a list of objects"))
    out["kpis"] = [
        {"name": str(k.get("name", "")), "baseline": k.get("baseline"), "target": k.get("target")}
        for k in kpis
    ]
    bad = set(out["eligibility"]) - ELIGIBLE_KINDS
    if bad:
        raise InvalidCall(
            gettext_noop("eligibility must be among %(choices)s, not %(bad)s"),
            choices=", ".join(sorted(ELIGIBLE_KINDS)),
            bad=", ".join(sorted(bad)),
        )
    if out["milestones"]:
        paid = sum(m["amount"] for m in out["milestones"])
        if paid != out["budget"]:
            raise InvalidCall(
                gettext_noop("Milestone payments add up to %(paid)s but the budget is %(total)s"),
                paid=paid,
                total=out["budget"],
            )
    dates = {
        f: _date(f, merged.get(f))
        for f in DETAIL_FIELDS
        if f.endswith(("date", "line", "start", "end"))
    }
    out.update(dates)
    _check_order(
        [
            ("publish_date", dates["publish_date"]),
            ("deadline", dates["deadline"]),
            ("execution_start", dates["execution_start"]),
            ("execution_end", dates["execution_end"]),
        ]
    )
    dues = [(f"milestones[{i}].due", m["due"]) for i, m in enumerate(out["milestones"], 1)]
    _check_order(
        [("execution_start", dates["execution_start"])]
        + [(n, dt.date.fromisoformat(d) if d else None) for n, d in dues]
        + [("execution_end", dates["execution_end"])]
    )
    return out


def _check_order(named: list[tuple[str, dt.date | None]]) -> None:
    last: tuple[str, dt.date] | None = None
    for name, day in named:
        if day is None:
            continue
        if last is not None and day < last[1]:
            raise InvalidCall(
                gettext_noop(
                    "Dates out of order: %(later)s (%(day)s) is before %(earlier)s (%(last)s)"
                ),
                later=name,
                day=day.isoformat(),
                earlier=last[0],
                last=last[1].isoformat(),
            )
        last = (name, day)


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.replace("\x00", "").strip():
        raise InvalidCall(gettext_noop("A call needs a title"))
    return value.replace("\x00", "").strip()[:200]


def _competition(actor: Principal, value: Any) -> Competition | None:
    """The competition a call links for automatic acceptance, by slug; one the actor cannot
    see is refused as if it did not exist."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidCall(gettext_noop("competition must be the slug of a competition"))
    try:
        return competition_get(actor, value.strip())
    except NotFound:
        raise InvalidCall(gettext_noop("Competition %(slug)s not found"), slug=value) from None


def _split(details: Mapping[str, Any]) -> tuple[dict[str, Any], bool, Any]:
    rest = dict(details)
    given = "competition" in rest
    return rest, given, rest.pop("competition", None)


def _require_manager(actor: Principal, org: Organization) -> None:
    if not may_manage_call(actor, org):
        raise PermissionDenied(
            gettext_noop("You need to be an admin of %(org)s to manage its calls"), org=org.name
        )


def _log(call: Call, actor: Principal, from_state: str, to_state: str, note: str = "") -> None:
    user = actor.user
    CallTransition.objects.create(
        call=call,
        from_state=from_state,
        to_state=to_state,
        actor=user,
        actor_name=user.username if user else "",
        note=note[:2000],
    )
    events.record(
        "call.transition",
        actor=user,
        organization_id=call.organization_id,
        payload={"call": call.pk, "from": from_state, "to": to_state},
    )


@transaction.atomic
def call_create(
    *, actor: Principal, organization: Organization, title: str, details: Mapping[str, Any]
) -> Call:
    """A new call in ``draft``, owned by ``organization`` (its admins write it)."""
    _require_manager(actor, organization)
    details, _given, competition = _split(details)
    call = Call.objects.create(
        organization=organization,
        title=_title(title),
        created_by=actor.user,
        competition=_competition(actor, competition),
        **clean_details(details),
    )
    _log(call, actor, "", S.DRAFT)
    return call


@transaction.atomic
def call_update(*, actor: Principal, call: Call, changes: Mapping[str, Any]) -> Call:
    """Change a call's content while it is still open; the whole result is re-validated."""
    _require_manager(actor, call.organization)
    if call.state not in EDITABLE:
        raise InvalidTransition(
            gettext_noop("A call in state %(state)s can no longer be edited"), state=call.state
        )
    changes, given, competition = _split(changes)
    if given:
        call.competition = _competition(actor, competition)
    if "title" in changes:
        call.title = _title(changes["title"])
    for field, value in clean_details(changes, current=call).items():
        setattr(call, field, value)
    call.save()
    return call


def allowed_next(state: str) -> list[str]:
    """The states a call may move to from ``state``."""
    i = ORDER.index(state)
    out = [ORDER[i + 1]] if i + 1 < len(ORDER) else []
    if state == S.REVIEW:
        out.append(S.DRAFT.value)
    return out


@transaction.atomic
def call_transition(*, actor: Principal, call: Call, to: str, note: str = "") -> Call:
    """Move ``call`` one step along its states, recording who and when on the timeline."""
    call = Call.objects.select_for_update().select_related("organization").get(pk=call.pk)
    if not may_read_call(actor, call.organization, public=call.state in PUBLIC_STATES):
        raise NotFound(gettext_noop("Call not found"))
    _require_manager(actor, call.organization)
    if to not in ORDER:
        raise InvalidInput(
            gettext_noop("Unknown state '%(to)s'; states are %(states)s"),
            to=str(to),
            states=", ".join(ORDER),
        )
    allowed = allowed_next(call.state)
    if to not in allowed:
        raise InvalidTransition(
            gettext_noop("A call in state %(state)s cannot move to %(to)s; next: %(allowed)s"),
            state=call.state,
            to=to,
            allowed=", ".join(allowed) or "-",
        )
    if (call.state, to) in OPERATOR_STEPS and not is_operator(actor):
        raise PermissionDenied(gettext_noop("Only an operator may publish a call under review"))
    previous = call.state
    call.state = to
    if to == S.PUBLISHED and call.publish_date is None:
        call.publish_date = timezone.localdate()
    call.save(update_fields=["state", "publish_date", "updated_at"])
    _log(call, actor, previous, to, note)
    return call


PAYABLE = frozenset({S.CONTRACTED.value, S.IN_PROGRESS.value, S.ACCEPTANCE.value, S.CLOSED.value})


@transaction.atomic
def milestone_pay(*, actor: Principal, call: Call, number: int) -> Call:
    """Record that milestone ``number`` (1-based) was paid: the money the city report counts
    as paid. Only after the contract, once per milestone."""
    call = Call.objects.select_for_update().select_related("organization").get(pk=call.pk)
    _require_manager(actor, call.organization)
    if call.state not in PAYABLE:
        raise InvalidTransition(
            gettext_noop("Milestones are paid after the contract (state %(state)s)"),
            state=call.state,
        )
    if not 1 <= number <= len(call.milestones):
        raise NotFound(gettext_noop("Milestone %(n)s not found"), n=number)
    milestone = call.milestones[number - 1]
    if milestone.get("paid"):
        raise AlreadyExists(gettext_noop("Milestone %(n)s is already paid"), n=number)
    milestone["paid"] = True
    milestone["paid_at"] = timezone.localdate().isoformat()
    call.save(update_fields=["milestones", "updated_at"])
    events.record(
        "call.payment",
        actor=actor.user,
        organization_id=call.organization_id,
        payload={"call": call.pk, "milestone": number, "amount": milestone.get("amount", 0)},
    )
    return call


# --- applications --------------------------------------------------------------------------


def _evidence(actor: Principal, names: Any) -> list[int]:
    """Repository ids for ``owner/name`` strings the applicant may read (no more than 20)."""
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidCall(gettext_noop("evidence must be a list of repository names (owner/name)"))
    ids: list[int] = []
    for full in names[:20]:
        owner, _, name = full.strip().strip("/").partition("/")
        found = Repository.objects.filter(
            owner__name_lower=owner.lower(), name_lower=name.lower()
        ).values_list("pk", flat=True)
        readable = readable_among(actor, list(found))
        if not readable:
            raise InvalidCall(gettext_noop("Repository %(name)s not found"), name=full)
        ids.append(min(readable))
    return ids


def _budget_plan(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidCall(gettext_noop("budget_plan must be a list of {item, amount} objects"))
    return [
        {
            "item": str(v.get("item", ""))[:200],
            "amount": _amount("budget_plan.amount", v.get("amount", 0)),
        }
        for v in value
    ]


@transaction.atomic
def application_create(
    *,
    actor: Principal,
    call: Call,
    proposal: str,
    organization: Organization | None = None,
    budget_plan: Any = None,
    evidence: Any = None,
) -> Application:
    """Apply to ``call`` as the signed-in user, or for ``organization`` (needs its admin)."""
    if not actor.is_authenticated or actor.user is None or actor.scope == "read":
        raise PermissionDenied(gettext_noop("Sign in with a write credential to apply"))
    if call.state not in OPEN_FOR_APPLICATIONS:
        raise InvalidTransition(
            gettext_noop("The call is not taking applications (state %(state)s)"), state=call.state
        )
    if call.deadline is not None and timezone.localdate() > call.deadline:
        raise InvalidTransition(gettext_noop("The application deadline has passed"))
    if not isinstance(proposal, str) or not proposal.strip():
        raise InvalidCall(gettext_noop("An application needs a proposal"))
    kind = "individual"
    if organization is not None:
        role = actor.org_roles().get(organization.pk)
        if role not in (Membership.Role.OWNER, Membership.Role.ADMIN):
            raise PermissionDenied(
                gettext_noop("You need to be an admin of %(org)s to apply for it"),
                org=organization.name,
            )
        if organization.pk == call.organization_id:
            raise InvalidCall(gettext_noop("An organization cannot apply to its own call"))
        kind = organization.kind
    if call.eligibility and kind not in call.eligibility:
        raise InvalidCall(
            gettext_noop("This call is open to %(allowed)s only"),
            allowed=", ".join(call.eligibility),
        )
    mine = call.applications.exclude(status=Application.Status.REJECTED)
    if organization is not None:
        mine = mine.filter(applicant_org=organization)
    else:
        mine = mine.filter(applicant_user=actor.user, applicant_org__isnull=True)
    if mine.exists():
        raise AlreadyExists(gettext_noop("You have already applied to this call"))
    application = Application.objects.create(
        call=call,
        applicant_user=None if organization else actor.user,
        applicant_org=organization,
        proposal=proposal,
        budget_plan=_budget_plan(budget_plan),
        evidence=_evidence(actor, evidence),
        submitted_by=actor.user,
    )
    events.record(
        "call.apply",
        actor=actor.user,
        organization_id=call.organization_id,
        payload={"call": call.pk, "application": application.pk},
    )
    return application


@transaction.atomic
def application_decide(
    *, actor: Principal, application: Application, status: str, reasons: str
) -> Application:
    """The issuing organization's decision on an application, always with its reasons."""
    _require_manager(actor, application.call.organization)
    if status not in Application.Status.values or status == Application.Status.SUBMITTED:
        raise InvalidInput(gettext_noop("decision must be shortlisted, accepted or rejected"))
    if not reasons.strip():
        raise InvalidCall(gettext_noop("A decision needs its reasons"))
    application.status = status
    application.decision_reasons = reasons.strip()
    application.decided_by = actor.user
    application.decided_at = timezone.now()
    application.save()
    events.record(
        "call.decide",
        actor=actor.user,
        organization_id=application.call.organization_id,
        payload={"call": application.call_id, "application": application.pk, "status": status},
    )
    return application
