"""Sign up, log in, log out (changing the password is in /settings: ``user_settings.py``)."""

from __future__ import annotations

from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nbopen.accounts.services import user_create
from nbopen.core.errors import DomainError
from nbopen.web.forms import LoginForm, SignupForm
from nbopen.web.messages import explain
from nbopen.web.views.base import page, safe_next


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = auth.authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if user is not None and user.is_active:
            auth.login(request, user)
            return redirect(safe_next(request))
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
