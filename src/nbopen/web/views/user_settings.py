"""``/settings``: the signed-in user's profile, account, preferences and pinned repositories.

One page per section behind a sidebar (tokens live in ``account.py`` and share the sidebar);
each form posts to its own URL and redirects back (post/redirect/get), and every write is a
call to ``accounts.profile``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from nbopen.accounts import profile as service
from nbopen.accounts.models import User
from nbopen.accounts.services import user_get
from nbopen.collab.contributions import pinnable_repositories
from nbopen.core.errors import DomainError, NotFound
from nbopen.core.limits import body_limit
from nbopen.web.forms import AvatarForm, EmailForm, PinsForm, PreferencesForm, ProfileForm
from nbopen.web.messages import explain
from nbopen.web.views.account import remember_language
from nbopen.web.views.base import page

# Served avatars are images of a checked type and nothing else: no sniffing, no script, and
# a sandbox in case a browser renders one as a document anyway.
AVATAR_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "public, max-age=300",
}


def _me(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _saved(
    request: HttpRequest, save: Callable[[], object], done: str, target: str
) -> tuple[HttpResponse | None, str]:
    """Run a service call for a settings form: on success flash ``done`` and redirect to
    ``target`` (post/redirect/get); on a domain error, the message for the form's page."""
    try:
        save()
    except DomainError as exc:
        return None, explain(exc)
    messages.success(request, done)
    return redirect(target), ""


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("/settings/profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    fields = ("display_name", "bio", "affiliation", "location", "website", "public_email")
    form = ProfileForm(request.POST or None, initial={f: getattr(me, f) for f in fields})
    error = ""
    if request.method == "POST" and form.is_valid():
        done, error = _saved(
            request,
            lambda: service.profile_update(user=me, **form.cleaned_data),
            _("Your profile was saved."),
            "/settings/profile",
        )
        if done:
            return done
    return page(
        request,
        "web/settings_profile.html",
        {"form": form, "avatar_form": AvatarForm(), "error": error, "section": "profile"},
    )


# Room for a file a little over the limit, so it is refused with a sentence, not a bare 413.
@body_limit(2 * service.MAX_AVATAR_BYTES)
@login_required
@require_http_methods(["POST"])
def avatar(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    if request.POST.get("clear"):
        service.avatar_clear(user=me)
        messages.success(request, _("Your avatar was removed."))
        return redirect("/settings/profile")
    upload = request.FILES.get("avatar")
    if upload is None:
        messages.error(request, _("Choose an image file first."))
        return redirect("/settings/profile")
    # Read one byte past the limit: enough for the service to refuse an oversized file.
    data = upload.read(service.MAX_AVATAR_BYTES + 1)
    try:
        service.avatar_set(user=me, data=data)
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("Your avatar was updated."))
    return redirect("/settings/profile")


@require_GET
def avatar_image(request: HttpRequest, username: str) -> FileResponse:
    """A user's avatar, public like the profile it belongs to."""
    try:
        user = user_get(username)
    except NotFound:
        raise Http404("no such user") from None
    opened = service.avatar_open(user)
    if opened is None:
        raise Http404("no avatar")
    stream, media_type = opened
    response = FileResponse(stream, content_type=media_type)
    for header, value in AVATAR_HEADERS.items():
        response[header] = value
    return response


def _account_page(
    request: HttpRequest, email_form: EmailForm, password_form: PasswordChangeForm, error: str = ""
) -> HttpResponse:
    return page(
        request,
        "web/settings_account.html",
        {
            "email_form": email_form,
            "form": password_form,
            "error": error,
            "section": "account",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The sign-in email (the password form beside it posts to /settings/password)."""
    me = _me(request)
    email_form = EmailForm(request.POST or None, prefix="email", initial={"email": me.email})
    error = ""
    if request.method == "POST" and email_form.is_valid():
        data = email_form.cleaned_data
        done, error = _saved(
            request,
            lambda: service.email_change(
                user=me, email=data["email"], current_password=data["current_password"]
            ),
            _("Your email address was changed."),
            "/settings/account",
        )
        if done:
            return done
    return _account_page(request, email_form, PasswordChangeForm(me), error)


@login_required
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    """Django's form checks the current password and runs the validators (their messages come
    translated by Django); the write is the accounts service's, hashed with Argon2."""
    me = _me(request)
    form = PasswordChangeForm(me, request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, error = _saved(
            request,
            lambda: service.password_change(
                user=me, current_password=data["old_password"], new_password=data["new_password1"]
            ),
            _("Your password was changed."),
            "/settings/password",
        )
        if done:
            update_session_auth_hash(request, me)  # this session stays signed in
            return done
    return _account_page(
        request, EmailForm(prefix="email", initial={"email": me.email}), form, error
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = PreferencesForm(
        request.POST or None,
        time_zones=service.time_zones(),
        initial={"language": me.language, "time_zone": me.time_zone},
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            service.preferences_set(user=me, **form.cleaned_data)
        except DomainError as exc:
            error = explain(exc)
        else:
            response = redirect("/settings/preferences")
            remember_language(response, me.language)
            # The message is rendered on the next page, in the language just chosen.
            with translation.override(me.language or translation.get_language()):
                messages.success(request, _("Your preferences were saved."))
            return response
    return page(
        request,
        "web/settings_preferences.html",
        {"form": form, "error": error, "section": "preferences"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def pins(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    candidates = list(
        pinnable_repositories(me.pk).select_related("owner").order_by("owner__name", "name")
    )
    form = PinsForm(request.POST or None, initial={"repositories": me.pinned_repository_ids})
    form.fields["repositories"].choices = [(r.pk, r.full_name) for r in candidates]  # type: ignore[attr-defined]
    error = ""
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["repositories"]
        done, error = _saved(
            request,
            lambda: service.pins_set(user=me, repository_ids=chosen),
            _("Your pinned repositories were saved."),
            "/settings/pins",
        )
        if done:
            return done
    return page(
        request,
        "web/settings_pins.html",
        {"form": form, "error": error, "section": "pins", "limit": service.MAX_PINNED},
    )
