"""Webhooks of repositories and organizations: management (admins only, through the policy),
the event listener, and delivery with retries.

Which hooks hear an event: the hooks of the event's repository and of the organization that
owns it, nothing else, so a private repository's events never leave through another
repository's hooks. Retries: ``NBOPEN_WEBHOOK_ATTEMPTS`` (default 3) attempts with exponential
backoff from ``NBOPEN_WEBHOOK_BACKOFF`` seconds (default 10: 10 s, 20 s, …); every attempt is a
:class:`~.models.Delivery` row the settings page shows and can redeliver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, org_level, require_repo
from nbopen.config.env import CONFIG
from nbopen.core import events, tasks
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository
from nbopen.webhooks import delivery, payloads
from nbopen.webhooks.models import EVENTS, Delivery, Webhook

MAX_LOG_BODY = 64 * 1024
KEEP_DELIVERIES = 50  # per hook: the log is for debugging, not an archive


def attempts() -> int:
    return max(1, int(os.environ.get("NBOPEN_WEBHOOK_ATTEMPTS") or 3))


def backoff() -> float:
    return max(0.0, float(os.environ.get("NBOPEN_WEBHOOK_BACKOFF") or 10))


# --- management --------------------------------------------------------------------------


def _require_org_admin(actor: Principal, org: Organization) -> None:
    if org_level(actor, org) < Level.ADMIN:
        raise PermissionDenied(gettext_noop("Only administrators manage webhooks"))


def hooks_of(
    *, actor: Principal, repo: Repository | None = None, org: Organization | None = None
) -> QuerySet[Webhook]:
    """The hooks of ``repo`` or ``org``, for its admins only (secrets and URLs of internal
    systems are not for readers)."""
    if repo is not None:
        require_repo(actor, repo, Level.ADMIN)
        return Webhook.objects.filter(repository=repo)
    assert org is not None
    _require_org_admin(actor, org)
    return Webhook.objects.filter(organization=org)


def hook_get(
    *,
    actor: Principal,
    hook_id: int,
    repo: Repository | None = None,
    org: Organization | None = None,
) -> Webhook:
    hook = hooks_of(actor=actor, repo=repo, org=org).filter(pk=hook_id).first()
    if hook is None:
        raise NotFound(gettext_noop("Webhook not found"))
    return hook


def _clean(fields: dict[str, Any], hook: Webhook) -> None:
    if "url" in fields:
        url = str(fields["url"] or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > 2048:
            raise InvalidInput(gettext_noop("The webhook URL must be an http or https URL"))
        hook.url = url
    if "secret" in fields and fields["secret"] is not None:
        hook.secret = str(fields["secret"])[:255]
    if fields.get("content_type"):
        if fields["content_type"] not in Webhook.ContentType.values:
            raise InvalidInput(gettext_noop("content_type must be json or form"))
        hook.content_type = fields["content_type"]
    if "events" in fields and fields["events"] is not None:
        chosen = list(dict.fromkeys(str(e) for e in fields["events"]))
        unknown = [e for e in chosen if e not in EVENTS]
        if unknown:
            raise InvalidInput(
                gettext_noop("Unknown webhook events: %(events)s"), events=", ".join(unknown)
            )
        hook.events = chosen or ["push"]
    if "branch_filter" in fields and fields["branch_filter"] is not None:
        hook.branch_filter = str(fields["branch_filter"])[:255] or "*"
    if "active" in fields and fields["active"] is not None:
        hook.active = bool(fields["active"])


def hook_create(
    *,
    actor: Principal,
    fields: dict[str, Any],
    repo: Repository | None = None,
    org: Organization | None = None,
) -> Webhook:
    hooks_of(actor=actor, repo=repo, org=org)  # the permission check
    hook = Webhook(repository=repo, organization=org, events=["push"])
    if not fields.get("url"):
        raise InvalidInput(gettext_noop("The webhook URL must be an http or https URL"))
    _clean(fields, hook)
    hook.save()
    _audit("webhook.create", actor, hook)
    return hook


def hook_update(*, actor: Principal, hook: Webhook, fields: dict[str, Any]) -> Webhook:
    _clean(fields, hook)
    hook.save()
    _audit("webhook.update", actor, hook)
    return hook


def hook_delete(*, actor: Principal, hook: Webhook) -> None:
    _audit("webhook.delete", actor, hook)
    hook.delete()


def _audit(kind: str, actor: Principal, hook: Webhook) -> None:
    events.record(
        kind,
        actor=actor.user,
        repository=hook.repository,
        organization_id=hook.organization_id,
        payload={"hook_id": hook.pk},
    )


# --- events → deliveries -----------------------------------------------------------------


def connect() -> None:
    events.listen("webhooks", payloads.KINDS, on_event)


def on_event(event: Event) -> None:
    """Quick: only checks that some hook could care, and defers the rest."""
    if event.repository_id and _candidates(event.repository_id, event.organization_id).exists():
        tasks.defer(dispatch, event.pk)


def _candidates(repo_id: int, org_id: int | None) -> QuerySet[Webhook]:
    where = Q(repository_id=repo_id)
    if org_id:
        where |= Q(organization_id=org_id)
    return Webhook.objects.filter(where, active=True)


def _branch_matches(hook: Webhook, payload: dict[str, Any]) -> bool:
    import fnmatch

    ref = str(payload.get("ref", ""))
    if not ref or hook.branch_filter in {"", "*"}:
        return True
    branch = ref.removeprefix("refs/heads/")
    return any(fnmatch.fnmatchcase(branch, p.strip()) for p in hook.branch_filter.split(","))


def dispatch(event_id: int) -> None:
    """Build the payloads of event ``event_id`` and deliver each to the hooks subscribed."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.repository_id is None:
        return
    hooks = list(_candidates(event.repository_id, event.organization_id))
    if not hooks:
        return
    for subscription, gitea_event, payload in payloads.build(event):
        for hook in hooks:
            if subscription in (hook.events or []) and _branch_matches(hook, payload):
                send(hook.pk, gitea_event, subscription, payload, str(uuid.uuid4()), 1)


def _body(hook: Webhook, payload: dict[str, Any]) -> tuple[bytes, str]:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if hook.content_type == Webhook.ContentType.FORM:
        return urlencode({"payload": text}).encode(), "application/x-www-form-urlencoded"
    return text.encode(), "application/json"


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers_for(
    hook: Webhook, gitea_event: str, github_event: str, guid: str, body: bytes, ctype: str
) -> dict[str, str]:
    sig = signature(hook.secret, body) if hook.secret else ""
    return {
        "Content-Type": ctype,
        "User-Agent": "NBopen-Hookshot",
        "X-Gitea-Event": gitea_event,
        "X-Gitea-Event-Type": gitea_event,
        "X-Gitea-Delivery": guid,
        "X-GitHub-Event": github_event,
        "X-GitHub-Delivery": guid,
        "X-Gitea-Signature": sig,
        "X-Hub-Signature-256": f"sha256={sig}" if sig else "",
    }


def send(
    hook_id: int,
    gitea_event: str,
    github_event: str,
    payload: dict[str, Any],
    guid: str,
    attempt: int,
) -> Delivery | None:
    """One attempt; on failure the next one is scheduled after the backoff (a task function:
    JSON arguments, idempotent per attempt number)."""
    hook = Webhook.objects.filter(pk=hook_id).first()
    if hook is None:
        return None
    body, ctype = _body(hook, payload)
    headers = {
        k: v
        for k, v in headers_for(hook, gitea_event, github_event, guid, body, ctype).items()
        if v
    }
    result = delivery.post(hook.url, body, headers)
    row = Delivery.objects.create(
        hook=hook,
        guid=guid,
        event=gitea_event,
        attempt=attempt,
        request_url=hook.url,
        request_headers={k: v for k, v in headers.items()},
        request_body=body[:MAX_LOG_BODY].decode("utf-8", "replace"),
        response_status=result.status,
        response_headers=result.headers,
        response_body=result.body[:MAX_LOG_BODY],
        duration_ms=result.duration_ms,
        error=result.error,
        succeeded=result.ok,
    )
    _trim(hook)
    if not result.ok and attempt < attempts() and not result.error.startswith("refused"):
        _later(
            backoff() * 2 ** (attempt - 1),
            (hook_id, gitea_event, github_event, payload, guid, attempt + 1),
        )
    return row


def _later(delay: float, args: tuple[Any, ...]) -> None:
    """Queue the next attempt after ``delay`` seconds (exponential backoff).

    The in-process backend waits on a timer thread, so a dead receiver never holds one of
    the pool's two workers; inline (sync) and broker workers wait where they are. A timer is
    lost if the process stops first: the log then ends with the failed attempt, and
    "redeliver" sends it again."""
    if CONFIG.task_backend == "thread" and delay > 0:
        timer = threading.Timer(delay, tasks.defer, args=(send, *args))
        timer.daemon = True
        timer.start()
        return
    time.sleep(delay)
    tasks.defer(send, *args)


def _trim(hook: Webhook) -> None:
    old = Delivery.objects.filter(hook=hook).order_by("-pk")[KEEP_DELIVERIES:]
    ids = list(old.values_list("pk", flat=True))
    if ids:
        Delivery.objects.filter(pk__in=ids).delete()


def redeliver(*, actor: Principal, delivery_row: Delivery) -> None:
    """Send a logged request again (same event and payload, a new delivery id)."""
    hook = delivery_row.hook
    hooks_of(actor=actor, repo=hook.repository, org=hook.organization)
    text = delivery_row.request_body
    if delivery_row.request_headers.get("Content-Type", "").startswith("application/x-www-form"):
        text = (parse_qs(text).get("payload") or [""])[0]
    try:
        payload = json.loads(text)
    except ValueError:
        raise InvalidInput(gettext_noop("This delivery cannot be sent again")) from None
    github = delivery_row.request_headers.get("X-GitHub-Event", delivery_row.event)
    with transaction.atomic():
        tasks.defer(
            send, hook.pk, delivery_row.event, github, payload, str(uuid.uuid4()), attempts()
        )


def test_delivery(*, actor: Principal, hook: Webhook) -> None:
    """Gitea's "test delivery": a push payload for the latest commit of the default branch."""
    repo = hook.repository
    if repo is None:
        repo = Repository.objects.filter(owner__organization=hook.organization).first()
    if repo is None:
        raise InvalidInput(gettext_noop("There is no repository to send a test push for"))
    from nbopen.repos.git import read

    head = read.resolve(repo.git_path, repo.default_branch) or payloads.ZERO
    pusher = payloads.user_json(actor.user)
    ref = f"refs/heads/{repo.default_branch}"
    body: dict[str, Any] = {
        "ref": ref,
        "before": head,
        "after": head,
        "compare_url": "",
        "commits": [],
        "total_commits": 0,
        "head_commit": None,
        "repository": payloads.repo_json(repo),
        "pusher": pusher,
        "sender": pusher,
    }
    if head != payloads.ZERO:
        commit = read.commit(repo.git_path, head)
        if commit is not None:
            one = payloads.commit_json(repo, commit)
            body.update(commits=[one], head_commit=one, total_commits=1)
    with transaction.atomic():
        tasks.defer(send, hook.pk, "push", "push", body, str(uuid.uuid4()), attempts())


def deliveries(hook: Webhook) -> QuerySet[Delivery]:
    return Delivery.objects.filter(hook=hook).order_by("-pk")
