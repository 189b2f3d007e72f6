"""Template context every page gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """The header's unread count, as a callable: the query runs only on pages that render the
    header for a signed-in user (a template calls it when it reads the value)."""

    def count() -> int:
        from nbopen.notifications.services import unread_count
        from nbopen.web.views.base import principal

        return unread_count(principal(request))

    user: Any = getattr(request, "user", None)
    return {"unread_notifications": count} if user is not None and user.is_authenticated else {}
