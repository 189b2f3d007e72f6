"""The profile's contribution calendar as inline SVG, drawn on the server.

No script and no chart library (pages make no outside requests and work without JavaScript):
one square per day, columns of weeks, each square's ``<title>`` saying the count and the
date in the reader's language, month names along the top.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nbopen.collab.contributions import Calendar, Day

CELL = 11
GAP = 2
LEFT = 28  # room for the weekday labels
TOP = 14  # room for the month labels


def _square(day: Day, column: int, row: int) -> tuple[object, ...]:
    count, when = day.count, date_format(day.day, "DATE_FORMAT")
    title = ngettext(
        "%(count)d contribution on %(date)s", "%(count)d contributions on %(date)s", count
    ) % {"count": count, "date": when}
    return (
        LEFT + column * (CELL + GAP),
        TOP + row * (CELL + GAP),
        CELL,
        CELL,
        day.level,
        day.day.isoformat(),
        count,
        title,
    )


def calendar_svg(calendar: Calendar) -> SafeString:
    """The calendar as an ``<svg>`` element (``role=img`` with a summary as its label)."""
    squares: list[tuple[object, ...]] = []
    months: list[tuple[int, int, str]] = []
    last_month = None
    last_label_column = -3
    for column, week in enumerate(calendar.weeks):
        for row, day in enumerate(week):
            if day is None:
                continue
            squares.append(_square(day, column, row))
        first = week[0]
        if first is not None and first.day.month != last_month:
            last_month = first.day.month
            # A month needs three columns for its name: skip one squeezed against the next
            # (the first partial week) or against the right edge.
            if column < len(calendar.weeks) - 2:
                if months and column - last_label_column < 3:
                    months.pop()
                months.append((LEFT + column * (CELL + GAP), TOP - 4, date_format(first.day, "M")))
                last_label_column = column
    width = LEFT + len(calendar.weeks) * (CELL + GAP)
    height = TOP + 7 * (CELL + GAP)
    weekdays = [(1, _("Mon")), (3, _("Wed")), (5, _("Fri"))]
    label = ngettext(
        "%(count)d contribution in the last year",
        "%(count)d contributions in the last year",
        calendar.total,
    ) % {"count": calendar.total}
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" width="{}" height="{}"'
        ' viewBox="0 0 {} {}">{}{}{}</svg>',
        label,
        width,
        height,
        width,
        height,
        format_html_join("", '<text x="{}" y="{}">{}</text>', months),
        format_html_join(
            "",
            '<text x="0" y="{}">{}</text>',
            ((TOP + row * (CELL + GAP) + CELL - 2, name) for row, name in weekdays),
        ),
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" rx="2" class="day l{}"'
            ' data-date="{}" data-count="{}"><title>{}</title></rect>',
            squares,
        ),
    )
