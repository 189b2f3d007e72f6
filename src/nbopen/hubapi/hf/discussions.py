"""The Hub's discussions and pull requests: ``/api/{models,datasets}/{repo}/discussions…``.

Shapes are the ones ``huggingface_hub`` (``get_repo_discussions`` … ``merge_pull_request``,
``community.deserialize_event``) reads. Everything is a thin call into
:mod:`nbopen.collab.threads` and :mod:`nbopen.collab.pulls`, the same services the web pages
use: a Hub discussion is an issue, a Hub pull request a pull request on ``refs/pr/N``.
Reading needs read access (a private repository's threads are "not found" to outsiders);
writing needs a signed-in reader; merging needs write (a reader gets the Hub's 403).
"""

from __future__ import annotations

import html
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Decision, Level
from nbopen.collab import pulls, threads
from nbopen.collab.models import Comment, Thread, TimelineEntry
from nbopen.core.errors import DomainError, InvalidInput
from nbopen.core.limits import loads as safe_json
from nbopen.hubapi.denials import repo_denied
from nbopen.hubapi.errors import api_error, domain_error

from .common import Ctx, iso, load_repo, repo_web_url

PAGE = 50
EVENT_KINDS = {"status-change", "title-change", "commit"}


def _user(user: Any) -> dict[str, Any]:
    if user is None:
        return {"name": "deleted", "type": "user"}
    return {"name": user.username, "fullname": user.username, "type": "user", "isPro": False}


def _status(thread: Thread) -> str:
    return str(thread.state)


def _summary(thread: Thread) -> dict[str, Any]:
    repo = thread.repository
    count = getattr(thread, "num_comments", None)  # annotated by the listing
    return {
        "num": thread.number,
        "title": thread.title,
        "status": _status(thread),
        "isPullRequest": thread.is_pull,
        "createdAt": iso(thread.created_at),
        "author": _user(thread.author),
        "repo": {"name": repo.full_name, "type": repo.type},
        "pinned": thread.pinned,
        "numComments": count if count is not None else thread.comments.count(),
        "topReactions": [],
    }


def comment_id(comment: Comment) -> str:
    """The Hub's event ids are 24 hex digits; a comment's is its row id."""
    return f"{comment.pk:024x}"


def _entry_id(entry: TimelineEntry) -> str:
    return f"f{entry.pk:023x}"


def _comment_event(comment: Comment) -> dict[str, Any]:
    raw = "" if comment.hidden else comment.body
    editor = comment.edited_by or comment.author
    history: list[dict[str, Any]] = [
        {
            "raw": edit.body if not comment.hidden else "",
            "html": "",
            "updatedAt": iso(edit.created_at),
            "author": _user(edit.editor),
        }
        for edit in threads.edit_history(comment)
    ]
    latest: dict[str, Any] = {
        "raw": raw,
        "html": f"<p>{html.escape(raw)}</p>" if raw else "",
        "updatedAt": iso(comment.updated_at),
        "author": _user(editor),
    }
    return {
        "id": comment_id(comment),
        "type": "comment",
        "createdAt": iso(comment.created_at),
        "author": _user(comment.author),
        "data": {
            "edited": bool(history) and not comment.hidden,
            "hidden": comment.hidden,
            "latest": latest,
            "numEdits": len(history),
            "editors": [e["author"]["name"] for e in history],
            "reactions": [],
            "isReport": False,
            "history": [latest, *reversed(history)],
        },
    }


def _entry_event(entry: TimelineEntry) -> dict[str, Any]:
    data = dict(entry.data)
    if entry.kind == "status-change":
        data = {"status": data.get("status")}
    return {
        "id": _entry_id(entry),
        "type": entry.kind,
        "createdAt": iso(entry.created_at),
        "author": _user(entry.actor),
        "data": data,
    }


def _events(thread: Thread) -> list[dict[str, Any]]:
    comments = [(c.created_at, c.pk, _comment_event(c)) for c in threads.comments(thread)]
    entries = [
        (e.created_at, e.pk, _entry_event(e))
        for e in thread.timeline.filter(kind__in=EVENT_KINDS).select_related("actor")
    ]
    return [event for _at, _pk, event in sorted(comments + entries, key=lambda t: (t[0], t[1]))]


def _details(thread: Thread, with_diff: bool) -> dict[str, Any]:
    data = _summary(thread)
    data["events"] = _events(thread)
    if thread.is_pull:
        found = pulls.changes(thread, with_diff=with_diff)
        data["changes"] = {"base": f"refs/heads/{thread.base_branch}"}
        if thread.merge_commit:
            data["changes"]["mergeCommitId"] = thread.merge_commit
        data["filesWithConflicts"] = found.conflicts
        if with_diff:
            data["diff"] = found.diff
    else:
        data["filesWithConflicts"] = []
    return data


def _participant(
    request: HttpRequest, type_plural: str, owner: str, name: str
) -> Ctx | JsonResponse:
    """A signed-in reader of the repository (anonymous callers get the Hub's 401)."""
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    if not ctx.principal.is_authenticated:
        return repo_denied(Decision.UNAUTHENTICATED)
    return ctx


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    data = safe_json(request.body)
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object")
    return data


def _thread(ctx: Ctx, num: str) -> Thread:
    return threads.thread_get(actor=ctx.principal, repo=ctx.repo, number=int(num))


def _answer(exc: DomainError) -> JsonResponse:
    if isinstance(exc, pulls.AlreadyMerged):
        return api_error(409, str(exc))
    return domain_error(exc)


@csrf_exempt
def discussions(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """List discussions (``?p=&type=&status=&author=``) or open one (``POST {title,
    description, pullRequest}``)."""
    if request.method == "POST":
        return _create(request, type_plural, owner, name)
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    kind = {"discussion": Thread.Kind.ISSUE, "pull_request": Thread.Kind.PULL}.get(
        request.GET.get("type", "all")
    )
    qs = (
        threads.thread_list(
            actor=ctx.principal,
            repo=ctx.repo,
            kind=kind,
            state=request.GET.get("status") or None,
            author=request.GET.get("author") or None,
        )
        .select_related("repository")
        .annotate(num_comments=Count("comments"))
    )
    try:
        page = max(0, int(request.GET.get("p") or 0))
    except ValueError:
        return api_error(400, "p must be an integer")
    total = qs.count()
    start = page * PAGE
    items = [_summary(t) for t in qs[start : start + PAGE]]
    closed = threads.thread_list(actor=ctx.principal, repo=ctx.repo, state="closed").count()
    return JsonResponse(
        {"discussions": items, "count": total, "start": start, "numClosedDiscussions": closed}
    )


def _create(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    ctx = _participant(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        body = _body(request)
        title, description = body.get("title"), body.get("description") or ""
        if not isinstance(title, str) or not isinstance(description, str):
            raise InvalidInput("title and description must be strings")
        if body.get("pullRequest"):
            thread = pulls.open_pull(
                actor=ctx.principal, repo=ctx.repo, title=title, body=description
            )
        else:
            thread = threads.create_thread(
                actor=ctx.principal, repo=ctx.repo, title=title, body=description
            )
    except DomainError as exc:
        return _answer(exc)
    except ValueError as exc:
        return api_error(400, f"Invalid JSON body: {exc}")
    return JsonResponse(
        {
            "num": thread.number,
            "pullRequest": thread.is_pull,
            "url": f"{repo_web_url(ctx.repo)}/discussions/{thread.number}",
        }
    )


def discussion(
    request: HttpRequest, type_plural: str, owner: str, name: str, num: str
) -> HttpResponse:
    """A discussion with its events; ``?diff=1`` adds a pull request's diff."""
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        thread = _thread(ctx, num)
    except DomainError as exc:
        return _answer(exc)
    with_diff = request.GET.get("diff", "").lower() in {"1", "true"}
    return JsonResponse(_details(thread, with_diff))


@csrf_exempt
def change(
    request: HttpRequest,
    type_plural: str,
    owner: str,
    name: str,
    num: str,
    resource: str,
    comment: str | None = None,
) -> HttpResponse:
    """``comment``, ``title``, ``status``, ``merge``, ``comment/{id}/edit|hide``."""
    need_write = resource == "merge"
    ctx: Ctx | JsonResponse
    if need_write:
        ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    else:
        ctx = _participant(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        thread = _thread(ctx, num)
        body = _body(request)
        return JsonResponse(_apply(ctx, thread, resource, comment, body))
    except pulls.MergeConflict as exc:
        return api_error(409, str(exc), filesWithConflicts=exc.files)
    except (pulls.NotFastForward, pulls.RefConflict) as exc:
        return api_error(409, str(exc))
    except DomainError as exc:
        return _answer(exc)
    except ValueError as exc:
        return api_error(400, f"Invalid JSON body: {exc}")


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key) or ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string")
    return value


def _apply(
    ctx: Ctx, thread: Thread, resource: str, comment: str | None, body: dict[str, Any]
) -> dict[str, Any]:
    actor = ctx.principal
    if resource == "comment" and comment is None:
        made = threads.comment_add(actor=actor, thread=thread, body=_text(body, "comment"))
        return {"newMessage": _comment_event(made)}
    if resource == "title":
        old = thread.title
        entry = threads.rename(actor=actor, thread=thread, title=_text(body, "title"))
        if entry is None:  # the same title: an event that says so
            entry = TimelineEntry(thread=thread, kind="title-change", actor=actor.user, pk=0)
            entry.data = {"from": old, "to": thread.title}
            entry.created_at = thread.updated_at
        return {"newTitle": _entry_event(entry)}
    if resource == "status":
        entry = threads.set_state(
            actor=actor, thread=thread, state=_text(body, "status"), comment=_text(body, "comment")
        )
        if entry is None:  # already in that status: an event that says so
            entry = TimelineEntry(thread=thread, kind="status-change", actor=actor.user, pk=0)
            entry.data = {"status": thread.state}
            entry.created_at = thread.updated_at
        return {"newStatus": _entry_event(entry)}
    if resource == "merge":
        pulls.merge_pull(actor=actor, thread=thread, comment=_text(body, "comment"))
        return {}
    if comment is None:
        raise InvalidInput(f"Unknown discussion action {resource!r}")
    try:
        pk = int(comment, 16)
    except ValueError:
        raise InvalidInput("Invalid comment id") from None
    if resource == "edit":
        made = threads.comment_edit(
            actor=actor, thread=thread, comment_id=pk, body=_text(body, "content")
        )
    else:
        made = threads.comment_hide(actor=actor, thread=thread, comment_id=pk)
    return {"updatedComment": _comment_event(made)}
