"""Small presentation helpers for templates: translated labels and repository URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.html import format_html
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nbopen.orgs.models import Organization
from nbopen.web import labels, snippets

register = template.Library()

KIND_LABELS: dict[str, Any] = dict(Organization.Kind.choices)  # translated lazily
TYPE_LABELS = {"code": _("Code"), "model": _("Model"), "dataset": _("Dataset")}
ROLE_LABELS = {
    "owner": _("Owner"),
    "admin": _("Admin"),
    "write": _("Write"),
    "read": _("Read"),
}
CHANGE_LABELS = {
    "added": _("added"),
    "deleted": _("deleted"),
    "modified": _("modified"),
    "renamed": _("renamed"),
}
JUST_NOW_SECONDS = 60


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
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` or None: a dict keyed by ids (or None) read from a template."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


@register.filter
def change_label(status: str) -> Any:
    """A diff's file status (added, deleted, modified, renamed) in the reader's language."""
    return CHANGE_LABELS.get(status, status)


@register.filter
def tag_chip(tag: str) -> str:
    """A tag as a chip with a readable label; the raw tag stays in the title."""
    key, value = labels.tag_parts(str(tag))
    if key is None:
        return format_html('<span class="tag" title="{}">{}</span>', tag, value)
    return format_html(
        '<span class="tag" title="{}"><span class="tag-key">{}</span> {}</span>', tag, key, value
    )


@register.filter
def task_label(value: str) -> Any:
    return labels.task_label(value)


@register.filter
def ago(when: Any) -> Any:
    """Like ``naturaltime``, but "just now" for the last minute: Django's "now" (现在) reads
    badly after "Updated" (更新于 现在)."""
    if when is None:
        return ""
    try:
        if 0 <= (now() - when).total_seconds() < JUST_NOW_SECONDS:
            return _("just now")
    except TypeError:  # a naive datetime or a date
        pass
    return naturaltime(when)


@register.filter
def card_key(key: str) -> Any:
    return labels.card_key(str(key))


@register.filter
def card_value(value: Any, key: str) -> Any:
    return labels.card_value(str(key), value) if isinstance(value, str) else value


@register.simple_tag(takes_context=True)
def use_repository(context: template.Context, repo: Any) -> dict[str, Any]:
    """The "Use this" box's clone URL and snippets, at the reader's endpoint."""
    base = snippets.endpoint(context.get("request"))
    return {
        "clone_url": snippets.clone_url(base, repo.web_path.lstrip("/")),
        "snippets": snippets.repository(repo.full_name, repo.type, base),
    }


@register.simple_tag
def avatar(person: Any, size: str = "") -> str:
    """A user's uploaded avatar (``/avatars/{name}``, the oid in the query so a new picture
    is fetched at once), else their initial on the coloured disc."""
    classes = f"avatar {size}".strip()
    name = getattr(person, "username", "") or ""
    oid = getattr(person, "avatar_oid", "") or ""
    if oid:
        return format_html(
            '<img class="{} avatar-img" src="/avatars/{}?v={}" alt="" width="96" height="96">',
            classes,
            quote(name),
            oid[:12],
        )
    return format_html('<span class="{}">{}</span>', classes, name[:1].upper())
