"""``/{owner}/{name}/settings``: description, visibility, collaborators, protected branches and
deletion, for admins only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nbopen.access.policy import Level
from nbopen.collab import protection
from nbopen.core.errors import DomainError
from nbopen.libraries import services as library_services
from nbopen.repos import moves
from nbopen.repos.collaborators import collaborator_remove, collaborator_set, collaborators_of
from nbopen.repos.models import Collaborator
from nbopen.repos.services import repo_delete, repo_update_settings
from nbopen.web.forms import DeleteForm, RepoSettingsForm
from nbopen.web.messages import explain
from nbopen.web.views.base import page, repo_access
from nbopen.web.views.browse import repo_context
from nbopen.web.views.members import find_user
from nbopen.web.views.repo_new import domain_choices


@require_http_methods(["GET", "POST"])
def settings(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.ADMIN)
    repo = access.repo
    form = RepoSettingsForm(
        request.POST or None,
        initial={"description": repo.description, "private": repo.private},
    )
    if request.method == "POST" and form.is_valid():
        repo_update_settings(
            actor=access.who,
            repo=repo,
            private=form.cleaned_data["private"],
            description=form.cleaned_data["description"],
        )
        messages.success(request, _("Settings saved."))
        return redirect(f"{repo.web_path}/settings")
    ctx = repo_context(access, rev=repo.default_branch, sha=None, tab="settings")
    ctx.update(
        {
            "form": form,
            "delete_form": DeleteForm(),
            "collaborators": collaborators_of(repo),
            "collaborator_roles": Collaborator.Role.choices,
            "domain_choices": domain_choices(request),
            "current_domains": [d.slug for d in library_services.domain_of(repo)],
            "protections": protection.rules(repo),
        }
    )
    return page(request, "web/repo_settings.html", ctx)


@require_POST
def domain(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """Choose the repository's domain: a commit to README.md's ``domain:`` (the card is the
    one source of truth that libraries, search and the Hub API read)."""
    access = repo_access(request, owner, name, Level.ADMIN)
    try:
        chosen = library_services.repo_domain_set(
            actor=access.who, repo=access.repo, slug=request.POST.get("domain", "")
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        language = getattr(request, "LANGUAGE_CODE", "zh-hans")
        if chosen is None:
            messages.success(request, _("The repository is in no domain now."))
        else:
            messages.success(
                request,
                _("The repository is now in %(domain)s.") % {"domain": chosen.name(language)},
            )
    return redirect(f"{access.repo.web_path}/settings#domain")


@require_POST
def delete(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.ADMIN)
    repo = access.repo
    form = DeleteForm(request.POST)
    if not form.is_valid() or form.cleaned_data["confirm"].strip() != repo.full_name:
        messages.error(request, _("The name you typed does not match; nothing was deleted."))
        return redirect(f"{repo.web_path}/settings")
    full_name, web_path = repo.full_name, repo.web_path
    try:
        repo_delete(actor=access.who, repo=repo)
    except DomainError as exc:
        messages.error(request, explain(exc))
        return redirect(f"{web_path}/settings")
    messages.success(request, _("Repository %(name)s was deleted.") % {"name": full_name})
    return redirect(f"/{repo.owner.name}")


@require_POST
def move(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """Rename or transfer (:func:`nbopen.repos.moves.repo_move`); the old name redirects."""
    access = repo_access(request, owner, name, Level.ADMIN)
    repo = access.repo
    try:
        moves.repo_move(
            actor=access.who,
            repo=repo,
            owner=request.POST.get("owner", "").strip(),
            name=request.POST.get("name", "").strip(),
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
        return redirect(f"{repo.web_path}/settings")
    messages.success(request, _("The repository is now %(name)s.") % {"name": repo.full_name})
    return redirect(f"{repo.web_path}/settings")


@require_POST
def collaborator_add(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.ADMIN)
    username = request.POST.get("username", "").strip()
    try:
        collaborator_set(
            actor=access.who,
            repo=access.repo,
            user=find_user(username),
            role=request.POST.get("role", "read"),
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("%(user)s is now a collaborator.") % {"user": username})
    return redirect(f"{access.repo.web_path}/settings")


@require_POST
def collaborator_delete(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.ADMIN)
    username = request.POST.get("username", "").strip()
    try:
        collaborator_remove(actor=access.who, repo=access.repo, user=find_user(username))
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("%(user)s was removed.") % {"user": username})
    return redirect(f"{access.repo.web_path}/settings")


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@require_POST
def protection_save(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """Add or change the rule named in the form (the same fields as Gitea's API)."""
    access = repo_access(request, owner, name, Level.ADMIN)
    post = request.POST
    rule_name = post.get("rule_name", "").strip()
    push_users = _names(post.get("push_whitelist_usernames", ""))
    merge_users = _names(post.get("merge_whitelist_usernames", ""))
    contexts = _names(post.get("status_check_contexts", ""))
    approvals = post.get("required_approvals", "0").strip()
    data = {
        "rule_name": rule_name,
        "enable_push": post.get("push") in {"all", "whitelist"},
        "enable_push_whitelist": post.get("push") == "whitelist",
        "push_whitelist_usernames": push_users,
        "enable_force_push": post.get("enable_force_push") == "on",
        "enable_merge_whitelist": bool(merge_users),
        "merge_whitelist_usernames": merge_users,
        "required_approvals": int(approvals) if approvals.isdigit() else -1,
        "enable_status_check": bool(contexts),
        "status_check_contexts": contexts,
        "block_on_rejected_reviews": post.get("block_on_rejected_reviews") == "on",
        "dismiss_stale_approvals": post.get("dismiss_stale_approvals") == "on",
    }
    existing = protection.rules(access.repo)
    known = rule_name in {r.rule_name for r in existing}
    try:
        protection.save_rule(
            actor=access.who, repo=access.repo, data=data, name=rule_name if known else None
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("Branch protection %(name)s saved.") % {"name": rule_name})
    return redirect(f"{access.repo.web_path}/settings#protected-branches")


@require_POST
def protection_delete(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.ADMIN)
    rule_name = request.POST.get("rule_name", "")
    try:
        protection.delete_rule(actor=access.who, repo=access.repo, name=rule_name)
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("Branch protection %(name)s removed.") % {"name": rule_name})
    return redirect(f"{access.repo.web_path}/settings#protected-branches")
