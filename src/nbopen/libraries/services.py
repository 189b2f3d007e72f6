"""Vertical data libraries: domains, the repositories in them, and the "snowball" numbers.

Everything a domain page or the API shows is computed here from what the *viewer* may read:
the candidate repositories come from :func:`nbopen.access.policy.visible_repositories`, and
every later number (growth, contributors, organizations, licences) is derived only from that
set. An anonymous visitor therefore sees aggregates of public repositories only.

A repository belongs to a domain when its card says ``domain: <slug or name>`` (a string or
a list), it carries a ``domain:<slug or name>`` tag, or one of its tags *is* the domain's
slug, Chinese or English name (``tags: [港口物流]``, as Hub authors tag). Matching is
case-insensitive. The card is the one source of truth: the settings page writes ``domain:``
into README.md with a commit (:func:`repo_domain_set`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import (
    Level,
    Principal,
    is_operator,
    require_repo,
    visible_repositories,
)
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.libraries.models import Domain
from nbopen.repos.models import Repository
from nbopen.repos.writes import commits, metadata

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"new"})
MAX_MONTHS = 36
TYPES = ("dataset", "model", "code")


# Domains ---------------------------------------------------------------------------------


def domain_list() -> list[Domain]:
    return list(Domain.objects.order_by("created", "slug"))


def domain_get(slug: str) -> Domain:
    domain = Domain.objects.filter(slug=str(slug).strip().lower()).first()
    if domain is None:
        raise NotFound(gettext_noop("No domain '%(slug)s'"), slug=slug)
    return domain


def _require_operator(principal: Principal | None) -> None:
    """``None`` is the operator at the console (the CLI); everyone else must be an operator."""
    if principal is not None and not is_operator(principal):
        raise PermissionDenied(gettext_noop("Only site operators may define domains"))


def _clean_names(
    name_zh: str, name_en: str, description_zh: str, description_en: str
) -> dict[str, str]:
    fields = {
        "name_zh": (name_zh or "").strip(),
        "name_en": (name_en or "").strip(),
        "description_zh": (description_zh or "").strip(),
        "description_en": (description_en or "").strip(),
    }
    if not fields["name_zh"]:
        raise InvalidInput(gettext_noop("A domain needs a Chinese name"))
    if len(fields["name_zh"]) > 64 or len(fields["name_en"]) > 96:
        raise InvalidInput(
            gettext_noop("Domain names are limited to 64 (Chinese) and 96 (English) characters")
        )
    if len(fields["description_zh"]) > 4000 or len(fields["description_en"]) > 4000:
        raise InvalidInput(gettext_noop("Descriptions are limited to 4000 characters"))
    return fields


def domain_create(
    *,
    principal: Principal | None,
    slug: str,
    name_zh: str,
    name_en: str = "",
    description_zh: str = "",
    description_en: str = "",
) -> Domain:
    """Define a domain. ``slug`` is what cards and tags name (``domain: port-logistics``)."""
    _require_operator(principal)
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise InvalidInput(
            gettext_noop(
                "Invalid domain slug '%(slug)s': use lower-case letters, digits and '-' "
                "(at most 64, not starting or ending with '-')"
            ),
            slug=slug,
        )
    fields = _clean_names(name_zh, name_en, description_zh, description_en)
    try:
        with transaction.atomic():
            return Domain.objects.create(slug=slug, **fields)
    except IntegrityError:
        raise AlreadyExists(
            gettext_noop("The domain '%(slug)s' already exists"), slug=slug
        ) from None


def domain_update(
    *,
    principal: Principal | None,
    domain: Domain,
    name_zh: str,
    name_en: str = "",
    description_zh: str = "",
    description_en: str = "",
) -> Domain:
    """Rename or re-describe a domain; the slug stays, so cards that name it keep matching."""
    _require_operator(principal)
    for key, value in _clean_names(name_zh, name_en, description_zh, description_en).items():
        setattr(domain, key, value)
    domain.save(update_fields=["name_zh", "name_en", "description_zh", "description_en"])
    return domain


# Membership ------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    """A card value that may be a string, a list of strings, or missing."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if isinstance(v, str | int | float) and str(v).strip()]


def _card(repo: Repository) -> dict[str, Any]:
    return repo.card_data if isinstance(repo.card_data, dict) else {}


def domain_labels(repo: Repository) -> set[str]:
    """The domain values a repository declares, lower-cased: the card's ``domain:``,
    ``domain:<x>`` tags, and plain tags (a plain tag counts only when it equals a defined
    domain's slug, Chinese or English name — :func:`domain_of` intersects with those)."""
    card = _card(repo)
    tags = _strings(repo.tags) + _strings(card.get("tags"))
    values = _strings(card.get("domain"))
    for tag in tags:
        values.append(tag.split(":", 1)[1] if tag.lower().startswith("domain:") else tag)
    return {v.strip().lower() for v in values if v.strip()}


def _keys(domain: Domain) -> set[str]:
    return {k.strip().lower() for k in (domain.slug, domain.name_zh, domain.name_en) if k.strip()}


def domain_of(repo: Repository, domains: Iterable[Domain] | None = None) -> list[Domain]:
    """The defined domains ``repo`` belongs to (labels naming no domain are ignored)."""
    labels = domain_labels(repo)
    if not labels:
        return []
    pool = domain_list() if domains is None else list(domains)
    return [d for d in pool if labels & _keys(d)]


def repo_domain_set(*, actor: Principal, repo: Repository, slug: str) -> Domain | None:
    """Put ``repo`` in the domain ``slug`` ("" takes it out of every domain) by writing the
    card's ``domain:`` with a commit, so the card stays the one source of truth.

    Admins of the repository only (the policy decides). Tags naming a domain are the
    author's own and are left alone.
    """
    require_repo(actor, repo, Level.ADMIN)
    assert actor.user is not None
    domain = domain_get(slug) if slug.strip() else None
    try:
        metadata.metadata_update(
            repo=repo,
            actor=actor.user,
            updates={"domain": domain.slug if domain else None},
            message=f"Set domain to {domain.slug}" if domain else "Remove domain",
        )
    except commits.RefConflict as exc:
        raise InvalidInput("The branch changed meanwhile; please try again") from exc
    return domain


def repo_licence(repo: Repository) -> str:
    """The declared licence: the repository's column, else the card's ``license:``."""
    if repo.license:
        return repo.license
    values = _strings(_card(repo).get("license"))
    return values[0] if values else ""


def _candidates(principal: Principal, domains: Iterable[Domain]) -> QuerySet[Repository]:
    """Repositories the principal may read that declare *some* domain or carry a tag naming
    one of ``domains``.

    The text match is only a cheap, backend-neutral pre-filter (JSON stored as text on SQLite,
    jsonb on PostgreSQL; non-ASCII names are matched as stored, escaped or not);
    :func:`domain_labels` decides exactly.
    """
    match = Q(tags__icontains="domain") | Q(card_data__icontains="domain")
    for domain in domains:
        for key in _keys(domain):
            escaped = json.dumps(key)[1:-1]
            match |= Q(tags__icontains=key) | Q(card_data__icontains=key)
            if escaped != key:
                match |= Q(tags__icontains=escaped) | Q(card_data__icontains=escaped)
    return (
        visible_repositories(principal)
        .filter(match)
        .select_related("owner", "owner__organization", "owner__user")
    )


def repos_in_domain(principal: Principal, domain: Domain) -> list[Repository]:
    """The repositories of ``domain`` the principal may read: datasets, models, then code."""
    keys = _keys(domain)
    repos = [r for r in _candidates(principal, [domain]) if domain_labels(r) & keys]
    order = {t: i for i, t in enumerate(TYPES)}
    repos.sort(key=lambda r: (order.get(r.type, 9), -(r.pushed_at or r.created_at).timestamp()))
    return repos


def type_counts(repos: Iterable[Repository]) -> dict[str, int]:
    counts = dict.fromkeys(TYPES, 0)
    for repo in repos:
        counts[repo.type] = counts.get(repo.type, 0) + 1
    counts["total"] = sum(counts[t] for t in TYPES)
    return counts


def overview(principal: Principal) -> list[tuple[Domain, dict[str, int]]]:
    """Every domain with the counts of repositories the principal may read (one query)."""
    domains = domain_list()
    grouped: dict[int, list[Repository]] = defaultdict(list)
    for repo in _candidates(principal, domains):
        for domain in domain_of(repo, domains):
            grouped[domain.pk].append(repo)
    return [(d, type_counts(grouped[d.pk])) for d in domains]


def licence_missing(repos: Iterable[Repository]) -> list[Repository]:
    """Public datasets that declare no licence: nobody may safely reuse them yet."""
    return [r for r in repos if r.type == "dataset" and not r.private and not repo_licence(r)]


def needs_licence_notice(repo: Repository) -> bool:
    """Whether a dataset's own page should say its licence is missing."""
    return repo.type == "dataset" and not repo.private and not repo_licence(repo)


# Growth ----------------------------------------------------------------------------------


@dataclass
class Growth:
    """Month-by-month numbers, oldest first; ``months`` are ``YYYY-MM`` (UTC)."""

    months: list[str] = field(default_factory=list)
    repositories: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    contributors: list[int] = field(default_factory=list)
    contributors_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "repositories": self.repositories,
            "rows": self.rows,
            "contributors": self.contributors,
            "contributors_total": self.contributors_total,
        }


def _month(moment: datetime) -> tuple[int, int]:
    utc = moment.astimezone(UTC)
    return (utc.year, utc.month)


def _month_range(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    months = []
    year, month = first
    while (year, month) <= last:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _dataset_rows(repo_ids: list[int]) -> list[tuple[int, tuple[int, int], int]]:
    """(repository id, month finished, rows) of every finished conversion, oldest first."""
    if not repo_ids:
        return []
    rows = (
        Conversion.objects.filter(
            repository_id__in=repo_ids, status=Conversion.Status.DONE, finished_at__isnull=False
        )
        .annotate(rows=Sum("splits__num_rows", filter=Q(splits__status=SplitResult.Status.DONE)))
        .order_by("finished_at", "id")
        .values_list("repository_id", "finished_at", "rows")
    )
    return [(rid, _month(when), int(n or 0)) for rid, when, n in rows if when is not None]


def growth(repos: list[Repository], *, now: datetime | None = None) -> Growth:
    """Repositories (cumulative), dataset rows (latest conversion of each dataset at the end
    of the month) and contributors (distinct pushers active that month) per month, from the
    month before the first activity to now (the last :data:`MAX_MONTHS`)."""
    now = now or timezone.now()
    ids = [r.pk for r in repos]
    pushes = list(
        Event.objects.filter(kind="repo.push", repository_id__in=ids, actor_id__isnull=False)
        .order_by()
        .annotate(month=TruncMonth("created_at", tzinfo=UTC))
        .values("month")
        .annotate(n=Count("actor_id", distinct=True))
        .values_list("month", "n")
    )
    per_month_pushers = {_month(m): int(n) for m, n in pushes if m is not None}
    conversions = _dataset_rows([r.pk for r in repos if r.type == "dataset"])
    starts = [_month(r.created_at) for r in repos] + list(per_month_pushers)
    starts += [m for _, m, _ in conversions]
    last = _month(now)
    first = min(min(starts), last) if starts else last
    # One month of zeros first, so growth visibly starts from nothing (and a single month of
    # activity still draws a line).
    first = (first[0] - 1, 12) if first[1] == 1 else (first[0], first[1] - 1)
    months = _month_range(first, last)[-MAX_MONTHS:]
    created = sorted(_month(r.created_at) for r in repos)
    result = Growth(months=[f"{y:04d}-{m:02d}" for y, m in months])
    latest: dict[int, int] = {}
    conv_i = 0
    for month in months:
        result.repositories.append(sum(1 for c in created if c <= month))
        while conv_i < len(conversions) and conversions[conv_i][1] <= month:
            rid, _, rows = conversions[conv_i]
            latest[rid] = rows
            conv_i += 1
        result.rows.append(sum(latest.values()))
        result.contributors.append(per_month_pushers.get(month, 0))
    result.contributors_total = (
        Event.objects.filter(kind="repo.push", repository_id__in=ids, actor_id__isnull=False)
        .order_by()
        .values("actor_id")
        .distinct()
        .count()
    )
    return result


# Organizations ---------------------------------------------------------------------------


@dataclass
class OrgShare:
    name: str
    display_name: str
    kind: str
    repositories: int = 0
    pushes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "kind": self.kind,
            "repositories": self.repositories,
            "pushes": self.pushes,
        }


def top_organizations(repos: list[Repository], limit: int = 10) -> list[OrgShare]:
    """Organizations owning the domain's repositories, by pushes to them, then repositories."""
    shares: dict[int, OrgShare] = {}
    org_of_repo: dict[int, int] = {}
    for repo in repos:
        org = repo.owner.organization if repo.owner.organization_id else None
        if org is None:
            continue
        share = shares.setdefault(org.pk, OrgShare(org.name, org.display_name, org.kind))
        share.repositories += 1
        org_of_repo[repo.pk] = org.pk
    if org_of_repo:
        pushes = (
            Event.objects.filter(kind="repo.push", repository_id__in=list(org_of_repo))
            .order_by()
            .values("repository_id")
            .annotate(n=Count("id"))
            .values_list("repository_id", "n")
        )
        for repo_id, n in pushes:
            if repo_id is not None:
                shares[org_of_repo[int(repo_id)]].pushes += int(n)
    ranked = sorted(shares.values(), key=lambda s: (-s.pushes, -s.repositories, s.name.lower()))
    return ranked[:limit]


# The whole page --------------------------------------------------------------------------


@dataclass
class DomainSummary:
    domain: Domain
    repos: list[Repository]
    counts: dict[str, int]
    growth: Growth
    top_orgs: list[OrgShare]
    licence_missing: list[Repository]

    @property
    def rows_total(self) -> int:
        return self.growth.rows[-1] if self.growth.rows else 0


def summarize(
    principal: Principal, domain: Domain, *, now: datetime | None = None
) -> DomainSummary:
    """Everything the domain page and ``/api/v1/libraries/{slug}`` show, for this viewer."""
    repos = repos_in_domain(principal, domain)
    return DomainSummary(
        domain=domain,
        repos=repos,
        counts=type_counts(repos),
        growth=growth(repos, now=now),
        top_orgs=top_organizations(repos),
        licence_missing=licence_missing(repos),
    )


def domain_dict(domain: Domain) -> dict[str, Any]:
    return {
        "slug": domain.slug,
        "name_zh": domain.name_zh,
        "name_en": domain.name_en,
        "description_zh": domain.description_zh,
        "description_en": domain.description_en,
        "created": domain.created.isoformat(),
    }


def repo_dict(repo: Repository) -> dict[str, Any]:
    return {
        "id": repo.full_name,
        "type": repo.type,
        "private": repo.private,
        "license": repo_licence(repo) or None,
        "description": repo.description,
        "created_at": repo.created_at.isoformat(),
        "last_modified": (repo.pushed_at or repo.updated_at).isoformat(),
    }


def summary_dict(summary: DomainSummary) -> dict[str, Any]:
    return {
        **domain_dict(summary.domain),
        "counts": {**summary.counts, "rows": summary.rows_total},
        "contributors": summary.growth.contributors_total,
        "growth": summary.growth.as_dict(),
        "top_organizations": [s.as_dict() for s in summary.top_orgs],
        "licence_missing": [r.full_name for r in summary.licence_missing],
        "repositories": [repo_dict(r) for r in summary.repos],
    }
