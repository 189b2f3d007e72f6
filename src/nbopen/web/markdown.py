"""README rendering: Markdown → HTML that is safe to put in our origin.

markdown-it-py renders (raw HTML allowed, as on GitHub and the Hub), then nh3 (the Rust
``ammonia`` sanitiser) keeps only an allow-list of tags and attributes: no script, no event
handlers, no ``style``, and only http(s)/mailto/relative links. Relative links and images are
rewritten to the repository's blob/raw URLs; images on other hosts become plain links, so a
README can never make the reader's browser contact a third party.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import nh3
from markdown_it import MarkdownIt

from nbopen.repos import cards

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "code": {"class"},
    "div": {"align"},
    "p": {"align"},
    "ol": {"start"},
}
_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])


@dataclass(frozen=True)
class Readme:
    html: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class LinkBase:
    """Where relative links in a README point: blob pages for links, raw URLs for images."""

    blob: str  # e.g. /owner/name/blob/main
    raw: str  # e.g. /owner/name/raw/main
    directory: str  # directory of the README inside the repository


def _rewrite(url: str, base: str, directory: str) -> str:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("#", "/")):
        return url
    path = posixpath.normpath(posixpath.join(directory, parts.path))
    if path == ".." or path.startswith("../"):
        return "#"  # points above the repository root
    path = "" if path == "." else path
    out = f"{base}/{quote(path)}"
    if parts.fragment:
        out += "#" + parts.fragment
    return out


def _attribute_filter(links: LinkBase | None) -> Any:
    def filt(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            parts = urlsplit(value)
            if parts.scheme or parts.netloc:
                return None  # no third-party images: drop the source
            if links is not None:
                return _rewrite(value, links.raw, links.directory)
        if tag == "a" and attr == "href" and links is not None:
            return _rewrite(value, links.blob, links.directory)
        if tag == "code" and attr == "class":
            return value if value.startswith("language-") else None
        return value

    return filt


def render_markdown(text: str, links: LinkBase | None = None) -> str:
    html = _md.render(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute_filter(links),
        strip_comments=True,
    )


def render_readme(text: str, links: LinkBase | None = None) -> Readme:
    metadata, body = cards.split_front_matter(text)
    return Readme(render_markdown(body, links), metadata)
