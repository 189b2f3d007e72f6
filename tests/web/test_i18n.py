"""The committed catalogs are complete and the compiled .mo files match the .po sources.

We commit the .mo files so a fresh clone serves Chinese without needing GNU gettext; this test
catches a .po edit that was not recompiled (fix: ``msgfmt -o django.mo django.po``).
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import polib
import pytest

from tests.support.live import LiveServer

LOCALE = Path(__file__).resolve().parents[2] / "src" / "nbopen" / "locale"


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_mo_matches_po(lang: str) -> None:
    po = polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))
    with open(LOCALE / lang / "LC_MESSAGES" / "django.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for entry in po.translated_entries():
        if entry.msgid_plural:
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            assert mo.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_every_chinese_string_is_translated() -> None:
    po = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert len(po) > 100
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_placeholders_survive_translation() -> None:
    po = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    pattern = re.compile(r"%\(\w+\)[sd]")
    for entry in po.translated_entries():
        text = entry.msgstr or entry.msgstr_plural.get(0, "")
        assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(text)), entry.msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_marked_string_has_a_chinese_translation(tmp_path: Path) -> None:
    """Extract the marked strings afresh (as ``makemessages`` would) from a copy of the code.

    A template or view that gained a ``{% trans %}`` without a catalog entry would otherwise
    show English on the Chinese UI without any test noticing.
    """
    copy = tmp_path / "nbopen"
    shutil.copytree(LOCALE.parent, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--locale",
            "zh_Hans",
            "--no-location",
            "--no-obsolete",
            "--settings",
            "nbopen.config.settings",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    po = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert sorted(e.msgid for e in po.untranslated_entries()) == []
    assert sorted(e.msgid for e in po.fuzzy_entries()) == []


def test_every_help_page_is_written_in_both_languages() -> None:
    """Help prose is one template per language (``web/docs/<page>.<zh|en>.html``): a page
    added in one language only would fall back to an error, not to the other language."""
    from nbopen.web.views.docs import PAGES

    docs = LOCALE.parent / "web" / "templates" / "web" / "docs"
    han = re.compile(r"[\u4e00-\u9fff]")
    for slug in ["index", *(s for s, _title, _summary in PAGES)]:
        zh = (docs / f"{slug}.zh.html").read_text(encoding="utf-8")
        en = (docs / f"{slug}.en.html").read_text(encoding="utf-8")
        # The Chinese page is written in Chinese; the English one only quotes Chinese examples.
        assert len(han.findall(zh)) > 5 * max(1, len(han.findall(en))), slug


# --- pages: what a Chinese reader is told when something goes wrong ------------------------
# Three or more English words in a row, outside the quotes that hold what the user typed.
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,.;:'’]+[A-Za-z]{2,}){2,}")
QUOTED = re.compile(r"“[^”]*”|'[^']*'|\"[^\"]*\"")


class _Messages(HTMLParser):
    """The text of the elements that carry messages: flashes, form errors, the viewer's."""

    SELECT = re.compile(r"\b(flash|error)\b")

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "img", "input", "meta", "link"}:
            return
        if self.depth:
            self.depth += 1
        elif self.SELECT.search(dict(attrs).get("class") or ""):
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in {"br", "img", "input", "meta", "link"}:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


def english_messages(html: str) -> list[str]:
    """Messages on a page that contain a run of English (quoted user input aside)."""
    parser = _Messages()
    parser.feed(html)
    shown = [" ".join(t.split()) for t in parser.texts if t.strip()]
    return [t for t in shown if ENGLISH_RUN.search(QUOTED.sub("", t))]


def _messages(html: str) -> list[str]:
    parser = _Messages()
    parser.feed(html)
    return [" ".join(t.split()) for t in parser.texts if t.strip()]


def test_the_detector_sees_english_and_lets_quoted_names_pass() -> None:
    assert english_messages('<div class="flash flash-error">Owner name is invalid</div>')
    assert english_messages('<span class="error">名称无效 (use letters, digits and more)</span>')
    assert not english_messages('<div class="flash">找不到用户“ghost user name”。</div>')


def test_error_paths_on_chinese_pages_read_chinese(live: LiveServer, tmp_path: Path) -> None:
    """Drive the errors a user meets first, on the default (Chinese) pages: a weak password
    (Django's validators), a bad owner name (the naming service), a bad ``where`` expression
    (the dataset filter parser) and a nonexistent collaborator."""
    from tests.datasets.support import create_dataset, push_files, wait_converted
    from tests.support.accounts import Browser, web_login

    seen: dict[str, list[str]] = {}
    visitor = Browser(live)
    visitor.get("/signup")
    weak = visitor.post(
        "/signup",
        {"username": "i18n-weak", "email": "i18n-weak@example.org", "password": "12345678"},
        "/signup",
    )
    seen["weak password"] = _messages(weak.body.decode())
    bad = visitor.post(
        "/signup",
        {"username": "bad..owner", "email": "i18n-bad@example.org", "password": "Str0ng-pass-1x"},
        "/signup",
    )
    seen["bad owner name"] = _messages(bad.body.decode())

    too_long = visitor.get("/search?" + urlencode({"q": "港口" * 200}))
    seen["search too long"] = _messages(too_long.body.decode())

    token = live.create_user("i18n-owner")
    owner = web_login(live, "i18n-owner")
    new_org = owner.post(
        "/organizations/new", {"name": "-org-", "kind": "enterprise"}, "/organizations/new"
    )
    seen["bad organization name"] = _messages(new_org.body.decode())

    create_dataset(live, token, "tiny")
    push_files(live, token, "i18n-owner", "tiny", tmp_path / "tiny", {"a.csv": b"id,city\n1,NB\n"})
    wait_converted(live, "i18n-owner/tiny", token)
    for where in ('"nope" = 1', "id >", "id = 1 AND"):
        page = owner.get("/datasets/i18n-owner/tiny/viewer?" + urlencode({"where": where}))
        seen[f"where {where}"] = _messages(page.body.decode())

    added = owner.post(
        "/datasets/i18n-owner/tiny/settings/collaborators",
        {"username": "ghost-i18n", "role": "read"},
        "/datasets/i18n-owner/tiny/settings",
    )
    assert added.status == 302
    seen["collaborator"] = _messages(owner.get("/datasets/i18n-owner/tiny/settings").body.decode())

    for case, texts in seen.items():
        assert texts, f"{case}: no message shown"
        english = [t for t in texts if ENGLISH_RUN.search(QUOTED.sub("", t))]
        assert english == [], f"{case}: {english}"
