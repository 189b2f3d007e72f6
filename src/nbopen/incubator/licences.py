"""Which licences count as open source: OSI-approved SPDX identifiers, and how a LICENSE file's
text names one when the card does not (the card's ``license:`` wins)."""

from __future__ import annotations

# OSI-approved licences, by SPDX id (lower case), the ones projects here actually use.
OSI_APPROVED = frozenset(
    {
        "apache-2.0",
        "mit",
        "bsd-2-clause",
        "bsd-3-clause",
        "isc",
        "mpl-2.0",
        "lgpl-2.1",
        "lgpl-2.1-only",
        "lgpl-2.1-or-later",
        "lgpl-3.0",
        "lgpl-3.0-only",
        "lgpl-3.0-or-later",
        "gpl-2.0",
        "gpl-2.0-only",
        "gpl-2.0-or-later",
        "gpl-3.0",
        "gpl-3.0-only",
        "gpl-3.0-or-later",
        "agpl-3.0",
        "agpl-3.0-only",
        "agpl-3.0-or-later",
        "epl-2.0",
        "mulanpsl-2.0",
        "eupl-1.2",
        "zlib",
        "bsl-1.0",
        "upl-1.0",
        "0bsd",
        "artistic-2.0",
        "osl-3.0",
        "cddl-1.0",
        "unlicense",
    }
)

LICENCE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING", "COPYING.md")

# Phrases that identify a licence text (first match wins; checked on the lower-cased text).
_SIGNATURES = (
    ("apache license", "version 2.0", "apache-2.0"),
    ("mulan permissive software license", "version 2", "mulanpsl-2.0"),
    ("木兰宽松许可证", "第2版", "mulanpsl-2.0"),
    ("mit license", "", "mit"),
    ("permission is hereby granted, free of charge", "", "mit"),
    ("gnu affero general public license", "version 3", "agpl-3.0"),
    ("gnu lesser general public license", "version 3", "lgpl-3.0"),
    ("gnu general public license", "version 3", "gpl-3.0"),
    ("gnu general public license", "version 2", "gpl-2.0"),
    ("mozilla public license", "2.0", "mpl-2.0"),
    ("redistribution and use in source and binary forms", "neither the name", "bsd-3-clause"),
    ("redistribution and use in source and binary forms", "", "bsd-2-clause"),
)


def is_osi_approved(spdx: str) -> bool:
    return spdx.strip().lower() in OSI_APPROVED


def identify(text: str) -> str:
    """The SPDX id a licence text reads as, or "" when it is not recognised."""
    lowered = text[:20000].lower()
    for first, second, spdx in _SIGNATURES:
        if first in lowered and (not second or second in lowered):
            return spdx
    return ""
