"""The audit log is append-only, pruned only by retention, and read by the right people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.audit import selectors, services
from nbopen.audit.models import AuditEntry
from nbopen.core.errors import NotFound, PermissionDenied
from nbopen.orgs.services import member_set, org_create

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_changed_or_deleted() -> None:
    entry = services.record("test.audit", detail={"v": 1})
    entry.detail = {"v": 2}
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).update(detail={"v": 3})
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).detail == {"v": 1}


def test_retention_prunes_only_old_entries() -> None:
    old = services.record("test.old")
    new = services.record("test.new")
    later = timezone.now() + timedelta(days=365, hours=1)  # the default retention is 365 days
    # Entries other tests left with older timestamps may go; these two are inside retention.
    services.prune(now=later - timedelta(hours=2))
    assert AuditEntry.objects.filter(pk__in=[old.pk, new.pk]).count() == 2
    pruned = services.prune(now=later)
    assert pruned >= 2
    assert not AuditEntry.objects.filter(pk__in=[old.pk, new.pk]).exists()


def test_owners_read_their_organization_operators_read_all() -> None:
    owner = user_create(username="ua-owner", email="o@example.org", password="pw-Secret-99")
    member = user_create(username="ua-member", email="m@example.org", password="pw-Secret-99")
    outsider = user_create(username="ua-out", email="x@example.org", password="pw-Secret-99")
    staff = user_create(
        username="ua-staff", email="s@example.org", password="pw-Secret-99", is_admin=True
    )
    org = org_create(name="ua-org", kind="community", owner=owner)
    other = org_create(name="ua-other", kind="community", owner=outsider)
    member_set(organization=org, user=member, role="admin", actor=owner)
    services.record("test.ours", actor=owner, organization_id=org.pk)
    services.record("test.theirs", actor=outsider, organization_id=other.pk)
    services.record("test.site", actor=staff)

    everything = selectors.Filters(action="test.")
    mine = selectors.entries(Principal(user=owner), organization="ua-org", filters=everything)
    assert [e.action for e in mine] == ["test.ours"]
    for refused in (member, outsider):  # an org admin is not an owner
        with pytest.raises(NotFound):
            selectors.entries(Principal(user=refused), organization="ua-org", filters=everything)
    with pytest.raises(PermissionDenied):
        selectors.entries(Principal(user=owner), organization=None, filters=everything)
    site = selectors.entries(Principal(user=staff), organization=None, filters=everything)
    assert {e.action for e in site} >= {"test.ours", "test.theirs", "test.site"}
    by_actor = selectors.Filters(action="test.", actor="UA-OUT")  # names match case-insensitively
    assert [
        e.action
        for e in selectors.entries(Principal(user=staff), organization=None, filters=by_actor)
    ] == ["test.theirs"]


def test_filters_parse_dates_and_csv_neutralises_formulas() -> None:
    filters = selectors.Filters.parse({"since": "2026-01-02", "until": "2026-01-02"})
    assert filters.since is not None and filters.until is not None
    assert (filters.until - filters.since).total_seconds() == 24 * 3600 - 1
    entry = services.record("test.csv", actor_name="=HYPERLINK(1)", detail={"a": "b"})
    text = selectors.to_csv([entry])
    assert text.splitlines()[0] == ",".join(selectors.CSV_COLUMNS)
    assert "'=HYPERLINK(1)" in text
