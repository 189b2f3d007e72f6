"""Review panels of open calls: reviewers, scoring forms, conflicts of interest.

The issuing organization's admins name reviewers (anyone with an account: outside experts
too), configure the scoring form (criteria with weights) and, if they choose, publish the
scores with the reviewers' names once decisions are made. Until then, scores and reviewer
identities reach nobody but the organization's admins and operators.

A reviewer is *conflicted* with an application when

* they belong to the applying organization, or share an organization with the applying user;
* they co-authored recently on the platform with the applicant: pushes to, or pull requests
  opened in, the same repository by both sides within :data:`COAUTHOR_WINDOW`;
* they declared a conflict themselves.

Automatic conflicts are computed from current platform data whenever asked, never stored,
so they cannot go stale. A conflicted reviewer does not see the application anywhere: the
selectors leave it out and single reads answer 404, exactly as for an unknown id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal, is_operator, may_manage_call, readable_among
from nbopen.accounts.models import User
from nbopen.collab.models import Thread
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.orgs.models import Membership
from nbopen.programs.errors import InvalidCall, InvalidTransition
from nbopen.programs.models import Application, Call, ConflictDeclaration, Review, Reviewer

COAUTHOR_WINDOW = dt.timedelta(days=365)
SCORE_MIN, SCORE_MAX = 1, 5
MAX_CRITERIA = 20
S = Call.State
# Reviews are written while applications are considered, not after the contract.
REVIEWABLE = frozenset({S.PUBLISHED, S.APPLICATIONS, S.SHORTLIST, S.NEGOTIATION})


@dataclass(frozen=True)
class Conflict:
    """Why a reviewer may not review an application (shown to the organization's admins)."""

    kind: str  # "organization" | "coauthorship" | "declared"
    detail: str  # organization name, repository name, or the declared reason
    repository_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail}


def _text(value: str, limit: int) -> str:
    """Free text as stored: trimmed, bounded, and without NUL (PostgreSQL refuses it)."""
    return value.replace("\x00", "").strip()[:limit]


# --- configuration ------------------------------------------------------------------------


def clean_criteria(value: Any) -> list[dict[str, Any]]:
    """``[{"name", "weight"}]`` with distinct non-empty names and positive weights."""
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise InvalidCall(gettext_noop("criteria must be a list of {name, weight} objects"))
    if len(value) > MAX_CRITERIA:
        raise InvalidCall(gettext_noop("A scoring form has at most %(n)s criteria"), n=MAX_CRITERIA)
    out: list[dict[str, Any]] = []
    for c in value:
        name, weight = c.get("name"), c.get("weight", 1)
        if not isinstance(name, str) or not _text(name, 100):
            raise InvalidCall(gettext_noop("Every criterion needs a name"))
        name = _text(name, 100)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise InvalidCall(
                gettext_noop("The weight of criterion %(name)s must be a positive number"),
                name=name.strip(),
            )
        if any(o["name"] == name.strip() for o in out):
            raise InvalidCall(gettext_noop("Criterion %(name)s appears twice"), name=name.strip())
        out.append({"name": name, "weight": weight})
    return out


def _require_manager(actor: Principal, call: Call) -> None:
    if not may_manage_call(actor, call.organization):
        raise PermissionDenied(
            gettext_noop("You need to be an admin of %(org)s to manage its review panel"),
            org=call.organization.name,
        )


@transaction.atomic
def panel_configure(
    *, actor: Principal, call: Call, criteria: Any = None, published: Any = None
) -> Call:
    """Set the scoring form and/or whether scores and reviewers are published to applicants.

    The criteria are frozen once a review exists: scores given against one form cannot be
    compared with another."""
    _require_manager(actor, call)
    fields = []
    if criteria is not None:
        cleaned = clean_criteria(criteria)
        if (
            cleaned != call.review_criteria
            and Review.objects.filter(application__call=call).exists()
        ):
            raise InvalidTransition(
                gettext_noop("The scoring form cannot change once reviews have been given")
            )
        call.review_criteria = cleaned
        fields.append("review_criteria")
    if published is not None:
        if not isinstance(published, bool):
            raise InvalidInput(gettext_noop("published must be true or false"))
        call.reviews_published = published
        fields.append("reviews_published")
    if fields:
        call.save(update_fields=[*fields, "updated_at"])
        events.record(
            "call.panel",
            actor=actor.user,
            organization_id=call.organization_id,
            payload={"call": call.pk, "published": call.reviews_published},
        )
    return call


@transaction.atomic
def reviewer_add(*, actor: Principal, call: Call, user: User) -> Reviewer:
    """Name ``user`` a reviewer of ``call`` (idempotent, as Gitea's collaborator PUT)."""
    _require_manager(actor, call)
    if not user.is_active:
        raise InvalidCall(gettext_noop("User %(name)s cannot review"), name=user.username)
    reviewer, created = Reviewer.objects.get_or_create(
        call=call, user=user, defaults={"added_by": actor.user}
    )
    if created:
        events.record(
            "call.reviewer_add",
            actor=actor.user,
            organization_id=call.organization_id,
            payload={"call": call.pk, "reviewer": user.pk},
        )
    return reviewer


@transaction.atomic
def reviewer_remove(*, actor: Principal, call: Call, user: User) -> None:
    _require_manager(actor, call)
    deleted, _ = Reviewer.objects.filter(call=call, user=user).delete()
    if not deleted:
        raise NotFound(gettext_noop("%(name)s is not a reviewer of this call"), name=user.username)


def is_reviewer(principal: Principal, call: Call) -> bool:
    if not principal.is_authenticated or principal.user is None:
        return False
    return Reviewer.objects.filter(call=call, user=principal.user).exists()


# --- conflicts ----------------------------------------------------------------------------


def _applicant_users(application: Application) -> set[int]:
    if application.applicant_org_id is not None:
        return set(
            Membership.objects.filter(organization_id=application.applicant_org_id).values_list(
                "user_id", flat=True
            )
        )
    return {application.applicant_user_id} if application.applicant_user_id else set()


def _recent_repositories(user_ids: Iterable[int], since: dt.datetime) -> dict[int, str]:
    """Repository id → name where any of ``user_ids`` pushed or opened a pull request."""
    ids = list(user_ids)
    if not ids:
        return {}
    out: dict[int, str] = {}
    pushes = Event.objects.filter(
        kind="repo.push", actor_id__in=ids, created_at__gte=since, repository_id__isnull=False
    ).values_list("repository_id", "repository_name")
    for rid, name in pushes:
        out.setdefault(int(rid), name)
    pulls = Thread.objects.filter(
        kind=Thread.Kind.PULL, author_id__in=ids, created_at__gte=since
    ).select_related("repository__owner")
    for t in pulls:
        out.setdefault(t.repository_id, t.repository.full_name)
    return out


def conflicts_of(user: User, application: Application) -> list[Conflict]:
    """Every reason ``user`` may not review ``application``, empty when there is none."""
    found: list[Conflict] = []
    mine = set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    if application.applicant_org_id is not None:
        if application.applicant_org_id in mine:
            found.append(Conflict("organization", application.applicant_org.name))  # type: ignore[union-attr]
    elif application.applicant_user_id is not None:
        if application.applicant_user_id == user.pk:
            found.append(Conflict("organization", user.username))
        shared = Membership.objects.filter(
            user_id=application.applicant_user_id, organization_id__in=mine
        ).select_related("organization")
        found += [Conflict("organization", m.organization.name) for m in shared]
    since = timezone.now() - COAUTHOR_WINDOW
    others = _applicant_users(application) - {user.pk}
    theirs = _recent_repositories(others, since)
    if theirs:
        own = _recent_repositories([user.pk], since)
        for rid in sorted(set(own) & set(theirs)):
            found.append(Conflict("coauthorship", theirs[rid], repository_id=rid))
    declared = ConflictDeclaration.objects.filter(application=application, reviewer=user).first()
    if declared is not None:
        found.append(Conflict("declared", declared.reason))
    return found


def conflicted_ids(
    principal: Principal, call: Call, applications: Iterable[Application]
) -> set[int]:
    """Ids of ``applications`` that ``principal``, as a reviewer of ``call``, is conflicted
    with (empty for anyone who is not on the panel)."""
    if not is_reviewer(principal, call):
        return set()
    assert principal.user is not None
    return {a.pk for a in applications if conflicts_of(principal.user, a)}


def conflicts_for_reader(reader: Principal, conflicts: list[Conflict]) -> list[dict[str, Any]]:
    """Conflicts as JSON, naming a co-authored repository only if ``reader`` may read it."""
    ids = [c.repository_id for c in conflicts if c.repository_id is not None]
    readable = set(readable_among(reader, ids)) if ids else set()
    out = []
    for c in conflicts:
        if c.repository_id is not None and c.repository_id not in readable:
            out.append({"kind": c.kind, "detail": ""})
        else:
            out.append(c.as_json())
    return out


@transaction.atomic
def conflict_declare(*, actor: Principal, application: Application, reason: str) -> None:
    """A reviewer recuses themself from ``application``; from now on they no longer see it."""
    call = application.call
    if not is_reviewer(actor, call):
        raise PermissionDenied(gettext_noop("Only a reviewer of this call may declare a conflict"))
    assert actor.user is not None
    _, created = ConflictDeclaration.objects.get_or_create(
        application=application, reviewer=actor.user, defaults={"reason": _text(reason, 2000)}
    )
    if not created:
        raise AlreadyExists(gettext_noop("You have already declared a conflict"))
    # A review given before the declaration must not weigh in the decision.
    Review.objects.filter(application=application, reviewer=actor.user).delete()
    events.record(
        "call.conflict",
        actor=actor.user,
        organization_id=call.organization_id,
        payload={"call": call.pk, "application": application.pk},
    )


# --- scoring ------------------------------------------------------------------------------


def weighted_total(criteria: list[dict[str, Any]], scores: Mapping[str, int]) -> float:
    weight = sum(float(c["weight"]) for c in criteria)
    return round(sum(float(c["weight"]) * scores[c["name"]] for c in criteria) / weight, 3)


@transaction.atomic
def review_submit(
    *, actor: Principal, application: Application, scores: Any, comment: Any = ""
) -> Review:
    """Fill (or revise) the actor's scoring form for ``application``: every criterion of the
    call scored from 1 to 5, with an optional comment."""
    call = application.call
    if not is_reviewer(actor, call) or actor.scope == "read":
        raise PermissionDenied(gettext_noop("Only a reviewer of this call may review"))
    assert actor.user is not None
    if conflicts_of(actor.user, application):
        raise NotFound(gettext_noop("Application not found"))
    if call.state not in REVIEWABLE:
        raise InvalidTransition(
            gettext_noop("Reviews are closed for a call in state %(state)s"), state=call.state
        )
    criteria = call.review_criteria
    if not criteria:
        raise InvalidCall(gettext_noop("The call's scoring form has no criteria yet"))
    if not isinstance(scores, dict):
        raise InvalidCall(gettext_noop("scores must be an object of criterion: score"))
    names = {c["name"] for c in criteria}
    unknown = set(scores) - names
    if unknown:
        raise InvalidCall(
            gettext_noop("Unknown criteria: %(names)s"), names=", ".join(sorted(map(str, unknown)))
        )
    missing = names - set(scores)
    if missing:
        raise InvalidCall(
            gettext_noop("Missing scores: %(names)s"), names=", ".join(sorted(missing))
        )
    clean: dict[str, int] = {}
    for name, value in scores.items():
        if isinstance(value, str) and value.strip() in {"1", "2", "3", "4", "5"}:
            value = int(value)  # from the page's form
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not SCORE_MIN <= value <= SCORE_MAX
        ):
            raise InvalidCall(
                gettext_noop("The score for %(name)s must be a whole number from 1 to 5"),
                name=name,
            )
        clean[name] = value
    if not isinstance(comment, str):
        raise InvalidCall(gettext_noop("comment must be a string"))
    review, _ = Review.objects.update_or_create(
        application=application,
        reviewer=actor.user,
        defaults={
            "scores": clean,
            "comment": _text(comment, 10000),
            "total": weighted_total(criteria, clean),
        },
    )
    events.record(
        "call.review",
        actor=actor.user,
        organization_id=call.organization_id,
        payload={"call": call.pk, "application": application.pk},
    )
    return review


def visible_reviews(principal: Principal, application: Application) -> list[Review]:
    """The reviews of ``application`` ``principal`` may read (the caller has already checked
    that they may read the application): all of them for the organization's admins and
    operators, and for everyone who may read the application once published; a reviewer's
    own otherwise. Applicants never see scores or reviewer names before publication."""
    call = application.call
    rows = Review.objects.filter(application=application).select_related("reviewer")
    if (
        call.reviews_published
        or may_manage_call(principal, call.organization)
        or is_operator(principal)
    ):
        return list(rows.order_by("created_at", "id"))
    if principal.is_authenticated and principal.user is not None:
        return list(rows.filter(Q(reviewer=principal.user)))
    return []
