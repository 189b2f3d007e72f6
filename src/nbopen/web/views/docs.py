"""``/docs``: the help pages, in the reader's language, with their own endpoint filled in.

Prose lives in one template per page and language (``web/docs/<slug>.<lang>.html``): long help
text reads better written whole in each language than cut into catalogue sentences; the page
chrome (titles, navigation) goes through the catalogue like every other page.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from nbopen.web import snippets
from nbopen.web.views.base import page, principal

# (slug, title, one-line summary), in reading order.
PAGES = [
    (
        "getting-started",
        _("Getting started"),
        _("git, git-lfs, huggingface_hub, datasets, ModelScope and the nbopen command"),
    ),
    ("tokens", _("Tokens and scopes"), _("Access tokens for git, the Hub clients and the API")),
    (
        "dataset-viewer",
        _("Dataset viewer"),
        _("Browse, search and filter datasets; the where language"),
    ),
    ("analytics", _("Analytics"), _("Insights dashboards and how their figures are computed")),
    ("api", _("API reference"), _("Hub-compatible API, dataset viewer API and our own API")),
    (
        "operators",
        _("Operators' guide"),
        _("Configuration, backups and scaling out: PostgreSQL, S3, Celery, Spark"),
    ),
]
TITLES = {slug: title for slug, title, _summary in PAGES}


def _lang() -> str:
    return "zh" if (get_language() or "").startswith("zh") else "en"


def docs_page(request: HttpRequest, slug: str = "") -> HttpResponse:
    if slug and slug not in TITLES:
        raise Http404("no such help page")
    who = principal(request)
    username = who.user.username if who.is_authenticated and who.user else ""
    base = snippets.endpoint(request)
    return page(
        request,
        "web/docs/page.html",
        {
            "slug": slug,
            "title": TITLES.get(slug, _("Help")),
            "pages": PAGES,
            "body": f"web/docs/{slug or 'index'}.{_lang()}.html",
            "endpoint": base,
            "username": username,
            "snippets": snippets.getting_started(username, base),
        },
    )
