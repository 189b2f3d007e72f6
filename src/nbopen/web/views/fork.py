"""``/{owner}/{name}/fork``: copy a public repository under yourself or an organization."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from nbopen.accounts.models import User
from nbopen.core.errors import DomainError
from nbopen.repos.forks import repo_fork
from nbopen.web.forms import ForkForm
from nbopen.web.messages import explain
from nbopen.web.views.base import page, repo_access
from nbopen.web.views.browse import repo_context
from nbopen.web.views.repo_new import _owner_choices


@login_required
@require_http_methods(["GET", "POST"])
def fork(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    assert isinstance(request.user, User)
    access = repo_access(request, owner, name)
    source = access.repo
    form = ForkForm(request.POST or None, initial={"name": source.name})
    form.fields["owner"].choices = _owner_choices(request.user)  # type: ignore[attr-defined]
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            created = repo_fork(
                actor=access.who,
                source=source,
                owner=form.cleaned_data["owner"],
                name=form.cleaned_data["name"],
            )
        except DomainError as exc:
            error = explain(exc)
        else:
            return redirect(f"{created.web_path}")
    ctx = repo_context(access, rev=source.default_branch, sha=None, tab="fork")
    ctx.update({"form": form, "error": error})
    return page(request, "web/repo_fork.html", ctx)
