"""``/admin/mirrors``: the operators' view of the pull-through cache — upstreams, mirrors
with the bytes they hold, and what the cache saved the uplink over the last 30 days."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from nbopen.access.policy import is_operator
from nbopen.mirrors import selectors, traffic
from nbopen.web.denials import LoginRequired
from nbopen.web.views.base import page, principal

DAYS = 30


@require_GET
def admin_mirrors(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    if not is_operator(who):
        raise Forbidden("operators only")
    rows = traffic.summary(DAYS)
    return page(
        request,
        "web/admin_mirrors.html",
        {
            "upstreams": selectors.upstreams(),
            "mirrors": selectors.mirrors(),
            "traffic": rows[:-1],
            "total": rows[-1],
            "days": DAYS,
        },
    )
