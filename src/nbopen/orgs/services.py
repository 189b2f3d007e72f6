"""Writes for organizations and memberships."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from nbopen.accounts.models import Namespace, User
from nbopen.accounts.services import claim_namespace_name
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.core.names import is_well_formed
from nbopen.orgs.models import Membership, Organization, TeamMember


@transaction.atomic
def org_create(
    *,
    name: str,
    kind: str,
    owner: User,
    display_name: str = "",
    region: str = "",
    description: str = "",
) -> Organization:
    """Create an organization with ``owner`` as its first owner."""
    claim_namespace_name(name)
    if kind not in Organization.Kind.values:
        raise InvalidInput(
            gettext_noop("Organization kind must be one of %(choices)s, not '%(kind)s'"),
            choices=", ".join(Organization.Kind.values),
            kind=kind,
        )
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                name=name,
                kind=kind,
                display_name=display_name[:128],
                region=region[:64],
                description=description,
            )
            Namespace.objects.create(
                name=name,
                name_lower=name.lower(),
                kind=Namespace.Kind.ORGANIZATION,
                organization=org,
            )
    except IntegrityError as exc:
        raise AlreadyExists(
            gettext_noop("The name '%(name)s' is already taken"), name=name
        ) from exc
    Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    events.record("org.create", actor=owner, organization_id=org.pk, payload={"name": name})
    return org


def org_get(name: str) -> Organization:
    if not is_well_formed(name):
        raise NotFound(gettext_noop("No organization named '%(name)s'"), name=name)
    try:
        return Organization.objects.get(name__iexact=name)
    except Organization.DoesNotExist:
        raise NotFound(gettext_noop("No organization named '%(name)s'"), name=name) from None


@transaction.atomic
def member_set(
    *, organization: Organization, user: User, role: str, actor: User | None
) -> Membership:
    """Add ``user`` to ``organization`` with ``role``, or change their role."""
    if role not in Membership.Role.values:
        raise InvalidInput(
            gettext_noop("Role must be one of %(choices)s, not '%(role)s'"),
            choices=", ".join(Membership.Role.values),
            role=role,
        )
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    events.record(
        "org.member_set",
        actor=actor,
        organization_id=organization.pk,
        payload={"user": user.username, "role": role},
    )
    return membership


@transaction.atomic
def member_remove(*, organization: Organization, user: User, actor: User | None) -> None:
    owners = Membership.objects.filter(organization=organization, role=Membership.Role.OWNER)
    if owners.count() == 1 and owners.filter(user=user).exists():
        raise InvalidInput(gettext_noop("An organization must keep at least one owner"))
    deleted, _ = Membership.objects.filter(organization=organization, user=user).delete()
    if not deleted:
        raise NotFound(
            gettext_noop("%(user)s is not a member of %(org)s"),
            user=user.username,
            org=organization.name,
        )
    # Team grants presuppose membership: leaving the organization ends them all.
    TeamMember.objects.filter(team__organization=organization, user=user).delete()
    events.record(
        "org.member_remove",
        actor=actor,
        organization_id=organization.pk,
        payload={"user": user.username},
    )
