"""Gitea's notification routes, included under ``api/v1/``."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1 import notifications

LIST_QUERY = (
    Param("all", schema={"type": "boolean"}),
    Param("status-types", schema={"type": "string"}),
    Param("subject-type", schema={"enum": ["issue", "pull"]}),
    Param("page", schema={"type": "integer", "minimum": 1}),
    Param("limit", schema={"type": "integer", "minimum": 1, "maximum": 50}),
    Param("to-status", schema={"enum": ["read", "unread", "pinned", "done"]}),
    Param("last_read_at", schema={"type": "string", "format": "date-time"}),
)

urlpatterns = [
    route(
        "notifications",
        notifications.notifications,
        methods=("GET", "PUT"),
        tag="notifications",
        query=LIST_QUERY,
        responses={200: s.NOTIFICATIONS, 205: s.NOTIFICATIONS},
    ),
    route(
        "notifications/new",
        notifications.notifications_new,
        tag="notifications",
        responses={200: s.NOTIFICATIONS_NEW},
    ),
    route(
        "notifications/threads/<int:id>",
        notifications.notification_thread,
        methods=("GET", "PATCH"),
        tag="notifications",
        query=(Param("to-status", schema={"enum": ["read", "unread", "pinned", "done"]}),),
        responses={200: s.NOTIFICATION, 205: s.NOTIFICATION},
    ),
]
