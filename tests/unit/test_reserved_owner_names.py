"""Every fixed top-level URL segment (Django routes and the raw ASGI routes) is a reserved
owner name, so no user or organization can be shadowed by a route (issue 20 item 7:
``xet-cas``, ``lfs-objects``, ``resolve`` could be created and ``/xet-cas`` was shadowed)."""

from __future__ import annotations

import re

import pytest

from nbopen.core.errors import InvalidName
from nbopen.core.names import RESERVED_OWNER_NAMES, validate_owner_name

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REGEX_HEAD = re.compile(r"((?:[A-Za-z0-9_-]|\\[.-]|\.)+)(?:/|\\Z|\$|\Z|\(\?:/)")


def _regex_head(regex: str) -> str | None:
    """The fixed first path segment a regex route starts with, if any."""
    found = _REGEX_HEAD.match(regex.lstrip("^").lstrip("/"))
    return found.group(1).replace("\\", "") if found else None


def _route_head(route: str) -> str | None:
    head = route.lstrip("/").split("/", 1)[0]
    return head if head and "<" not in head else None


def _django_heads() -> set[str]:
    from django.urls import URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    heads: set[str] = set()

    def walk(patterns: list[object]) -> None:
        for entry in patterns:
            pattern = entry.pattern  # type: ignore[attr-defined]
            text = str(pattern)
            head = _route_head(text) if isinstance(pattern, RoutePattern) else _regex_head(text)
            if head:
                heads.add(head)
            elif isinstance(entry, URLResolver) and text in {"", "^"}:
                walk(entry.url_patterns)

    walk(get_resolver().url_patterns)
    return {h for h in heads if _SEGMENT.fullmatch(h)}


def _raw_heads() -> set[str]:
    from nbopen.hubapi import router

    heads = {_regex_head(route.pattern.pattern) for route in router.RAW_ROUTES}
    return {h for h in heads if h and _SEGMENT.fullmatch(h)}


def test_every_top_level_route_segment_is_reserved() -> None:
    heads = _django_heads() | _raw_heads()
    assert {"api", "xet-cas", "lfs-objects"} <= heads, heads
    missing = sorted(h for h in heads if h.lower() not in RESERVED_OWNER_NAMES)
    assert missing == []


@pytest.mark.parametrize("name", ["xet-cas", "lfs-objects", "resolve", "Xet-Cas", "healthz"])
def test_route_names_cannot_be_owners(name: str) -> None:
    with pytest.raises(InvalidName, match="reserved"):
        validate_owner_name(name)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["xet-cas", "lfs-objects", "resolve"])
def test_signup_cli_and_organizations_refuse_reserved_names(name: str) -> None:
    """Signup (web), ``nbopen admin user create`` and organization creation all claim the
    name through ``accounts.services.claim_namespace_name``."""
    from nbopen.accounts.services import user_create
    from nbopen.orgs.services import org_create

    with pytest.raises(InvalidName, match="reserved"):
        user_create(username=name, email=f"{name}@example.com", password="a-long-pass-123!")
    owner = user_create(username="resowner", email="resowner@example.com", password="x-Long-9!pw")
    with pytest.raises(InvalidName, match="reserved"):
        org_create(name=name, kind=org_kind(), owner=owner)


def org_kind() -> str:
    from nbopen.orgs.models import Organization

    return str(Organization.Kind.values[0])
