"""Gitea's notification API, for the signed-in caller.

- ``GET /api/v1/notifications`` — unread and pinned (``all=true``: every status;
  ``status-types=unread|read|pinned|done``, repeatable); ``page``/``limit`` with
  ``X-Total-Count`` and ``Link``
- ``PUT /api/v1/notifications`` — mark (``to-status``, default read) the ones in
  ``status-types`` (default unread) up to ``last_read_at``; 205 with the changed threads
- ``GET|PATCH /api/v1/notifications/threads/{id}`` — one; PATCH ``?to-status=read``
- ``GET /api/v1/notifications/new`` — ``{"new": n}``, the unread count

Only threads of repositories the caller can read now are listed (the policy decides).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime

from nbopen.access.policy import Principal
from nbopen.collab.models import Thread
from nbopen.config.env import CONFIG
from nbopen.core.errors import InvalidInput
from nbopen.hubapi.v1.social import api_view
from nbopen.notifications import services
from nbopen.notifications.models import Notification
from nbopen.webhooks.payloads import repo_json

MAX_LIMIT = 50


def _subject_state(thread: Thread) -> str:
    if thread.merged_at is not None:
        return "merged"
    return "open" if thread.state == Thread.State.OPEN else "closed"


def describe(row: Notification) -> dict[str, Any]:
    thread, repo = row.thread, row.repository
    kind = "pulls" if thread.is_pull else "issues"
    api = f"{CONFIG.public_url}/api/v1/repos/{repo.full_name}/{kind}/{thread.number}"
    html = f"{CONFIG.public_url}/{repo.full_name}/{kind}/{thread.number}"
    comment = f"#issuecomment-{row.comment_id}" if row.comment_id else ""
    return {
        "id": row.pk,
        "repository": repo_json(repo),
        "subject": {
            "title": thread.title,
            "url": api,
            "html_url": html,
            "latest_comment_url": "",
            "latest_comment_html_url": f"{html}{comment}" if comment else "",
            "type": "Pull" if thread.is_pull else "Issue",
            "state": _subject_state(thread),
        },
        "unread": row.status == Notification.Status.UNREAD,
        "pinned": row.status == Notification.Status.PINNED,
        "updated_at": row.updated_at.isoformat().replace("+00:00", "Z"),
        "url": f"{CONFIG.public_url}/api/v1/notifications/threads/{row.pk}",
        # Not in Gitea's shape: why the caller got it and its inbox status ("done" included).
        "reason": row.reason,
        "status": row.status,
    }


def _json(data: Any, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _statuses(request: HttpRequest, default: list[str]) -> list[str]:
    chosen = request.GET.getlist("status-types")
    if request.GET.get("all", "").lower() == "true" and not chosen:
        return ["unread", "read", "pinned"]
    return chosen or default


def _int(request: HttpRequest, name: str, default: int, top: int) -> int:
    try:
        value = int(request.GET.get(name) or default)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer") from None
    if not 1 <= value <= top:
        raise InvalidInput(f"{name} must be between 1 and {top}")
    return value


def _instant(text: str) -> datetime:
    """``last_read_at`` as a UTC instant. Python accepts offsets up to ±23:59 and years up to
    9999 that PostgreSQL refuses (a database error, a 500): normalized here, or a clear 400."""
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            raise ValueError(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput("last_read_at must be an ISO 8601 time") from None


@api_view
def notifications(request: HttpRequest, who: Principal) -> HttpResponse:
    """The caller's notification threads (GET), or mark them (PUT)."""
    if request.method == "PUT":
        before = None
        if request.GET.get("last_read_at"):
            before = _instant(request.GET["last_read_at"])
        rows = services.mark(
            who,
            to_status=request.GET.get("to-status") or "read",
            from_statuses=_statuses(request, ["unread"]),
            before=before,
        )
        return _json([describe(r) for r in rows], 205)
    qs = services.inbox(who, statuses=_statuses(request, ["unread", "pinned"]))
    subject = [s.lower() for s in request.GET.getlist("subject-type")]
    if subject:
        kinds = [Thread.Kind.PULL if s == "pull" else Thread.Kind.ISSUE for s in subject]
        qs = qs.filter(thread__kind__in=kinds)
    page = _int(request, "page", 1, 1_000_000)
    limit = _int(request, "limit", 20, MAX_LIMIT)
    total = qs.count()
    rows = list(qs[(page - 1) * limit : page * limit])
    response = _json([describe(r) for r in rows])
    response["X-Total-Count"] = str(total)
    links = []
    query = {k: v for k, v in request.GET.items() if k not in {"page"}}
    last = max(1, -(-total // limit))
    if page < last:
        links.append(f'<{request.path}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        links.append(f'<{request.path}?{urlencode({**query, "page": last})}>; rel="last"')
    if page > 1:
        links.append(f'<{request.path}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
        links.append(f'<{request.path}?{urlencode({**query, "page": 1})}>; rel="first"')
    if links:
        response["Link"] = ", ".join(links)
    return response


@api_view
def notification_thread(request: HttpRequest, who: Principal, id: int) -> HttpResponse:
    """One notification thread (GET), or mark it (PATCH ``?to-status=read|unread|pinned``)."""
    row = services.get(who, id)
    if request.method == "PATCH":
        [row] = services.mark(who, to_status=request.GET.get("to-status") or "read", ids=[row.pk])
        row = services.get(who, id)
        return _json(describe(row), 205)
    return _json(describe(row))


@api_view
def notifications_new(request: HttpRequest, who: Principal) -> HttpResponse:
    """How many unread notifications the caller has."""
    return _json({"new": services.unread_count(who)})
