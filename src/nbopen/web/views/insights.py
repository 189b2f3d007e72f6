"""Insights (issue 7): the city overview, organization and repository dashboards, the
collaboration network, the methods page and the registry page for site staff.

Thin: :mod:`nbopen.analytics.dashboards` decides what each principal may see and returns
plain data; these views chart it (:mod:`nbopen.web.insight_charts`) or export it
(``?format=json|csv|print|pdf``) — the export is the very dict the page is drawn from.
"""

from __future__ import annotations

import zoneinfo
from datetime import tzinfo
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from nbopen.analytics import cocomo, dashboards, formulas, openrank, store
from nbopen.analytics import services as analytics_services
from nbopen.analytics.models import RegistryEntry
from nbopen.core.errors import DomainError, NotFound
from nbopen.orgs.models import Organization
from nbopen.repos.services import repo_find
from nbopen.web import insight_charts as ch
from nbopen.web import insight_export, pdf
from nbopen.web.messages import explain
from nbopen.web.templatetags.nbopen_web import KIND_LABELS
from nbopen.web.views.base import LoginRequired, page, principal, repo_access
from nbopen.web.views.browse import repo_context

FORMATS = {"html", "json", "csv", "print", "pdf"}


def _month(request: HttpRequest) -> str | None:
    requested = request.GET.get("month") or None
    if requested is not None:
        try:
            store.check_month(requested)
        except ValueError:
            raise Http404("month must be YYYY-MM") from None
    return dashboards.pick_month(requested)


def _format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "html")
    if fmt not in FORMATS:
        raise Http404("format must be html, json, csv, print or pdf")
    if fmt == "pdf" and not pdf.available():
        raise Http404("PDF export needs chromium on the server; use format=print")
    return fmt


def _respond(
    request: HttpRequest,
    data: dict[str, Any],
    template: str,
    context: dict[str, Any],
    filename: str,
) -> HttpResponse:
    """One dashboard, in the format asked for."""
    fmt = _format(request)
    if fmt == "json":
        response: HttpResponse = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
        response["Content-Disposition"] = f'inline; filename="{filename}.json"'
        return response
    if fmt == "csv":
        return _csv(request, data, filename)
    context = {
        **context,
        "data": data,
        "month": data.get("month"),
        "months": data.get("months", []),
        "printable": fmt in {"print", "pdf"},
        "pdf_available": pdf.available(),
        "is_site_admin": principal(request).is_site_admin,
        "export_base": request.path,
        "table_names": list(insight_export.tables(data)),
    }
    zone = viewer_zone(request)
    # Formatted here: a datetime in the template would be converted back to the active zone.
    now = timezone.localtime(timezone.now(), zone)
    context["generated_at"] = now.strftime("%Y-%m-%d %H:%M")
    context["zone_name"] = f"{zone} (UTC{now.strftime('%z')[:3]}:{now.strftime('%z')[3:]})"
    if fmt == "pdf":
        with timezone.override(zone):
            html = page(request, template, context).content.decode()
        try:
            document = pdf.render(html)
        except pdf.Busy:
            busy = HttpResponse(_("Another report is being printed; try again."), status=503)
            busy["Retry-After"] = "5"
            return busy
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    return page(request, template, context)


def viewer_zone(request: HttpRequest) -> tzinfo:
    """The time zone report times are shown in: the signed-in user's preference when the
    profile has one (the middleware activates it), else a valid ``tz`` cookie the browser
    set, else the site's zone (Asia/Shanghai)."""
    user = getattr(request, "user", None)
    if not getattr(user, "time_zone", ""):
        cookie = request.COOKIES.get("tz", "")
        if cookie in zoneinfo.available_timezones():
            return zoneinfo.ZoneInfo(cookie)
    return timezone.get_current_timezone()


def _csv(request: HttpRequest, data: dict[str, Any], filename: str) -> HttpResponse:
    """A zip of one CSV per table, or the single table ``?table=`` names."""
    wanted = request.GET.get("table", "")
    if wanted:
        table = insight_export.tables(data).get(wanted)
        if table is None:
            raise Http404("no such table")
        response = HttpResponse(
            insight_export.to_csv(table), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}-{wanted}.csv"'
        return response
    response = HttpResponse(insight_export.to_zip(data, filename), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}.zip"'
    return response


def _charts(*charts: ch.Chart) -> dict[str, ch.Chart]:
    return {c.id: c for c in charts}


@require_GET
def city(request: HttpRequest) -> HttpResponse:
    month = _month(request)
    data = dashboards.city_overview(month, value=dashboards.city_value_cached())
    kinds = data["kinds"]
    charts = _charts(
        ch.trend(
            "city_activity",
            _("Activity and OpenRank per month"),
            data["trend"],
            ["activity", "openrank"],
        ),
        ch.trend(
            "city_developers",
            _("Active developers per month"),
            data["trend"],
            ["active_developers", "participants", "active_organizations"],
        ),
        ch.pie(
            "city_kinds",
            _("Organizations by kind"),
            [
                (str(KIND_LABELS.get(k, k)), v["organizations"], ch.KIND_COLOURS.get(k, "#57606a"))
                for k, v in kinds.items()
            ],
            method="kinds",
        ),
        ch.bars(
            "city_domains",
            _("Repositories by domain"),
            [d["domain"] or _("(no domain)") for d in data["domains"]],
            [d["repositories"] for d in data["domains"]],
            method="domains",
            urls=[f"/search?domain={d['domain']}" if d["domain"] else "" for d in data["domains"]],
            horizontal=True,
        ),
        ch.bars(
            "city_top_orgs",
            _("Most influential organizations (OpenRank)"),
            [r["name"] for r in data["top_organizations"]],
            [r["value"] for r in data["top_organizations"]],
            method="openrank",
            urls=[f"/{r['name']}/insights" for r in data["top_organizations"]],
            horizontal=True,
        ),
        ch.bars(
            "city_saved",
            _("Cost saved by reuse (CNY)"),
            [r["repository"] for r in (data["value"] or {}).get("repositories", [])],
            [r["cost_saved_cny"] for r in (data["value"] or {}).get("repositories", [])],
            method="reuse",
            urls=[
                f"/{r['repository']}/insights"
                for r in (data["value"] or {}).get("repositories", [])
            ],
            horizontal=True,
        ),
        ch.collaboration_graph(
            "city_network", _("Collaboration between organizations"), dashboards.network(month)
        ),
    )
    return _respond(
        request,
        data,
        "web/insights/city.html",
        {
            "charts": charts,
            "kind_labels": KIND_LABELS,
            "assumptions": ch.assumptions((data["value"] or {}).get("assumptions", {})),
        },
        f"nbopen-city-{month or 'none'}",
    )


@require_GET
def network(request: HttpRequest) -> HttpResponse:
    month = _month(request)
    data = dashboards.network(month)
    data["months"] = dashboards.queries.months()
    charts = _charts(
        ch.collaboration_graph("network_graph", _("Collaboration between organizations"), data)
    )
    return _respond(
        request,
        data,
        "web/insights/network.html",
        {"charts": charts},
        f"nbopen-network-{month or 'none'}",
    )


def organization(request: HttpRequest, owner: str) -> HttpResponse:
    """``/{org}/insights``. A repository called ``insights`` keeps its own page."""
    if repo_find(owner, "insights") is not None:
        from nbopen.web.views.browse import repo_home

        return repo_home(request, owner, "insights")
    return _organization(request, owner)


@require_GET
def _organization(request: HttpRequest, owner: str) -> HttpResponse:
    org = Organization.objects.filter(name__iexact=owner).first()
    if org is None:
        raise Http404("no such organization")
    month = _month(request)
    data = dashboards.org_insights(principal(request), org, month)
    charts = _charts(
        ch.trend(
            "org_influence",
            _("Influence: OpenRank and activity"),
            data["trend"],
            ["openrank", "activity"],
        ),
        ch.trend(
            "org_health",
            _("Health: bus factor and participants"),
            data["trend"],
            ["bus_factor", "participants"],
            method="bus-factor",
        ),
        ch.trend(
            "org_talent",
            _("Talent: new and inactive contributors"),
            data["talent"],
            ["new_contributors", "inactive_contributors"],
            method="contributors",
        ),
        ch.bars(
            "org_partners",
            _("Collaboration partners (shared developers)"),
            [_partner(org.name, e) for e in data["partners"]],
            [e.get("developers", 0.0) for e in data["partners"]],
            method="collaboration",
            urls=[f"/{_partner(org.name, e)}/insights" for e in data["partners"]],
            horizontal=True,
        ),
    )
    return _respond(
        request,
        data,
        "web/insights/org.html",
        {
            "org": org,
            "charts": charts,
            "columns": _columns(dashboards.ORG_REPO_COLUMNS),
            "repo_rows": [
                (r, [r[m] for m in dashboards.ORG_REPO_COLUMNS]) for r in data["repositories"]
            ],
        },
        f"nbopen-{org.name}-{month or 'none'}",
    )


def _partner(name: str, edge: dict[str, Any]) -> str:
    return str(edge["target"] if edge["source"] == name else edge["source"])


def _columns(metrics: tuple[str, ...]) -> list[tuple[str, str, str]]:
    return [(m, ch.label(m), ch.anchor(m)) for m in metrics]


@require_GET
def repository(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """``/{owner}/{name}/insights``: readers only (``repo_access`` asks the policy)."""
    access = repo_access(request, owner, name)
    month = _month(request)
    data = dashboards.repo_insights(access.repo, month)
    charts = _charts(
        ch.trend(
            "repo_activity", _("Activity and OpenRank"), data["trend"], ["activity", "openrank"]
        ),
        ch.trend(
            "repo_people",
            _("Contributors"),
            data["trend"],
            ["participants", "contributors", "new_contributors", "inactive_contributors"],
            method="contributors",
        ),
        ch.trend(
            "repo_usage",
            _("Downloads, likes and pushes"),
            data["trend"],
            ["downloads", "stars", "pushes", "commits"],
            method="counts",
        ),
        ch.bars(
            "repo_languages",
            _("Source lines by language"),
            list(data["value"]["sloc_by_language"]),
            list(data["value"]["sloc_by_language"].values()),
            method="cocomo",
            horizontal=True,
        ),
    )
    ctx = repo_context(access, rev=access.repo.default_branch, sha=None, tab="insights")
    ctx["charts"] = charts
    return _respond(
        request,
        data,
        "web/insights/repo.html",
        ctx,
        f"nbopen-{access.repo.owner.name}-{access.repo.name}-{month or 'none'}",
    )


@require_GET
def methods(request: HttpRequest) -> HttpResponse:
    """How every figure is computed: formulas, parameters and assumptions, from the code's
    own constants (so the page cannot drift from what runs)."""
    return page(
        request,
        "web/insights/methods.html",
        {
            "is_site_admin": principal(request).is_site_admin,
            "f": formulas,
            "o": openrank,
            "c": cocomo,
            "annual_usd": cocomo.SLOCCOUNT_ANNUAL_SALARY_USD,
        },
    )


@require_http_methods(["GET", "POST"])
def registry(request: HttpRequest) -> HttpResponse:
    """The city registry for site staff: the same service as ``nbopen analytics registry add``."""
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    if not who.is_site_admin:
        raise Http404("site administrators only")
    error = ""
    if request.method == "POST":
        try:
            entry = analytics_services.registry_add(
                platform=request.POST.get("platform", ""),
                login=request.POST.get("login", ""),
                organization=request.POST.get("organization", "").strip() or None,
            )
        except (NotFound, DomainError) as exc:
            error = explain(exc)
        else:
            from django.contrib import messages

            messages.success(request, _("Registered %(entry)s.") % {"entry": str(entry)})
            return redirect("/insights/registry")
    return page(
        request,
        "web/insights/registry.html",
        {
            "is_site_admin": True,
            "entries": analytics_services.registry_list(),
            "platforms": RegistryEntry.Platform.choices,
            "organizations": Organization.objects.order_by("name").values_list("name", flat=True),
            "ledger": analytics_services.import_ledger()[-20:],
            "error": error,
            "form": request.POST if request.method == "POST" else {},
        },
    )
