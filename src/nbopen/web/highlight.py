"""Syntax highlighting with Pygments, emitting CSS classes only (the page CSP forbids inline
styles); the matching stylesheet is ``static/web/css/pygments.css``."""

from __future__ import annotations

from pygments import highlight as _highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_for_filename
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

# Above this size we show plain text: highlighting a megabyte of JSON is slow and unhelpful.
MAX_HIGHLIGHT_BYTES = 512 * 1024

_formatter = HtmlFormatter(cssclass="hl", linenos="table", lineanchors="L", anchorlinenos=True)


def highlight(text: str, filename: str) -> str:
    """HTML for ``text``: a table with line numbers (anchors ``#L-n``) and highlighted code."""
    lexer = TextLexer()
    if len(text) <= MAX_HIGHLIGHT_BYTES:
        try:
            lexer = get_lexer_for_filename(filename, stripnl=False)
        except ClassNotFound:
            lexer = TextLexer()
    lexer.stripnl = False
    return str(_highlight(text, lexer, _formatter))


def stylesheet() -> str:
    return str(HtmlFormatter(cssclass="hl").get_style_defs(".hl"))
