"""Operator verbs on upstream hubs: add, list, remove; and which ids an upstream admits.

Called the same way from the CLI and (later) the admin page. A token goes in once and is
stored encrypted; listings say only whether one is set.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction

from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.mirrors import secrets
from nbopen.mirrors.models import Upstream
from nbopen.orgs.models import Organization
from nbopen.orgs.services import org_create


@dataclass(frozen=True)
class UpstreamView:
    """What may be shown of an upstream: never the token."""

    name: str
    url: str
    kind: str
    position: int
    has_token: bool
    allow: list[str]
    deny: list[str]
    organization: str | None  # who private upstream repositories are mirrored for


def _view(upstream: Upstream) -> UpstreamView:
    return UpstreamView(
        name=upstream.name,
        url=upstream.url,
        kind=upstream.kind,
        position=upstream.position,
        has_token=bool(upstream.token_encrypted),
        allow=list(upstream.allow),
        deny=list(upstream.deny),
        organization=upstream.organization.name if upstream.organization else None,
    )


def _patterns(values: list[str] | None) -> list[str]:
    out = []
    for value in values or []:
        value = value.strip()
        if not value or value.count("/") > 1:
            raise InvalidInput(f"{value!r} is not an OWNER or OWNER/NAME pattern")
        out.append(value)
    return out


@transaction.atomic
def upstream_add(
    *,
    name: str,
    url: str,
    kind: str = Upstream.Kind.HF,
    token: str | None = None,
    allow: list[str] | None = None,
    deny: list[str] | None = None,
    organization: str | None = None,
) -> UpstreamView:
    """Configure an upstream, looked up after those already configured.

    Its name becomes an organization without members (the mirror namespace): only site
    admins manage it, so its repositories are read-only to everyone else. ``organization``
    (with a token) is the organization the token is configured for: upstream repositories
    only the token sees are mirrored into private repositories of that organization.
    """
    org = None
    if organization:
        if not token:
            raise InvalidInput("an organization is only meaningful with a token")
        org = Organization.objects.filter(name__iexact=organization).first()
        if org is None:
            raise NotFound(f"no organization named {organization!r}")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http(s) URL")
    if kind not in Upstream.Kind.values:
        raise InvalidInput(f"kind must be one of {', '.join(Upstream.Kind.values)}")
    if Upstream.objects.filter(name__iexact=name).exists():
        raise AlreadyExists(f"an upstream named {name!r} exists")
    org_create(
        name=name,
        kind=Organization.Kind.COMMUNITY,
        owner=None,
        display_name=f"Mirror of {parts.hostname}",
        description=f"Read-only mirrors of {url.rstrip('/')}",
    )
    last = Upstream.objects.order_by("-position").first()
    upstream = Upstream.objects.create(
        name=name,
        url=url.rstrip("/"),
        kind=kind,
        token_encrypted=secrets.encrypt(token) if token else "",
        position=(last.position + 1) if last is not None else 0,
        allow=_patterns(allow),
        deny=_patterns(deny),
        organization=org,
    )
    return _view(upstream)


def upstream_list() -> list[UpstreamView]:
    return [_view(u) for u in Upstream.objects.select_related("organization")]


def upstream_remove(*, name: str) -> None:
    """Stop fetching from an upstream. Repositories already mirrored stay (served locally,
    no longer refreshed); delete them like any repository."""
    deleted, _ = Upstream.objects.filter(name__iexact=name).delete()
    if not deleted:
        raise NotFound(f"no upstream named {name!r}")


def admits(upstream: Upstream, repo_id: str) -> bool:
    """Whether ``owner/name`` may be fetched from ``upstream``: a deny pattern wins, then an
    allow list (when set) must match. Patterns are case-insensitive ``fnmatch`` of the owner
    or of the whole id."""
    owner = repo_id.split("/", 1)[0].lower()
    full = repo_id.lower()

    def matches(pattern: str) -> bool:
        pattern = pattern.lower()
        return fnmatch.fnmatchcase(full if "/" in pattern else owner, pattern)

    if any(matches(p) for p in upstream.deny):
        return False
    return not upstream.allow or any(matches(p) for p in upstream.allow)


def token_of(upstream: Upstream) -> str | None:
    return secrets.decrypt(upstream.token_encrypted) if upstream.token_encrypted else None
