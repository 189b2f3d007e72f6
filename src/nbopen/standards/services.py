"""Writes of the standards registry: register a standard on a repository, move its status,
declare implementations. One path for pages and API.

A standard speaks for its committee, so registering it and moving its status take an admin of
the committee organization (or an operator) who may also write to the repository. Leaving
draft needs a public repository: a standard under public comment or published is read by
everyone. Publishing names a tag of the repository, the version. An implementation is declared
by someone with write access to the implementing repository, for a tag of a published
standard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, is_operator, org_level, repo_level
from nbopen.accounts.models import User
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, PermissionDenied
from nbopen.orgs.models import Organization
from nbopen.repos.git import read as gitread
from nbopen.repos.git.names import PathRefused, check_path
from nbopen.repos.models import Repository
from nbopen.standards.errors import InvalidStatus
from nbopen.standards.models import Implementation, Standard, StandardTransition

S = Standard.Status
NEXT: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.PUBLIC_COMMENT,),
    S.PUBLIC_COMMENT: (S.APPROVED, S.DRAFT),
    S.APPROVED: (S.PUBLISHED,),
    S.PUBLISHED: (S.PUBLISHED, S.WITHDRAWN),  # published again = a new version
    S.WITHDRAWN: (),
}
NUMBER = re.compile(r"^[A-Z][A-Z0-9/ .-]{1,40}[0-9]{1,4}-[0-9]{4}$")


def number_slug(number: str) -> str:
    """``T/NBOS 001-2026`` → ``t-nbos-001-2026``: the standard's URL."""
    return re.sub(r"[^a-z0-9]+", "-", number.lower()).strip("-")


def _text(*values: str) -> None:
    """Text a database cannot store (NUL) is refused as bad input, not a server error."""
    if any("\x00" in v for v in values if isinstance(v, str)):
        raise InvalidInput(gettext_noop("Text may not contain NUL characters"))


def _actor(principal: Principal) -> User:
    if not principal.is_authenticated or principal.user is None or principal.scope == "read":
        raise PermissionDenied(gettext_noop("You must be signed in with write access to do this"))
    return principal.user


def may_manage(principal: Principal, standard_committee: Organization) -> bool:
    if principal.scope == "read":
        return False
    return is_operator(principal) or org_level(principal, standard_committee) >= Level.ADMIN


def tags(repo: Repository) -> list[str]:
    if not repo.git_path.exists():
        return []
    return [t.name for t in gitread.list_refs(repo.git_path)[1]]


def _strings(value: Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(gettext_noop("industries must be a list of strings"))
    _text(*value)
    return [v.strip()[:64] for v in value if v.strip()][:20]


@transaction.atomic
def standard_create(
    *,
    actor: Principal,
    repository: Repository,
    number: str,
    title: str,
    committee: Organization,
    industries: Sequence[str] | None = None,
    document: str = "README.md",
) -> Standard:
    user = _actor(actor)
    _text(number, title)
    number = " ".join((number or "").split())
    if not NUMBER.match(number):
        raise InvalidInput(
            gettext_noop("The number must look like T/NBOS 001-2026 (letters, a number, a year)")
        )
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput(gettext_noop("The standard needs a title of at most 200 characters"))
    if repository.type != Repository.Type.CODE:
        raise InvalidInput(gettext_noop("A standard is a code repository"))
    if not may_manage(actor, committee):
        raise PermissionDenied(gettext_noop("You must be an admin of %(org)s"), org=committee.name)
    if repo_level(actor, repository) < Level.WRITE:
        raise PermissionDenied(
            gettext_noop("You need write access to %(repo)s"), repo=repository.full_name
        )
    try:
        document = check_path(document or "README.md")
    except PathRefused as exc:
        raise InvalidInput(gettext_noop("The document must be a file path")) from exc
    if not document.lower().endswith((".md", ".markdown")):
        raise InvalidInput(gettext_noop("The document must be a Markdown file"))
    slug = number_slug(number)
    if (
        Standard.objects.filter(slug=slug).exists()
        or Standard.objects.filter(repository=repository).exists()
    ):
        raise AlreadyExists(gettext_noop("Standard %(number)s already exists"), number=number)
    standard = Standard.objects.create(
        repository=repository,
        number=number,
        slug=slug,
        title=title,
        committee=committee,
        industries=_strings(industries),
        document=document,
    )
    StandardTransition.objects.create(
        standard=standard, to_status=S.DRAFT, actor_name=user.username
    )
    events.record("standard.create", actor=user, repository=repository, payload={"number": number})
    return standard


@transaction.atomic
def standard_transition(
    *, actor: Principal, standard: Standard, to: str, version: str = "", note: str = ""
) -> Standard:
    """Move the status one step (see :data:`NEXT`); publishing needs ``version``, a tag."""
    user = _actor(actor)
    _text(to, version, note)
    if not may_manage(actor, standard.committee):
        raise PermissionDenied(
            gettext_noop("You must be an admin of %(org)s"), org=standard.committee.name
        )
    if to not in NEXT.get(standard.status, ()):
        raise InvalidStatus(
            gettext_noop("A standard in %(status)s cannot move to %(to)s (allowed: %(allowed)s)"),
            status=standard.status,
            to=to,
            allowed=", ".join(NEXT.get(standard.status, ())) or "-",
        )
    if to != S.DRAFT and standard.repository.private:
        raise InvalidStatus(gettext_noop("Make the repository public before leaving draft"))
    version = (version or "").strip()
    if to == S.PUBLISHED:
        if version not in tags(standard.repository):
            raise InvalidInput(
                gettext_noop("Publishing needs a tag of the repository as the version")
            )
        if standard.transitions.filter(to_status=S.PUBLISHED, version=version).exists():
            raise AlreadyExists(
                gettext_noop("Version %(version)s is already published"), version=version
            )
    else:
        version = ""
    StandardTransition.objects.create(
        standard=standard,
        from_status=standard.status,
        to_status=to,
        version=version,
        actor_name=user.username,
        note=(note or "")[:2000],
    )
    standard.status = to
    standard.save(update_fields=["status"])
    events.record(
        "standard.transition",
        actor=user,
        repository=standard.repository,
        payload={"number": standard.number, "to": to, "version": version},
    )
    return standard


def published_versions(standard: Standard) -> list[str]:
    return list(
        standard.transitions.filter(to_status=S.PUBLISHED).values_list("version", flat=True)
    )


def implementation_declare(
    *, actor: Principal, standard: Standard, repository: Repository, version: str, note: str = ""
) -> Implementation:
    """Declare that ``repository`` implements ``version`` of a published standard."""
    user = _actor(actor)
    _text(version, note)
    if repo_level(actor, repository) < Level.WRITE:
        raise PermissionDenied(
            gettext_noop("You need write access to %(repo)s"), repo=repository.full_name
        )
    if standard.status != S.PUBLISHED:
        raise InvalidStatus(gettext_noop("Only a published standard can be implemented"))
    if version not in published_versions(standard):
        raise InvalidInput(
            gettext_noop("%(version)s is not a published version of %(number)s"),
            version=version,
            number=standard.number,
        )
    if repository.pk == standard.repository_id:
        raise InvalidInput(gettext_noop("A standard does not implement itself"))
    row, created = Implementation.objects.get_or_create(
        standard=standard,
        version=version,
        repository=repository,
        defaults={"declared_by": user, "note": (note or "")[:2000]},
    )
    if not created:
        raise AlreadyExists(gettext_noop("This implementation is already declared"))
    events.record(
        "standard.implement",
        actor=user,
        repository=repository,
        payload={"number": standard.number, "version": version},
    )
    return row
