"""Gated repositories: the gate's setting and the access requests (the Hub's "user access
requests").

A user asks (optionally with the card's ``extra_gated_fields`` filled in); ``gated="auto"``
accepts at once, ``"manual"`` leaves the request pending until someone with write access on
the repository accepts or rejects it (or grants access without a request). Whether a request
opens the files is the policy's rule (:func:`nbopen.access.policy.decide_content`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.accounts.models import User
from nbopen.audit import services as audit
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.repos.models import AccessRequest, Repository

GATED_VALUES = {"auto", "manual"}


def parse_gated(value: object) -> str | None:
    """The Hub's ``gated`` setting (``"auto"``, ``"manual"`` or ``false``) as stored ("" for
    open); None when absent. Raises ValueError on anything else."""
    if value is None:
        return None
    if value is False:
        return ""
    if isinstance(value, str) and value in GATED_VALUES:
        return value
    raise ValueError("gated must be 'auto', 'manual' or false")


def hub_gated(repo: Repository) -> str | bool:
    """``model_info().gated``: false, "auto" or "manual"."""
    return repo.gated or False


@transaction.atomic
def set_gated(*, actor: Principal, repo: Repository, gated: str) -> Repository:
    require_repo(actor, repo, Level.ADMIN)
    if gated not in GATED_VALUES and gated != "":
        raise InvalidInput(gettext_noop("gated must be 'auto', 'manual' or false"))
    if gated != repo.gated:
        repo.gated = gated
        repo.save(update_fields=["gated", "updated_at"])
        events.record("repo.settings", actor=actor.user, repository=repo, payload={"gated": gated})
        if gated == "auto":  # switching to auto accepts whoever was waiting
            repo.access_requests.filter(status=AccessRequest.Status.PENDING).update(
                status=AccessRequest.Status.ACCEPTED
            )
    return repo


def gate_fields(repo: Repository) -> dict[str, Any]:
    """The card's ``extra_gated_fields`` (name → type or options), as the form shows them."""
    fields = (repo.card_data or {}).get("extra_gated_fields")
    return fields if isinstance(fields, dict) else {}


def gate_prompt(repo: Repository) -> str:
    prompt = (repo.card_data or {}).get("extra_gated_prompt")
    return prompt if isinstance(prompt, str) else ""


@transaction.atomic
def request_access(
    *, actor: Principal, repo: Repository, fields: dict[str, Any] | None = None
) -> AccessRequest:
    """The signed-in ``actor`` asks for access. Asking again updates a pending request's
    fields; an accepted or rejected request stays as it is (only the repository's people
    change it)."""
    require_repo(actor, repo, Level.READ)
    if actor.user is None or not actor.is_authenticated:
        raise NotFound(gettext_noop("Sign in to request access"))
    if not repo.gated:
        raise InvalidInput(gettext_noop("This repository is not gated"))
    fields = dict(fields or {})
    wanted = gate_fields(repo)
    missing = [
        name
        for name, kind in wanted.items()
        if kind != "checkbox" and not str(fields.get(name, "")).strip()
    ]
    if missing:
        raise InvalidInput(
            gettext_noop("Missing fields: %(fields)s"), fields=", ".join(sorted(missing))
        )
    status = AccessRequest.Status.ACCEPTED if repo.gated == "auto" else AccessRequest.Status.PENDING
    request, created = AccessRequest.objects.get_or_create(
        repository=repo, user=actor.user, defaults={"status": status, "fields": fields}
    )
    if not created and request.status == AccessRequest.Status.PENDING:
        request.fields = fields
        request.status = status
        request.save(update_fields=["fields", "status", "updated_at"])
    return request


def list_requests(*, actor: Principal, repo: Repository, status: str) -> list[AccessRequest]:
    require_repo(actor, repo, Level.WRITE)
    return list(
        repo.access_requests.filter(status=status).select_related("user").order_by("created_at")
    )


@transaction.atomic
def handle_request(
    *,
    actor: Principal,
    repo: Repository,
    status: str,
    username: str | None = None,
    request_id: str | None = None,
    rejection_reason: str | None = None,
) -> AccessRequest:
    """Move a request to ``status`` (accepted, rejected, or back to pending: cancel)."""
    require_repo(actor, repo, Level.WRITE)
    if not repo.gated:
        raise InvalidInput(gettext_noop("This repository is not gated"))
    if status not in AccessRequest.Status.values:
        raise InvalidInput(gettext_noop("status must be pending, accepted or rejected"))
    query = repo.access_requests.all()
    if username is not None:
        query = query.filter(user__username__iexact=username)
    elif request_id is not None and str(request_id).isdigit():
        query = query.filter(pk=int(request_id))
    else:
        raise NotFound(gettext_noop("Access request not found"))
    request = query.first()
    if request is None:
        raise NotFound(gettext_noop("Access request not found"))
    if request.status == status:
        # As on the Hub: accepting an accepted request (or rejecting a rejected one, cancelling
        # a pending one) is refused, so a client's retry or double click is reported.
        raise AlreadyExists(gettext_noop("The access request is already %(status)s"), status=status)
    request.status = status
    request.rejection_reason = rejection_reason or ""
    request.save(update_fields=["status", "rejection_reason", "updated_at"])
    audit.record(
        "repo.access_request",
        actor=actor.user,
        repository=repo,
        detail={"user": request.user.username, "status": status},
    )
    return request


@transaction.atomic
def grant_access(*, actor: Principal, repo: Repository, username: str) -> AccessRequest:
    """Give ``username`` access without a request (409 if they already have it)."""
    require_repo(actor, repo, Level.WRITE)
    if not repo.gated:
        raise InvalidInput(gettext_noop("This repository is not gated"))
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise NotFound(gettext_noop("User %(username)s not found"), username=username)
    request, created = AccessRequest.objects.get_or_create(
        repository=repo,
        user=user,
        defaults={"status": AccessRequest.Status.ACCEPTED, "granted": True},
    )
    if not created:
        if request.status == AccessRequest.Status.ACCEPTED:
            raise AlreadyExists(gettext_noop("%(username)s already has access"), username=username)
        request.status = AccessRequest.Status.ACCEPTED
        request.save(update_fields=["status", "updated_at"])
    audit.record(
        "repo.access_request",
        actor=actor.user,
        repository=repo,
        detail={"user": user.username, "status": AccessRequest.Status.ACCEPTED},
    )
    return request


def request_status(principal: Principal, repo: Repository) -> str | None:
    if not principal.is_authenticated or principal.user is None:
        return None
    return repo.access_requests.filter(user=principal.user).values_list("status", flat=True).first()
