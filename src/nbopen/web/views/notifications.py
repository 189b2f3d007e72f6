"""``/notifications``: the signed-in user's inbox (unread, read, done), marking read / done.
What a row is and who gets one: :mod:`nbopen.notifications.services`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from nbopen.notifications import services
from nbopen.notifications.models import Notification
from nbopen.web.denials import LoginRequired
from nbopen.web.views.base import page, principal

S = Notification.Status
FILTERS = {
    "unread": [S.UNREAD, S.PINNED],
    "read": [S.READ],
    "done": [S.DONE],
    "all": [S.UNREAD, S.PINNED, S.READ],
}
REASONS = {
    "mention": _("You were mentioned"),
    "assign": _("Assigned to you"),
    "review_requested": _("Review requested"),
    "author": _("You opened it"),
    "participating": _("You took part"),
    "watching": _("Watching"),
}
# What happened last on the thread (the row's ``last_kind``), so "your pull request was
# merged" reads as such and not only as "You opened it".
EVENTS = {
    "open": _("Opened"),
    "comment": _("New comment"),
    "close": _("Closed"),
    "reopen": _("Reopened"),
    "merge": _("Merged"),
    "assign": _("Assigned"),
    "review": _("Reviewed"),
    "review_comment": _("New review comment"),
    "review_request": _("Review requested"),
}
PAGE = 50


@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    shown = request.GET.get("filter") or request.POST.get("filter") or "unread"
    if shown not in FILTERS:
        shown = "unread"
    if request.method == "POST":
        to = request.POST.get("to", "read")
        if to in {S.READ, S.DONE, S.UNREAD}:
            ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
            services.mark(
                who,
                to_status=to,
                ids=ids or None,
                from_statuses=None if ids else FILTERS[shown],
            )
        return redirect(f"/notifications?filter={shown}")
    rows = list(services.inbox(who, statuses=FILTERS[shown])[:PAGE])
    items = [
        {
            "row": r,
            "reason": REASONS.get(r.reason, r.reason),
            "event": EVENTS.get(r.last_kind.partition(".")[2], ""),
            "url": f"{r.repository.web_path}/{'pulls' if r.thread.is_pull else 'issues'}"
            f"/{r.thread.number}",
        }
        for r in rows
    ]
    return page(
        request,
        "web/notifications.html",
        {"items": items, "shown": shown, "filters": list(FILTERS)},
    )
