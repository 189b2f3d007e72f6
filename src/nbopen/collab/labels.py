"""Labels a thread may carry: its repository's own and its organization's (org-wide labels,
as Gitea's ``/orgs/{org}/labels``). An organization's labels are managed by its owners and
admins and usable on every repository it owns; they are as public as the organization page.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, org_level
from nbopen.collab.models import Label
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository

COLOR = re.compile(r"#?[0-9a-fA-F]{6}")


def available(repo: Repository) -> QuerySet[Label]:
    """The labels usable on ``repo``'s threads: its own, then its organization's."""
    org_id = repo.owner.organization_id
    where = Q(repository=repo)
    if org_id is not None:
        where |= Q(organization_id=org_id)
    return Label.objects.filter(where).order_by("organization_id", "name_lower")


def resolve(repo: Repository, *, names: list[str], ids: list[int]) -> list[Label]:
    """Labels of ``repo`` by name (the repository's own label wins over an org label of the
    same name) and by id; an unknown one is an error naming it."""
    wanted = {n.strip().lower() for n in names if n.strip()}
    too_large = [str(i) for i in ids if not 0 < i < 2**63]
    if too_large:
        raise InvalidInput(gettext_noop("Unknown labels: %(names)s"), names=", ".join(too_large))
    found: dict[int, Label] = {}
    by_name: dict[str, Label] = {}
    for label in available(repo).filter(Q(name_lower__in=wanted) | Q(pk__in=ids)):
        if label.pk in ids:
            found[label.pk] = label
        if label.name_lower in wanted and (
            label.name_lower not in by_name or label.repository_id is not None
        ):
            by_name[label.name_lower] = label
    missing = sorted(wanted - set(by_name)) + [str(i) for i in ids if i not in found]
    if missing:
        raise InvalidInput(gettext_noop("Unknown labels: %(names)s"), names=", ".join(missing))
    found.update({label.pk: label for label in by_name.values()})
    return list(found.values())


def clean_color(value: object) -> str:
    """``#rrggbb`` from Gitea's ``rrggbb`` or ``#rrggbb``."""
    color = str(value or "6e7781")
    if not COLOR.fullmatch(color):
        raise InvalidInput(gettext_noop("The color must be a hex color such as #00aabb"))
    return "#" + color.lstrip("#").lower()


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 64:
        raise InvalidInput(gettext_noop("A label needs a name of at most 64 characters"))
    return name.strip()


def _require_org_admin(actor: Principal, org: Organization) -> None:
    if not actor.is_authenticated or actor.scope == "read" or org_level(actor, org) < Level.ADMIN:
        raise PermissionDenied(gettext_noop("Only the organization's owners may change its labels"))


def org_labels(org: Organization) -> QuerySet[Label]:
    """The organization's labels (public, like the organization)."""
    return Label.objects.filter(organization=org).order_by("name_lower")


def org_label_get(org: Organization, label_id: int) -> Label:
    found = None
    if 0 < label_id < 2**63:
        found = Label.objects.filter(organization=org, pk=label_id).first()
    if found is None:
        raise NotFound(gettext_noop("Label not found"))
    return found


def _save(label: Label) -> Label:
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError:
        raise AlreadyExists(
            gettext_noop("A label named %(name)s already exists"), name=label.name
        ) from None
    return label


def org_label_create(
    *,
    actor: Principal,
    org: Organization,
    name: object,
    color: object = None,
    description: object = "",
) -> Label:
    """A new organization-wide label (the organization's owners and admins)."""
    _require_org_admin(actor, org)
    clean = _clean_name(name)
    return _save(
        Label(
            organization=org,
            name=clean,
            name_lower=clean.lower(),
            color=clean_color(color),
            description=str(description or "")[:256],
        )
    )


def org_label_edit(
    *,
    actor: Principal,
    org: Organization,
    label_id: int,
    name: object = None,
    color: object = None,
    description: object = None,
) -> Label:
    """Change an organization-wide label (owners and admins); absent fields stay."""
    _require_org_admin(actor, org)
    label = org_label_get(org, label_id)
    if name is not None:
        label.name = _clean_name(name)
        label.name_lower = label.name.lower()
    if color is not None:
        label.color = clean_color(color)
    if description is not None:
        label.description = str(description)[:256]
    return _save(label)


def org_label_delete(*, actor: Principal, org: Organization, label_id: int) -> None:
    """Delete an organization-wide label: it leaves every thread that carried it."""
    _require_org_admin(actor, org)
    org_label_get(org, label_id).delete()
