"""``/libraries``: the vertical data libraries (垂直开源库) and their domain pages.

Thin: numbers come from :mod:`nbopen.libraries.services`, computed for the viewer, so a page
never counts what its reader may not see.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from nbopen.access.policy import is_operator
from nbopen.core.errors import DomainError, NotFound
from nbopen.libraries import services
from nbopen.libraries.charts import growth_charts
from nbopen.libraries.models import Domain
from nbopen.web.forms import DomainForm
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal


def _domain_or_404(slug: str) -> Domain:
    try:
        return services.domain_get(slug)
    except NotFound:
        raise Http404("no such domain") from None


def _operator_only(request: HttpRequest) -> HttpResponse | None:
    """Anonymous visitors are asked to sign in; signed-in non-operators get a 403 page."""
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    if not is_operator(who):
        return page(request, "web/error.html", {"code": 403}, status=403)
    return None


@require_GET
def library_list(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    language = get_language() or "zh-hans"
    rows = [
        {"domain": d, "name": d.name(language), "description": d.description(language), **c}
        for d, c in services.overview(who)
    ]
    return page(
        request,
        "web/libraries.html",
        {"rows": rows, "is_operator": is_operator(who), "public_only": not who.is_authenticated},
    )


@require_GET
def library_page(request: HttpRequest, slug: str) -> HttpResponse:
    who = principal(request)
    domain = _domain_or_404(slug)
    summary = services.summarize(who, domain)
    language = get_language() or "zh-hans"
    charts = growth_charts(
        summary.growth,
        repositories=_("Repositories"),
        contributors=_("Contributors"),
        rows=_("Dataset rows"),
    )
    groups: list[tuple[str, list[Any]]] = [
        (kind, [r for r in summary.repos if r.type == kind]) for kind in services.TYPES
    ]
    return page(
        request,
        "web/library.html",
        {
            "domain": domain,
            "name": domain.name(language),
            "description": domain.description(language),
            "summary": summary,
            "groups": groups,
            "charts": charts,
            "is_operator": is_operator(who),
            "public_only": not who.is_authenticated,
        },
    )


@require_http_methods(["GET", "POST"])
def library_new(request: HttpRequest) -> HttpResponse:
    refused = _operator_only(request)
    if refused is not None:
        return refused
    form = DomainForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            domain = services.domain_create(principal=principal(request), **data)
        except DomainError as exc:
            error = explain(exc)
        else:
            return redirect(f"/libraries/{domain.slug}")
    return page(request, "web/library_form.html", {"form": form, "error": error, "domain": None})


@require_http_methods(["GET", "POST"])
def library_edit(request: HttpRequest, slug: str) -> HttpResponse:
    refused = _operator_only(request)
    if refused is not None:
        return refused
    domain = _domain_or_404(slug)
    initial = services.domain_dict(domain)
    form = DomainForm(request.POST or None, initial=initial)
    form.fields["slug"].disabled = True
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.domain_update(
                principal=principal(request),
                domain=domain,
                name_zh=data["name_zh"],
                name_en=data["name_en"],
                description_zh=data["description_zh"],
                description_en=data["description_en"],
            )
        except DomainError as exc:
            error = explain(exc)
        else:
            return redirect(f"/libraries/{domain.slug}")
    return page(request, "web/library_form.html", {"form": form, "error": error, "domain": domain})
