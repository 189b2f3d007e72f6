"""Naming rules for owners (users, organizations) and repositories.

One namespace per owner, one rule set everywhere: the same check runs in the API, the web
forms and the CLI, so a name accepted by one front door is valid in all of them.
"""

from __future__ import annotations

import re

from nbopen.core.errors import InvalidName

MAX_LENGTH = 96
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")

# Owner names that would shadow a top-level URL of the web UI, the Hub API or git (the raw
# ASGI routes too: tests/unit/test_reserved_owner_names.py checks that every fixed first
# segment of a route is here), or that a Hub client reads as a route (``resolve``).
RESERVED_OWNER_NAMES = frozenset(
    {
        "xet-cas",
        "lfs-objects",
        "lfs-multipart",
        "resolve",
        "about",
        "admin",
        "api",
        "assets",
        "auth",
        "code",
        "codes",
        "collections",
        "dashboard",
        "datasets",
        "datasets-server",
        "docs",
        "explore",
        "favicon.ico",
        "healthz",
        "help",
        "insights",
        "join",
        "lfs",
        "login",
        "logout",
        "media",
        "models",
        "new",
        "notifications",
        "oauth",
        "organizations",
        "orgs",
        "pricing",
        "robots.txt",
        "search",
        "settings",
        "signup",
        "site",
        "spaces",
        "static",
        "stats",
        "user",
        "users",
        "domains",
        "libraries",
        "challenges",
        "competitions",
        "analytics",
        "kernels",
        "none",
        "null",
        "undefined",
    }
)
# Repository names that would shadow the per-owner pages (/{owner}/settings …).
RESERVED_REPO_NAMES = frozenset(
    {"settings", "new", "repositories", "members", "teams", "follow", "."}
)


def _check(name: object, kind: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidName(f"{kind} name is required")
    if len(name) > MAX_LENGTH:
        raise InvalidName(f"{kind} name is longer than {MAX_LENGTH} characters")
    if not _NAME.match(name):
        raise InvalidName(
            f"{kind} name {name!r} is invalid: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    if ".." in name or "--" in name:
        raise InvalidName(f"{kind} name {name!r} may not contain '..' or '--'")
    if name.lower().endswith(".git"):
        raise InvalidName(f"{kind} name {name!r} may not end with '.git'")
    return name


def is_well_formed(name: str) -> bool:
    """Could ``name`` be an existing owner or repository name at all (syntax and length)?

    Lookups call this before querying: a name that can never exist is simply not found, and
    strings a database refuses (PostgreSQL rejects NUL) never reach it.
    """
    return len(name) <= MAX_LENGTH and _NAME.match(name) is not None


def validate_owner_name(name: object) -> str:
    checked = _check(name, "Owner")
    if checked.lower() in RESERVED_OWNER_NAMES:
        raise InvalidName(f"Owner name {checked!r} is reserved")
    return checked


def validate_repo_name(name: object) -> str:
    checked = _check(name, "Repository")
    if checked.lower() in RESERVED_REPO_NAMES:
        raise InvalidName(f"Repository name {checked!r} is reserved")
    return checked
