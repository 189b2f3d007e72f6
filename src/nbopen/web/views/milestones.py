"""Milestones pages (list with progress bars, new, edit) and the thread page's small forms:
labels and milestone (writers), reactions (any signed-in reader; a form post without
JavaScript, a ``fetch`` answered with JSON with it). Every decision is
:mod:`nbopen.collab.milestones`' / :mod:`.reactions`' and the policy's.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nbopen.access.policy import Level
from nbopen.collab import milestones, reactions, threads
from nbopen.collab.models import Milestone, Thread
from nbopen.core.errors import DomainError, NotFound
from nbopen.repos.models import Repository
from nbopen.web.markdown import render_markdown
from nbopen.web.messages import explain
from nbopen.web.views.base import RepoAccess, login_redirect, page, repo_access
from nbopen.web.views.browse import repo_context

HUB_TYPES = {Repository.Type.MODEL, Repository.Type.DATASET}


def _list_section(repo: Repository) -> str:
    return "discussions" if repo.type in HUB_TYPES else "issues"


def _context(access: RepoAccess) -> dict[str, Any]:
    section = _list_section(access.repo)
    ctx = repo_context(access, rev=access.repo.default_branch, sha=None, tab=section)
    ctx["section"] = section
    ctx["section_path"] = f"{access.repo.web_path}/{section}"
    ctx["milestones_path"] = f"{access.repo.web_path}/milestones"
    return ctx


def milestone_list(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """Open (or closed) milestones with their progress bars and due dates."""
    access = repo_access(request, owner, name)
    state = request.GET.get("state", "open")
    if state not in {"open", "closed"}:
        state = "open"
    found = milestones.milestone_list(actor=access.who, repo=access.repo, state=state)
    ctx = _context(access)
    ctx.update(
        {
            "state": state,
            "milestones": [
                (m, milestones.progress(m), render_markdown(m.description)) for m in found
            ],
        }
    )
    return page(request, "web/repo_milestones.html", ctx)


def _form_values(request: HttpRequest) -> dict[str, Any]:
    return {
        "title": request.POST.get("title", ""),
        "description": request.POST.get("description", ""),
        "due_on": request.POST.get("due_on", "").strip() or None,
    }


@require_http_methods(["GET", "POST"])
def milestone_new(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """The new-milestone form (writers)."""
    access = repo_access(request, owner, name, Level.WRITE)
    ctx = _context(access)
    if request.method == "POST":
        values = _form_values(request)
        try:
            milestones.milestone_create(actor=access.who, repo=access.repo, **values)
        except DomainError as exc:
            messages.error(request, explain(exc))
            ctx["form"] = values
            return page(request, "web/repo_milestone_form.html", ctx, status=400)
        messages.success(request, _("Milestone created."))
        return redirect(ctx["milestones_path"])
    ctx["form"] = {}
    return page(request, "web/repo_milestone_form.html", ctx)


@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, owner: str, name: str, milestone_id: int) -> HttpResponse:
    """Edit, close, reopen or delete a milestone (writers)."""
    access = repo_access(request, owner, name, Level.WRITE)
    try:
        found = milestones.milestone_get(actor=access.who, repo=access.repo, ref=milestone_id)
    except NotFound:
        raise Http404("no such milestone") from None
    ctx = _context(access)
    ctx["milestone"] = found
    if request.method == "POST":
        action = request.POST.get("action", "save")
        values = _form_values(request)
        try:
            if action == "delete":
                milestones.milestone_delete(actor=access.who, repo=access.repo, ref=found.pk)
                messages.success(request, _("Milestone deleted."))
                return redirect(ctx["milestones_path"])
            if action in {"close", "reopen"}:
                state = Milestone.State.CLOSED if action == "close" else Milestone.State.OPEN
                milestones.milestone_edit(
                    actor=access.who, repo=access.repo, ref=found.pk, state=state
                )
            else:
                milestones.milestone_edit(
                    actor=access.who, repo=access.repo, ref=found.pk, **values
                )
        except DomainError as exc:
            messages.error(request, explain(exc))
            ctx["form"] = values
            return page(request, "web/repo_milestone_form.html", ctx, status=400)
        messages.success(request, _("Milestone saved."))
        return redirect(ctx["milestones_path"])
    ctx["form"] = {
        "title": found.title,
        "description": found.description,
        "due_on": found.due_on.date().isoformat() if found.due_on else "",
    }
    return page(request, "web/repo_milestone_form.html", ctx)


def _thread(access: RepoAccess, num: str) -> Thread:
    try:
        return threads.thread_get(actor=access.who, repo=access.repo, number=int(num))
    except NotFound:
        raise Http404("no such thread") from None


@require_POST
def thread_meta(
    request: HttpRequest, owner: str, name: str, section: str, num: str
) -> HttpResponse:
    """The sidebar's form: labels (checked boxes, the repository's and its organization's)
    and the milestone. Writers only; the services refuse anyone else."""
    access = repo_access(request, owner, name)
    if not access.who.is_authenticated:
        return login_redirect(request)
    thread = _thread(access, num)
    ids = [int(v) for v in request.POST.getlist("labels") if v.isdigit()]
    try:
        threads.set_labels(actor=access.who, thread=thread, ids=ids)
        ref = request.POST.get("milestone", "")
        milestones.set_milestone(actor=access.who, thread=thread, ref=ref or None)
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"{access.repo.web_path}/{section}/{num}")


@require_POST
def thread_react(
    request: HttpRequest, owner: str, name: str, section: str, num: str
) -> HttpResponse:
    """Toggle the viewer's reaction on the thread or one of its comments. A ``fetch`` (it
    asks for JSON) gets the new counts; a plain form post returns to the thread."""
    access = repo_access(request, owner, name)
    wants_json = "application/json" in request.headers.get("Accept", "")
    back = f"{access.repo.web_path}/{section}/{num}"
    if not access.who.is_authenticated:
        if wants_json:
            return JsonResponse({"error": _("Sign in to react")}, status=401)
        return login_redirect(request)
    thread = _thread(access, num)
    raw = request.POST.get("comment", "")
    comment_id = int(raw) if raw.isdigit() else None
    try:
        added = reactions.toggle(
            actor=access.who,
            thread=thread,
            content=request.POST.get("content", ""),
            comment_id=comment_id,
        )
    except DomainError as exc:
        if wants_json:
            return JsonResponse({"error": explain(exc)}, status=400)
        messages.error(request, explain(exc))
        return redirect(back)
    if not wants_json:
        return redirect(f"{back}#{f'comment-{comment_id}' if comment_id else 'thread-reactions'}")
    tallies = reactions.tallies(thread, access.who.user).get(comment_id, [])
    return JsonResponse(
        {
            "added": added,
            "reactions": [
                {"content": t.content, "emoji": t.emoji, "count": t.count, "mine": t.mine}
                for t in tallies
            ],
        }
    )
