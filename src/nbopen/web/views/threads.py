"""Discussions (model and dataset repositories), issues and pull requests (code repositories):
the list, a thread with its comments and timeline, the new-thread form and the comment box.

The section names the Hub and GitHub use are kept: ``/{repo}/discussions`` on models and
datasets, ``/{repo}/issues`` and ``/{repo}/pulls`` on code repositories. Every decision is
made by :mod:`nbopen.collab.threads` / :mod:`nbopen.collab.pulls` and the policy; these views
turn form posts into service calls and domain errors into flash messages. Markdown is rendered
by the one sanitiser (:mod:`nbopen.web.markdown`) when the page is built.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from nbopen.access.policy import Decision, Level, decide_repo, repo_level
from nbopen.collab import (
    compare,
    issue_templates,
    listing,
    milestones,
    protection,
    pulls,
    reactions,
    reviewing,
    statuses,
    threads,
)
from nbopen.collab import labels as label_rules
from nbopen.collab.models import Thread
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.web.markdown import render_markdown
from nbopen.web.messages import explain
from nbopen.web.views.base import RepoAccess, login_redirect, page, repo_access
from nbopen.web.views.browse import repo_context
from nbopen.web.views.pulls import pull_context

HUB_TYPES = {Repository.Type.MODEL, Repository.Type.DATASET}
STATE_LABELS = {
    "pending": gettext_lazy("Pending"),
    "success": gettext_lazy("Success"),
    "error": gettext_lazy("Error"),
    "failure": gettext_lazy("Failure"),
    "warning": gettext_lazy("Warning"),
}
PER_PAGE = 25
FILTERS = ("q", "author", "label", "assignee", "review", "milestone")


def _section_kind(access: RepoAccess, section: str) -> str | None:
    """The thread kind a section lists (None: both), or 404 for the other type's sections."""
    hub = access.repo.type in HUB_TYPES
    if section == "discussions" and hub:
        return None
    if section == "issues" and not hub:
        return Thread.Kind.ISSUE
    if section == "pulls" and not hub:
        return Thread.Kind.PULL
    raise Http404("no such section")


def _base(access: RepoAccess, section: str) -> dict[str, Any]:
    ctx = repo_context(access, rev=access.repo.default_branch, sha=None, tab=section)
    ctx["section"] = section
    ctx["section_path"] = f"{access.repo.web_path}/{section}"
    return ctx


def thread_list(request: HttpRequest, owner: str, name: str, section: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    kind = _section_kind(access, section)
    state = request.GET.get("state", "open")
    if state not in {"open", "closed", "all"}:
        state = "open"
    qs = (
        threads.thread_list(
            actor=access.who,
            repo=access.repo,
            kind=kind,
            state=None if state == "all" else state,
            author=request.GET.get("author") or None,
            label=request.GET.get("label") or None,
            milestone=request.GET.get("milestone") or None,
        )
        # the page's milestones in one query for its rows, not a join over skipped rows
        .prefetch_related("labels", "milestone")
    )
    filters = {k: request.GET.get(k, "").strip() for k in FILTERS}
    qs = listing.refine(
        qs,
        assignee=filters["assignee"],
        review=filters["review"],
        query=filters["q"],
        repository_id=access.repo.pk,
    )
    found = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    ctx = _base(access, section)
    query = urlencode({"state": state, **{k: v for k, v in filters.items() if v}})
    ctx.update({"threads": found, "state": state, "filters": filters, "query": query})
    ctx["milestones"] = list(milestones.milestone_choices(actor=access.who, repo=access.repo))
    return page(request, "web/repo_threads.html", ctx)


def _section_of(thread: Thread) -> str:
    if thread.repository.type in HUB_TYPES:
        return "discussions"
    return "pulls" if thread.is_pull else "issues"


def _visible_reference(access: RepoAccess, entry: Any) -> bool:
    """A cross-reference from another repository shows only to those who can read it."""
    source = Repository.objects.filter(pk=entry.data.get("source_repo_id")).first()
    return source is not None and decide_repo(access.who, source, Level.READ) is Decision.ALLOW


def thread_page(
    request: HttpRequest, owner: str, name: str, section: str, num: str
) -> HttpResponse:
    access = repo_access(request, owner, name)
    _section_kind(access, section)
    try:
        thread = threads.thread_get(actor=access.who, repo=access.repo, number=int(num))
    except NotFound:
        raise Http404("no such thread") from None
    if _section_of(thread) != section:
        return redirect(f"{access.repo.web_path}/{_section_of(thread)}/{num}")
    items: list[tuple[Any, int, str, Any]] = []
    for comment in threads.comments(thread):
        rendered = "" if comment.hidden else render_markdown(comment.body)
        items.append((comment.created_at, comment.pk, "comment", (comment, rendered)))
    for entry in thread.timeline.select_related("actor"):
        if entry.kind == "cross-reference" and not _visible_reference(access, entry):
            continue
        items.append((entry.created_at, entry.pk, "entry", entry))
    items.sort(key=lambda item: (item[0], item[2] == "entry", item[1]))
    ctx = _base(access, section)
    ctx.update(
        {
            "thread": thread,
            "timeline": [(kind, value) for _at, _pk, kind, value in items],
            "labels": list(thread.labels.all()),
            "can_moderate": access.can_write
            or (access.who.user is not None and access.who.user.pk == thread.author_id),
            "reactions": reactions.tallies(thread, access.who.user),
            "reaction_choices": reactions.EMOJI,
            "milestone": thread.milestone,
            "milestone_progress": milestones.progress(thread.milestone)
            if thread.milestone is not None
            else None,
        }
    )
    if access.can_write:
        chosen = {label.pk for label in ctx["labels"]}
        ctx["label_choices"] = [
            (label, label.pk in chosen) for label in label_rules.available(access.repo)
        ]
        ctx["milestone_choices"] = list(
            milestones.milestone_choices(actor=access.who, repo=access.repo, state="open")
        )
    if thread.is_pull:
        ctx.update(pull_context(request, access, thread, ctx["section_path"]))
        ctx.update(_checks(access, thread, ctx["changes"].head))
    return page(request, "web/repo_thread.html", ctx)


@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest, owner: str, name: str, section: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    _section_kind(access, section)
    if not access.who.is_authenticated:
        return login_redirect(request)
    ctx = _base(access, section)
    forks = _readable_forks(access)
    ctx["heads"] = [b.name for b in ctx["branches"] if b.name != access.repo.default_branch]
    for fork in forks:
        ctx["heads"] += [f"{fork.owner.name}:{b.name}" for b in read.list_refs(fork.git_path)[0]]
    ctx["head"] = request.GET.get("head", "")
    template = None
    if section != "pulls":
        ctx["templates"] = issue_templates.usable(actor=access.who, repo=access.repo)
        chosen = request.POST.get("template") or request.GET.get("template", "")
        template = next((t for t in ctx["templates"] if t.slug == chosen), None)
        if ctx["templates"] and not chosen and request.method == "GET":
            return page(request, "web/repo_thread_chooser.html", ctx)
        if template is not None and request.method == "GET":
            ctx.update({"title": template.title, "body": template.content})
        ctx["template"] = template
    if section == "pulls" and ctx["head"] and request.method == "GET":
        try:
            head_repo, head_branch = _head(access, forks, ctx["head"])
            ctx["comparison"] = compare.compare(
                actor=access.who, repo=access.repo, head_repo=head_repo, head_branch=head_branch
            )
        except DomainError:
            ctx["comparison"] = None
    if request.method == "POST":
        title, body = request.POST.get("title", ""), request.POST.get("body", "")
        head = request.POST.get("head", "").strip()
        try:
            if section == "pulls":
                head_repo, head_branch = _head(access, forks, head)
                made = pulls.open_pull(
                    actor=access.who,
                    repo=access.repo,
                    title=title,
                    body=body,
                    head_repo=head_repo,
                    head_branch=head_branch,
                )
            else:
                made = threads.create_thread(
                    actor=access.who, repo=access.repo, title=title, body=body
                )
                if template is not None:
                    issue_templates.apply_defaults(thread=made, template=template)
        except DomainError as exc:
            messages.error(request, explain(exc))
            ctx.update({"title": title, "body": body, "head": head})
            return page(request, "web/repo_thread_new.html", ctx, status=400)
        return redirect(f"{access.repo.web_path}/{section}/{made.number}")
    return page(request, "web/repo_thread_new.html", ctx)


def _readable_forks(access: RepoAccess) -> list[Repository]:
    """The forks of this repository the signed-in viewer owns or may write to (their
    branches can be a pull request's head: "Contribute back")."""
    if access.who.user is None:
        return []
    forks = Repository.objects.filter(forked_from=access.repo).select_related("owner")[:50]
    return [f for f in forks if repo_level(access.who, f) >= Level.WRITE]


def _head(access: RepoAccess, forks: list[Repository], head: str) -> tuple[Repository, str]:
    """``branch`` (this repository) or ``owner:branch`` (that owner's fork)."""
    owner, sep, branch = head.partition(":")
    if not sep:
        return access.repo, head
    for fork in forks:
        if fork.owner.name == owner:
            return fork, branch
    raise InvalidInput(f"No fork of yours named {owner}")


def commit_checks(repo: Repository, sha: str) -> dict[str, Any]:
    """The latest status per context of commit ``sha`` and their combined state, for the
    commit page and a pull request's merge box (``web/partials/checks.html``)."""
    latest = sorted(protection.latest_statuses(repo, sha).values(), key=lambda s: s.id)
    return {
        "checks": [(s, STATE_LABELS[s.state]) for s in latest],
        "checks_state": STATE_LABELS[statuses.combined_state(latest)] if latest else "",
    }


def _checks(access: RepoAccess, thread: Thread, head: str | None) -> dict[str, Any]:
    """The merge box's checks: the head's statuses, and what blocks the merge under the base
    branch's protection (the button is disabled with these reasons)."""
    if head is None:
        return {"checks": [], "checks_state": "", "merge_blockers": []}
    blockers: list[str] = []
    if thread.state == Thread.State.OPEN and access.can_write:
        blockers = [
            _(template) % params if params else _(template)
            for template, params in protection.merge_blockers(thread, access.who, head)
        ]
    return {**commit_checks(access.repo, head), "merge_blockers": blockers}


@require_POST
def thread_act(request: HttpRequest, owner: str, name: str, section: str, num: str) -> HttpResponse:
    """The comment box: comment, close (completed / not planned), reopen, merge."""
    access = repo_access(request, owner, name)
    back = f"{access.repo.web_path}/{section}/{num}"
    if not access.who.is_authenticated:
        return login_redirect(request)
    try:
        thread = threads.thread_get(actor=access.who, repo=access.repo, number=int(num))
    except NotFound:
        raise Http404("no such thread") from None
    action = request.POST.get("action", "comment")
    body = request.POST.get("body", "")
    try:
        if action == "comment":
            threads.comment_add(actor=access.who, thread=thread, body=body)
        elif action in {"close", "close_not_planned"}:
            reason = "not_planned" if action == "close_not_planned" else "completed"
            threads.set_state(
                actor=access.who, thread=thread, state="closed", reason=reason, comment=body
            )
        elif action == "reopen":
            threads.set_state(actor=access.who, thread=thread, state="open", comment=body)
        elif action == "merge":
            strategy = pulls.Strategy(request.POST.get("strategy", "merge"))
            pulls.merge_pull(actor=access.who, thread=thread, strategy=strategy, comment=body)
            if request.POST.get("delete_branch"):
                thread.refresh_from_db()
                gone = reviewing.delete_head_branch(actor=access.who, thread=thread)
                messages.success(request, _("Branch %(name)s deleted.") % {"name": gone})
        else:
            raise Http404("unknown action")
    except (DomainError, pulls.MergeConflict, pulls.NotFastForward, pulls.RefConflict) as exc:
        messages.error(request, explain(exc) if isinstance(exc, DomainError) else str(exc))
    except ValueError:
        raise Http404("unknown merge strategy") from None
    return redirect(back)
