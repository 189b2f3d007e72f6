"""README rendering keeps the content and drops everything that could run or phone home."""

from __future__ import annotations

import re

from nbopen.web.markdown import LinkBase, render_readme

HOSTILE = """---
license: mit
tags: [a, b]
---
# Title <script>alert('x')</script>

<img src="x.png" onerror="alert(1)">
<img src="https://tracker.example.com/pixel.gif">
<a href="javascript:alert(1)">click</a> <a href="JaVaScRiPt:alert(2)">again</a>
<a href="  javascript:alert(3)">spaces</a> <a href="data:text/html,<script>x</script>">data</a>

[md link](javascript:alert(4)) [ok](docs/guide.md) ![logo](img/logo.png)

<svg onload="alert(5)"><circle/></svg>
<iframe src="https://evil.example.com"></iframe>
<div style="background:url(https://evil.example.com/x)" onclick="steal()">styled</div>
<form action="https://evil.example.com"><input name=q></form>
<object data="x.swf"></object><embed src="x.swf"><base href="https://evil.example.com/">
<meta http-equiv="refresh" content="0;url=https://evil.example.com">
<link rel="stylesheet" href="https://evil.example.com/x.css">
"""


def test_hostile_markup_is_neutralised() -> None:
    links = LinkBase(blob="/o/r/blob/main", raw="/o/r/raw/main", directory="")
    doc = render_readme(HOSTILE, links)
    html = doc.html
    assert doc.metadata == {"license": "mit", "tags": ["a", "b"]}
    assert "<h1>Title" in html  # the content itself survives
    assert "<script" not in html.lower()
    assert not re.search(r"\son\w+\s*=", html, re.IGNORECASE)
    # Only as inert text (markdown-it refuses the link); never in an attribute.
    assert not re.search(r"(href|src)\s*=\s*\"[^\"]*(javascript|data):", html, re.IGNORECASE)
    assert html.lower().count("javascript:") == 1  # the literal text of the refused [md link]
    for tag in ("iframe", "svg", "form", "input", "object", "embed", "base", "meta", "link"):
        assert f"<{tag}" not in html.lower(), tag
    assert "style=" not in html
    assert "evil.example.com" not in html
    assert "tracker.example.com" not in html
    # Relative links and images point into the repository.
    assert 'href="/o/r/blob/main/docs/guide.md"' in html
    assert 'src="/o/r/raw/main/img/logo.png"' in html
    assert 'src="/o/r/raw/main/x.png"' in html


def test_relative_links_in_subdirectories_and_escapes() -> None:
    links = LinkBase(blob="/o/r/blob/v1", raw="/o/r/raw/v1", directory="docs")
    html = render_readme("[up](../README.md) [deep](a/b.md) [out](../../x)", links).html
    assert 'href="/o/r/blob/v1/README.md"' in html
    assert 'href="/o/r/blob/v1/docs/a/b.md"' in html
    assert 'href="#"' in html


def test_front_matter_is_optional_and_malformed_yaml_is_ignored() -> None:
    assert render_readme("# Hi").metadata == {}
    doc = render_readme("---\n: [unclosed\n---\n# Hi")
    assert doc.metadata == {}
