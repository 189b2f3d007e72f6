"""Sign up, log in, log out (changing the password is in /settings: ``user_settings.py``)."""

from __future__ import annotations

from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nbopen.access import throttle
from nbopen.access.credentials import client_ip
from nbopen.accounts.services import user_create
from nbopen.audit import services as audit
from nbopen.core.errors import DomainError
from nbopen.web.forms import LoginForm, SignupForm
from nbopen.web.messages import explain
from nbopen.web.views.base import page, safe_next


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Failed sign-ins are throttled per account and per address (:mod:`nbopen.access.throttle`):
    a throttled attempt is answered 429 with ``Retry-After`` before the password is checked."""
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        password = form.cleaned_data["password"]
        subjects = throttle.subjects(ip=client_ip(request), account=username)
        wait = throttle.retry_after(subjects)
        if wait is not None:
            error = _("Too many failed sign-in attempts. Try again in %(seconds)s seconds.") % {
                "seconds": wait
            }
            reply = page(
                request,
                "web/login.html",
                {"form": form, "error": error, "next": safe_next(request, "")},
                status=429,
            )
            reply["Retry-After"] = str(wait)
            audit.record("user.login_throttled", actor_name=username[:128], detail={"wait": wait})
            return reply
        user = auth.authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            throttle.succeeded(account=username)
            auth.login(request, user)
            audit.record("user.login", actor=user)
            return redirect(safe_next(request))
        throttle.failed(subjects, secret=password)
        audit.record("user.login_failed", actor_name=username[:128])
        error = _("Wrong username or password.")
    return page(
        request, "web/login.html", {"form": form, "error": error, "next": safe_next(request, "")}
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            error = explain(exc)
        else:
            auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to NBopen!"))
            return redirect("/")
    return page(request, "web/signup.html", {"form": form, "error": error})


@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; only a POST (with its CSRF token) signs out."""
    if request.method == "POST":
        auth.logout(request)
        return redirect("/")
    return page(request, "web/logout.html", {})
