"""``/{owner}/{name}/upload/{rev}``: add files through the browser as one new commit."""

from __future__ import annotations

import posixpath
from pathlib import Path

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nbopen.access.policy import Level
from nbopen.config.env import CONFIG
from nbopen.core.errors import DomainError
from nbopen.core.limits import body_limit
from nbopen.repos.uploads import Upload, upload_files
from nbopen.web.forms import UploadForm
from nbopen.web.messages import explain
from nbopen.web.views.base import page, repo_access
from nbopen.web.views.browse import repo_context

MAX_FILES = 100


@body_limit(CONFIG.max_commit_body)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, owner: str, name: str, branch: str = "") -> HttpResponse:
    access = repo_access(request, owner, name, Level.WRITE)
    repo = access.repo
    branch = branch or repo.default_branch
    branches, _tags = access.refs()
    if branches and branch not in {b.name for b in branches}:
        branch = repo.default_branch
    form = UploadForm(request.POST or None, initial={"directory": request.GET.get("dir", "")})
    error = ""
    if request.method == "POST" and form.is_valid():
        files = request.FILES.getlist("files")
        directory = form.cleaned_data["directory"].strip("/")
        if not files:
            error = _("Choose at least one file to upload.")
        elif len(files) > MAX_FILES:
            error = _("At most %(n)d files per upload.") % {"n": MAX_FILES}
        else:
            uploads = []
            for f in files:
                target = posixpath.join(directory, f.name or "file") if directory else f.name
                tmp = getattr(f, "temporary_file_path", None)
                if tmp is not None:
                    uploads.append(Upload(str(target), source=Path(tmp())))
                else:
                    uploads.append(Upload(str(target), data=f.read()))
            message = form.cleaned_data["message"] or _("Upload %(names)s") % {
                "names": ", ".join(f.name or "" for f in files[:3])
            }
            try:
                upload_files(
                    actor=access.who, repo=repo, branch=branch, uploads=uploads, message=message
                )
            except DomainError as exc:
                error = explain(exc)
            else:
                messages.success(request, _("%(n)d file(s) committed.") % {"n": len(files)})
                suffix = f"/{directory}" if directory else ""
                return redirect(f"{repo.web_path}/tree/{branch}{suffix}")
    ctx = repo_context(access, rev=branch, sha=None, tab="files")
    ctx.update({"form": form, "error": error, "branch": branch})
    return page(request, "web/repo_upload.html", ctx)
