"""Small presentation helpers for templates: translated labels and repository URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.utils.translation import gettext_lazy as _

from nbopen.orgs.models import Organization

register = template.Library()

KIND_LABELS: dict[str, Any] = dict(Organization.Kind.choices)  # translated lazily
TYPE_LABELS = {"code": _("Code"), "model": _("Model"), "dataset": _("Dataset")}
ROLE_LABELS = {
    "owner": _("Owner"),
    "admin": _("Admin"),
    "write": _("Write"),
    "read": _("Read"),
}


@register.filter
def kind_label(kind: str) -> Any:
    return KIND_LABELS.get(kind, kind)


@register.filter
def type_label(kind: str) -> Any:
    return TYPE_LABELS.get(kind, kind)


@register.filter
def role_label(role: str) -> Any:
    return ROLE_LABELS.get(role, role)


@register.filter
def urlpath(path: str) -> str:
    """Quote a repository path for a URL, keeping the slashes."""
    return quote(path, safe="/")


@register.filter
def short_sha(sha: str) -> str:
    return sha[:8]


@register.filter
def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@register.simple_tag
def repo_link(repo: Any, *parts: str) -> str:
    prefix = "/datasets" if getattr(repo, "type", None) == "dataset" else ""
    base = f"{prefix}/{quote(repo.owner.name)}/{quote(repo.name)}"
    tail = "/".join(quote(str(p), safe="/") for p in parts if p != "")
    return f"{base}/{tail}" if tail else base


@register.filter
def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)
