"""Editing in the browser: ``/{owner}/{name}/new|edit|rename|delete/{branch}/{path}``.

Each page is a form with a commit box; the POST calls :mod:`nbopen.repos.edits`, which
commits through the write service with compare-and-swap on the commit the form was based on.
Pages answer like every repository page: 404 for a repository the caller may not see, 403
for a reader. Edits happen on branches only (a tag or commit page shows no edit buttons).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nbopen.access.policy import Level
from nbopen.config.env import CONFIG
from nbopen.core.errors import AlreadyExists, DomainError, NotFound
from nbopen.core.limits import body_limit
from nbopen.repos import edits
from nbopen.repos.git import names, read
from nbopen.web.forms import CommitForm, EditFileForm, NewFileForm, RenameForm
from nbopen.web.markdown import render_markdown
from nbopen.web.messages import explain
from nbopen.web.views.base import RepoAccess, page, repo_access
from nbopen.web.views.browse import repo_context

Action = Callable[[edits.Target, str], str]


def _on_branch(access: RepoAccess, rest: str) -> tuple[str, str, str]:
    """(branch, head sha, path) for ``{branch}/{path}``; 404 unless it names a branch."""
    split = access.split(rest)
    branches, _tags = access.refs()
    if split is None or split[0] not in {b.name for b in branches}:
        raise Http404("edits happen on a branch")
    return split


def _blob(web: str, branch: str, path: str) -> str:
    return f"{web}/blob/{quote(branch)}/{quote(names.check_path(path))}"


def _reason(exc: DomainError) -> str:
    """The error in the reader's language (services speak English to the API and CLI)."""
    if isinstance(exc, edits.EditConflict):
        return _(
            "The branch %(branch)s has changed since you opened this page, so nothing was"
            " saved. Your text is kept below: look at the latest version, then save again to"
            " commit on top of it, or commit to a new branch."
        ) % {"branch": exc.branch}
    if isinstance(exc, edits.PathTaken):
        return _("A file or folder already exists at that path.")
    if isinstance(exc, edits.BadPath):
        return _(
            "That path is not allowed: separate folders with '/', and use no empty, '.', '..'"
            " or '.git' parts, backslashes or control characters."
        )
    if isinstance(exc, edits.BadBranch):
        return _("That is not a valid branch name.")
    if isinstance(exc, AlreadyExists):
        return _("A branch with that name already exists.")
    if isinstance(exc, edits.NoChange):
        return _("Nothing to commit: the change leaves every file as it was.")
    if isinstance(exc, NotFound):
        return _("The file is no longer on this branch.")
    return explain(exc)


def _message(form: CommitForm, default: str) -> str:
    summary = form.cleaned_data["summary"].strip() or default
    description = form.cleaned_data["description"].strip()
    return f"{summary}\n\n{description}" if description else summary


def _handle(
    request: HttpRequest,
    access: RepoAccess,
    branch: str,
    form: CommitForm,
    default: str,
    action: Action,
    done: Callable[[str], str],
) -> tuple[HttpResponse | None, str]:
    """Run ``action`` for a valid POST: (redirect, "") on success, (None, error) otherwise.
    On a conflict the form's base moves to the branch's head, so saving again is a
    deliberate commit on top of the other change."""
    if request.method != "POST" or not form.is_valid():
        return None, ""
    data = form.cleaned_data
    new_branch = data["new_branch"].strip() if data["target"] == "new" else ""
    target = edits.Target(branch=branch, base=data["base"], new_branch=new_branch)
    try:
        action(target, _message(form, default))
    except DomainError as exc:
        if isinstance(exc, edits.EditConflict) and exc.head:
            bound = request.POST.copy()
            bound["base"] = exc.head
            form.data = bound
        return None, _reason(exc)
    messages.success(request, _("Committed to %(branch)s.") % {"branch": target.destination})
    return redirect(done(target.destination)), ""


def _render(
    request: HttpRequest,
    access: RepoAccess,
    *,
    branch: str,
    sha: str,
    mode: str,
    path: str,
    form: CommitForm,
    error: str,
    **extra: Any,
) -> HttpResponse:
    ctx = repo_context(access, rev=branch, sha=sha, tab="files")
    ctx.update(
        {"mode": mode, "path": path, "form": form, "error": error, "branch": branch, **extra}
    )
    return page(request, "web/repo_edit.html", ctx, status=400 if error else 200)


@body_limit(CONFIG.max_commit_body)
@require_http_methods(["GET", "POST"])
def new_file(request: HttpRequest, owner: str, name: str, rest: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.WRITE)
    branch, sha, folder = _on_branch(access, rest)
    form = NewFileForm(
        request.POST or None,
        initial={"path": f"{folder}/" if folder else "", "base": sha},
        branch=branch,
        default_message=_("Create new file"),
    )
    web = access.repo.web_path

    def action(target: edits.Target, message: str) -> str:
        return edits.create_file(
            actor=access.who,
            repo=access.repo,
            target=target,
            path=form.cleaned_data["path"],
            text=form.cleaned_data["content"],
            message=message,
        )

    default = ""
    if form.is_bound and form.is_valid():
        default = _("Create %(name)s") % {"name": posixpath.basename(form.cleaned_data["path"])}
    response, error = _handle(
        request,
        access,
        branch,
        form,
        default,
        action,
        lambda b: _blob(web, b, form.cleaned_data["path"]),
    )
    return response or _render(
        request, access, branch=branch, sha=sha, mode="new", path=folder, form=form, error=error
    )


def _file(access: RepoAccess, rest: str) -> tuple[str, str, str]:
    branch, sha, path = _on_branch(access, rest)
    if not path:
        raise Http404("no file")
    return branch, sha, path


@body_limit(CONFIG.max_commit_body)
@require_http_methods(["GET", "POST"])
def edit_file(request: HttpRequest, owner: str, name: str, rest: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.WRITE)
    branch, sha, path = _file(access, rest)
    current = edits.editable(access.repo, sha, path)
    if current is None:
        raise Http404("no such file")
    default = _("Update %(name)s") % {"name": posixpath.basename(path)}
    form = EditFileForm(
        request.POST or None,
        initial={"path": path, "content": current.text, "base": sha, "blob": current.entry.oid},
        branch=branch,
        default_message=default,
    )
    web = access.repo.web_path

    def action(target: edits.Target, message: str) -> str:
        return edits.edit_file(
            actor=access.who,
            repo=access.repo,
            target=target,
            path=path,
            new_path=form.cleaned_data["path"],
            text=form.cleaned_data["content"],
            message=message,
        )

    response, error = _handle(
        request,
        access,
        branch,
        form,
        default,
        action,
        lambda b: _blob(web, b, form.cleaned_data["path"]),
    )
    return response or _render(
        request,
        access,
        branch=branch,
        sha=sha,
        mode="edit",
        path=path,
        form=form,
        error=error,
        editable=current,
    )


@require_http_methods(["GET", "POST"])
def rename_file(request: HttpRequest, owner: str, name: str, rest: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.WRITE)
    branch, sha, path = _file(access, rest)
    default = _("Rename %(name)s") % {"name": posixpath.basename(path)}
    form = RenameForm(
        request.POST or None,
        initial={"path": path, "base": sha},
        branch=branch,
        default_message=default,
    )
    web = access.repo.web_path

    def action(target: edits.Target, message: str) -> str:
        return edits.rename_file(
            actor=access.who,
            repo=access.repo,
            target=target,
            path=path,
            new_path=form.cleaned_data["path"],
            message=message,
        )

    response, error = _handle(
        request,
        access,
        branch,
        form,
        default,
        action,
        lambda b: _blob(web, b, form.cleaned_data["path"]),
    )
    return response or _render(
        request, access, branch=branch, sha=sha, mode="rename", path=path, form=form, error=error
    )


@require_http_methods(["GET", "POST"])
def delete_path(request: HttpRequest, owner: str, name: str, rest: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.WRITE)
    branch, sha, path = _file(access, rest)
    entry = read.entry_at(access.repo.git_path, sha, path)
    if entry is None:
        raise Http404("no such path")
    default = _("Delete %(name)s") % {"name": posixpath.basename(path)}
    form = CommitForm(
        request.POST or None, initial={"base": sha}, branch=branch, default_message=default
    )
    parent = posixpath.dirname(path)

    def action(target: edits.Target, message: str) -> str:
        return edits.delete_path(
            actor=access.who, repo=access.repo, target=target, path=path, message=message
        )

    response, error = _handle(
        request,
        access,
        branch,
        form,
        default,
        action,
        lambda b: _surviving_folder(access, b, parent),
    )
    return response or _render(
        request,
        access,
        branch=branch,
        sha=sha,
        mode="delete",
        path=path,
        form=form,
        error=error,
        folder=entry.type == "tree",
    )


def _surviving_folder(access: RepoAccess, branch: str, folder: str) -> str:
    """The tree page of ``folder``, or of its closest ancestor still there (a folder whose
    last file was deleted is gone)."""
    head = read.resolve(access.repo.git_path, f"refs/heads/{branch}")
    while folder and head and read.entry_at(access.repo.git_path, head, folder) is None:
        folder = posixpath.dirname(folder)
    web = access.repo.web_path
    return f"{web}/tree/{quote(branch)}" + (f"/{quote(folder)}" if folder else "")


@body_limit(CONFIG.max_commit_body)
@require_POST
def preview(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """The editor's Markdown preview, rendered and sanitised like a README (no links are
    rewritten: the text is not in the repository yet)."""
    repo_access(request, owner, name, Level.WRITE)
    html = render_markdown(request.POST.get("text", "")[: 1024 * 1024])
    return HttpResponse(html, content_type="text/html; charset=utf-8")
