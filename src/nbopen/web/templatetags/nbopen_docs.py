"""``{% snippet "id" %}``: a code block from the page's snippets with a copy button."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def snippet(context: template.Context, key: str) -> str:
    item: Any = context["snippets"][key]
    return render_to_string(
        "web/partials/snippet.html", {"s": item}, request=context.get("request")
    )
