"""The event log is append-only."""

from __future__ import annotations

import pytest

from nbopen.core import events
from nbopen.core.models import Event

pytestmark = pytest.mark.django_db


def test_events_append() -> None:
    first = events.record("test.one", payload={"a": 1})
    second = events.record("test.two")
    # Only this test's kinds: session-scoped fixtures elsewhere leave events in the test DB.
    kinds = Event.objects.filter(kind__startswith="test.").values_list("kind", flat=True)
    assert list(kinds) == ["test.two", "test.one"]
    assert second.pk > first.pk
    assert Event.objects.get(pk=first.pk).payload == {"a": 1}


def test_events_cannot_be_changed_or_deleted() -> None:
    event = events.record("test.immutable", payload={"v": 1})
    event.payload = {"v": 2}
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()
    with pytest.raises(RuntimeError, match="append-only"):
        Event.objects.filter(pk=event.pk).update(payload={"v": 3})
    with pytest.raises(RuntimeError, match="append-only"):
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(RuntimeError, match="append-only"):
        Event.objects.all().delete()
    assert Event.objects.get(pk=event.pk).payload == {"v": 1}


def test_listeners_get_matching_events_and_register_once() -> None:
    seen: list[str] = []
    events.listen("test.listener", ("test.heard.",), lambda e: seen.append(e.kind))
    events.listen("test.listener", ("test.heard.",), lambda e: seen.append(e.kind))
    try:
        events.record("test.heard.one")
        events.record("test.unheard")
        assert seen == ["test.heard.one"]  # once: the second listen() replaced the first
    finally:
        events._listeners.pop("test.listener", None)


def test_search_listens_without_django_signals() -> None:
    from django.db.models.signals import post_save

    assert not post_save.has_listeners(Event)
    assert "search.index" in events._listeners
