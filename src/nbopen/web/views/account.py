"""The signed-in user's access tokens, the interface language and secret blocking (the rest
of /settings is in ``user_settings.py``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nbopen.accounts.models import AccessToken, User
from nbopen.accounts.profile import preferences_set
from nbopen.accounts.services import token_create, token_revoke
from nbopen.core.errors import DomainError
from nbopen.repos.services import namespace_get
from nbopen.scanning import services as scanning
from nbopen.web.forms import TokenForm
from nbopen.web.messages import explain
from nbopen.web.views.base import page, principal, safe_next

_NEW_TOKEN_KEY = "nbopen_new_token"  # noqa: S105 - a session key name, not a secret


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """Create (the secret is shown exactly once, then forgotten), list and revoke tokens."""
    assert isinstance(request.user, User)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data.get("expires_days")
        issued = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        # Post/redirect/get: the secret rides in the session for exactly one page view.
        request.session[_NEW_TOKEN_KEY] = {"secret": issued.secret, "name": issued.token.name}
        return redirect("/settings/tokens")
    new_token = request.session.pop(_NEW_TOKEN_KEY, None)
    rows = AccessToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    return page(
        request,
        "web/tokens.html",
        {
            "form": form,
            "tokens": rows,
            "new_token": new_token,
            "now": timezone.now(),
            "section": "tokens",
        },
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        token_revoke(user=request.user, token_id=token_id)
    except DomainError:
        messages.error(request, _("No such active token."))
    else:
        messages.success(request, _("The token was revoked."))
    return redirect("/settings/tokens")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language in a cookie (works without JavaScript and when signed out)."""
    code = request.POST.get("language", "")
    response = redirect(safe_next(request))
    if code and check_for_language(code) and code in dict(settings.LANGUAGES):
        remember_language(response, code)
        # A signed-in user's preference follows the menu, so the two never disagree.
        if isinstance(request.user, User) and request.user.language != code:
            preferences_set(user=request.user, language=code, time_zone=request.user.time_zone)
    return response


@login_required
@require_POST
def secret_policy(request: HttpRequest) -> HttpResponse:
    """Turn "block pushes that contain secrets" on or off for the signed-in user or for an
    organization they administer (the form sits on the profile / organization page)."""
    owner = request.POST.get("owner", "")
    try:
        ns = namespace_get(owner)
        scanning.set_block_secrets(
            principal=principal(request), namespace=ns, block=request.POST.get("block") == "1"
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
        return redirect(f"/{owner}" if owner else "/")
    messages.success(request, _("Secret scanning setting saved."))
    return redirect(f"/{ns.name}")


def remember_language(response: HttpResponse, code: str) -> None:
    """Set the language cookie to ``code`` ("" forgets it: the browser's language applies)."""
    if not code:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )
