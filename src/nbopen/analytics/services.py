"""Analytics operations: the registry, imports, the platform log export. Keyword-only."""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from nbopen.analytics import gharchive, store
from nbopen.analytics.models import ImportedFile, RegistryEntry
from nbopen.core.errors import DomainError, InvalidName, NotFound
from nbopen.core.tasks import defer
from nbopen.orgs.models import Organization

log = logging.getLogger(__name__)

PLATFORMS = {choice.value for choice in RegistryEntry.Platform}


def registry_add(*, platform: str, login: str, organization: str | None = None) -> RegistryEntry:
    """Register a GitHub/Gitee account (``login``) or repository (``owner/name``)."""
    if platform not in PLATFORMS:
        raise InvalidName(f"platform must be one of {sorted(PLATFORMS)}")
    login = login.strip().strip("/")
    parts = login.split("/")
    if not login or len(parts) > 2 or not all(parts) or any(c.isspace() for c in login):
        raise InvalidName("login must be an account name or owner/name")
    org: Organization | None = None
    if organization:
        org = Organization.objects.filter(name__iexact=organization).first()
        if org is None:
            raise NotFound(f"organization {organization!r} does not exist")
    entry, _ = RegistryEntry.objects.update_or_create(
        platform=platform,
        login_lower=login.lower(),
        defaults={"login": login, "organization": org},
    )
    return entry


def registry_list() -> list[RegistryEntry]:
    return list(RegistryEntry.objects.select_related("organization").order_by("platform", "login"))


def city_filter(platform: str = "github") -> gharchive.CityFilter:
    accounts: set[str] = set()
    repos: set[str] = set()
    for login in RegistryEntry.objects.filter(platform=platform).values_list(
        "login_lower", flat=True
    ):
        (repos if "/" in login else accounts).add(login)
    return gharchive.CityFilter(frozenset(accounts), frozenset(repos))


def import_gharchive(*, paths: list[Path], force: bool = False, base: Path | None = None) -> None:
    """Schedule one import task per file (inline with ``NBOPEN_TASKS=sync``)."""
    for path in paths:
        if not path.is_file():
            raise NotFound(f"{path} is not a file")
        if not path.name.endswith(".json.gz"):
            raise DomainError(f"{path.name}: GH Archive hour files end in .json.gz")
    for path in paths:
        defer(import_gharchive_file, str(path), force=force, base=str(base) if base else None)


def import_gharchive_file(path: str, *, force: bool = False, base: str | None = None) -> str:
    """The task: import one file unless the ledger says it is done. Returns its status."""
    file = Path(path)
    size = file.stat().st_size
    done = ImportedFile.objects.filter(
        name=file.name, size=size, status=ImportedFile.Status.DONE
    ).exists()
    if done and not force:
        return "skipped"
    with transaction.atomic():
        ImportedFile.objects.update_or_create(
            name=file.name,
            defaults={"size": size, "status": ImportedFile.Status.RUNNING, "error": ""},
        )
    try:
        result = gharchive.import_file(
            file, city_filter("github"), base=Path(base) if base else None
        )
    except Exception as exc:
        ImportedFile.objects.filter(name=file.name).update(
            status=ImportedFile.Status.FAILED, error=str(exc)[:2000]
        )
        log.exception("import of %s failed", file.name)
        return "failed"
    ImportedFile.objects.filter(name=file.name).update(
        status=ImportedFile.Status.DONE,
        sha256=result.sha256,
        lines=result.lines,
        kept=result.kept,
        finished_at=timezone.now(),
    )
    return "done"


def import_ledger() -> list[ImportedFile]:
    return list(ImportedFile.objects.order_by("name"))


def analytics_root(base: Path | None = None) -> Path:
    return store.root(base)
