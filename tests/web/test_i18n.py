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
from pathlib import Path

import polib
import pytest

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
