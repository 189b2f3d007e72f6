"""Webhook settings of a repository (``/{owner}/{name}/settings/hooks``) and of an
organization (``/{org}/settings/hooks``): add, edit, test, delete, and the delivery log with
"redeliver". The rules (admins only, URL checks, delivery) are in :mod:`nbopen.webhooks`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nbopen.access.policy import Level, Principal
from nbopen.core.errors import DomainError, NotFound, PermissionDenied
from nbopen.orgs.services import org_get
from nbopen.web.denials import LoginRequired
from nbopen.web.messages import explain
from nbopen.web.views.base import page, principal, repo_access
from nbopen.web.views.browse import repo_context
from nbopen.webhooks import services
from nbopen.webhooks.models import EVENTS, Webhook


def _fields(request: HttpRequest) -> dict[str, Any]:
    return {
        "url": request.POST.get("url", ""),
        "secret": request.POST.get("secret") or None,
        "content_type": request.POST.get("content_type", "json"),
        "events": request.POST.getlist("events") or ["push"],
        "branch_filter": request.POST.get("branch_filter", "*"),
        "active": request.POST.get("active") == "on",
    }


def _handle(
    request: HttpRequest,
    who: Principal,
    where: dict[str, Any],
    base: str,
    hook_id: int | None,
) -> HttpResponse | None:
    """Apply a POST; returns the redirect, or None for a GET."""
    if request.method != "POST":
        return None
    action = request.POST.get("action", "")
    target = f"{base}/{hook_id}" if hook_id else base
    try:
        if hook_id is None:
            hook = services.hook_create(actor=who, fields=_fields(request), **where)
            messages.success(request, _("Webhook added."))
            return redirect(f"{base}/{hook.pk}")
        hook = services.hook_get(actor=who, hook_id=hook_id, **where)
        if action == "delete":
            services.hook_delete(actor=who, hook=hook)
            messages.success(request, _("Webhook deleted."))
            return redirect(base)
        if action == "test":
            services.test_delivery(actor=who, hook=hook)
            messages.success(request, _("A test delivery was queued."))
        elif action == "redeliver":
            row = services.deliveries(hook).filter(pk=int(request.POST.get("delivery") or 0))
            if not row:
                raise NotFound("Delivery not found")
            services.redeliver(actor=who, delivery_row=row[0])
            messages.success(request, _("The delivery was queued again."))
        else:
            services.hook_update(actor=who, hook=hook, fields=_fields(request))
            messages.success(request, _("Webhook saved."))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(target)


def _context(who: Principal, where: dict[str, Any], hook_id: int | None) -> dict[str, Any]:
    hook: Webhook | None = None
    if hook_id is not None:
        hook = services.hook_get(actor=who, hook_id=hook_id, **where)
    hooks = list(services.hooks_of(actor=who, **where))
    for h in hooks:
        h.last = services.deliveries(h).first()  # type: ignore[attr-defined]
    return {
        "hooks": hooks,
        "hook": hook,
        "deliveries": list(services.deliveries(hook)[:20]) if hook else [],
        "all_events": EVENTS,
    }


@require_http_methods(["GET", "POST"])
def repo_hooks(
    request: HttpRequest, owner: str, name: str, hook_id: int | None = None
) -> HttpResponse:
    access = repo_access(request, owner, name, Level.ADMIN)
    repo = access.repo
    base = f"{repo.web_path}/settings/hooks"
    where: dict[str, Any] = {"repo": repo}
    try:
        done = _handle(request, access.who, where, base, hook_id)
        if done is not None:
            return done
        ctx = repo_context(access, rev=repo.default_branch, sha=None, tab="settings")
        ctx.update(_context(access.who, where, hook_id))
    except NotFound:
        raise Http404("no such webhook") from None
    ctx["hooks_base"] = base
    return page(request, "web/repo_hooks.html", ctx)


@require_http_methods(["GET", "POST"])
def org_hooks(request: HttpRequest, owner: str, hook_id: int | None = None) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    try:
        org = org_get(owner)
    except NotFound:
        raise Http404("no such organization") from None
    base = f"/{org.name}/settings/hooks"
    where: dict[str, Any] = {"org": org}
    try:
        done = _handle(request, who, where, base, hook_id)
        if done is not None:
            return done
        ctx = _context(who, where, hook_id)
    except NotFound:
        raise Http404("no such webhook") from None
    except PermissionDenied as exc:
        raise Forbidden(str(exc)) from None
    ctx.update({"org": org, "hooks_base": base})
    return page(request, "web/org_hooks.html", ctx)
