"""Naming rules for owners (users, organizations) and repositories.

One namespace per owner, one rule set everywhere: the same check runs in the API, the web
forms and the CLI, so a name accepted by one front door is valid in all of them.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_noop

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
        "avatars",
        "code",
        "codes",
        "calls",
        "incubator",
        "standards",
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


# One sentence per rule and per kind of name, so each reads naturally once translated.
_MESSAGES = {
    "owner": {
        "required": gettext_noop("An owner name is required"),
        "long": gettext_noop("Owner name is longer than %(limit)d characters"),
        "shape": gettext_noop(
            "Owner name '%(name)s' is invalid: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        ),
        "doubled": gettext_noop("Owner name '%(name)s' may not contain '..' or '--'"),
        "git": gettext_noop("Owner name '%(name)s' may not end with '.git'"),
        "reserved": gettext_noop("Owner name '%(name)s' is reserved"),
    },
    "repository": {
        "required": gettext_noop("A repository name is required"),
        "long": gettext_noop("Repository name is longer than %(limit)d characters"),
        "shape": gettext_noop(
            "Repository name '%(name)s' is invalid: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        ),
        "doubled": gettext_noop("Repository name '%(name)s' may not contain '..' or '--'"),
        "git": gettext_noop("Repository name '%(name)s' may not end with '.git'"),
        "reserved": gettext_noop("Repository name '%(name)s' is reserved"),
    },
}


def _check(name: object, kind: str) -> str:
    says = _MESSAGES[kind]
    if not isinstance(name, str) or not name:
        raise InvalidName(says["required"])
    if len(name) > MAX_LENGTH:
        raise InvalidName(says["long"], limit=MAX_LENGTH)
    if not _NAME.match(name):
        raise InvalidName(says["shape"], name=name)
    if ".." in name or "--" in name:
        raise InvalidName(says["doubled"], name=name)
    if name.lower().endswith(".git"):
        raise InvalidName(says["git"], name=name)
    return name


def is_well_formed(name: str) -> bool:
    """Could ``name`` be an existing owner or repository name at all (syntax and length)?

    Lookups call this before querying: a name that can never exist is simply not found, and
    strings a database refuses (PostgreSQL rejects NUL) never reach it.
    """
    return len(name) <= MAX_LENGTH and _NAME.match(name) is not None


def validate_owner_name(name: object) -> str:
    checked = _check(name, "owner")
    if checked.lower() in RESERVED_OWNER_NAMES:
        raise InvalidName(_MESSAGES["owner"]["reserved"], name=checked)
    return checked


def validate_repo_name(name: object) -> str:
    checked = _check(name, "repository")
    if checked.lower() in RESERVED_REPO_NAMES:
        raise InvalidName(_MESSAGES["repository"]["reserved"], name=checked)
    return checked
