"""``/new``: create a repository under yourself or an organization you can write to."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nbopen.access.policy import Level
from nbopen.accounts.models import User
from nbopen.core.errors import DomainError
from nbopen.libraries import services as library_services
from nbopen.orgs.models import Membership
from nbopen.repos.services import repo_create
from nbopen.repos.uploads import Upload, upload_files
from nbopen.web.forms import RepoForm
from nbopen.web.messages import explain
from nbopen.web.views.base import page, principal


def _owner_choices(user: User) -> list[tuple[str, str]]:
    choices = [(user.username, user.username)]
    writable = [Membership.Role.OWNER, Membership.Role.ADMIN, Membership.Role.WRITE]
    for m in Membership.objects.filter(user=user, role__in=writable).select_related("organization"):
        choices.append((m.organization.name, m.organization.name))
    return choices


def domain_choices(request: HttpRequest) -> list[tuple[str, str]]:
    """The operators' domains, named in the page's language, after a "none" choice."""
    language = getattr(request, "LANGUAGE_CODE", "zh-hans")
    return [("", _("(none)"))] + [
        (d.slug, d.name(language)) for d in library_services.domain_list()
    ]


def initial_readme(
    *, name: str, description: str, type: str, license: str, domain: str = ""
) -> str:
    """A README with the Hub's YAML card header, so licence, type and domain show up at once."""
    header = []
    if license:
        header.append(f"license: {license}")
    if domain:
        header.append(f"domain: {domain}")
    front = "---\n" + "\n".join(header) + "\n---\n\n" if header else ""
    return f"{front}# {name}\n\n{description}\n".rstrip() + "\n"


@login_required
@require_http_methods(["GET", "POST"])
def repo_new(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = RepoForm(request.POST or None, initial={"owner": request.GET.get("owner", "")})
    form.fields["owner"].choices = _owner_choices(request.user)  # type: ignore[attr-defined]
    form.fields["domain"].choices = domain_choices(request)  # type: ignore[attr-defined]
    if len(form.fields["domain"].choices) == 1:  # type: ignore[attr-defined]
        del form.fields["domain"]  # no domains defined on this site
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        who = principal(request)
        try:
            repo = repo_create(
                actor=who,
                owner=data["owner"],
                name=data["name"],
                type=data["type"],
                private=data["private"],
                description=data["description"],
                empty=False,  # the same first commit a Hub client's create_repo gets
            )
            # A chosen domain lives in the card, so it brings a README even when unticked.
            if data["readme"] or data.get("domain"):
                text = initial_readme(
                    name=repo.name,
                    description=data["description"],
                    type=repo.type,
                    license=data["license"],
                    domain=data.get("domain", ""),
                )
                upload_files(
                    actor=who,
                    repo=repo,
                    branch=repo.default_branch,
                    uploads=[Upload("README.md", data=text.encode())],
                    message="Initial commit",
                )
        except DomainError as exc:
            error = explain(exc)
        else:
            return redirect(f"{repo.web_path}")
    return page(request, "web/repo_new.html", {"form": form, "error": error, "Level": Level})
