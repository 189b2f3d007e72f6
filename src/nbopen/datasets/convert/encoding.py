"""Text encoding and delimiter detection for CSV/TSV/text uploads.

Chinese open data often arrives as GBK (Excel's default "CSV" export on a Chinese Windows),
sometimes as UTF-8 with a BOM. We look at the first megabyte: BOMs decide, valid UTF-8 is
UTF-8, otherwise charset-normalizer guesses and every GB-family answer becomes GB18030 (the
superset, so a GBK file with a few rare characters still decodes).
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

SAMPLE_BYTES = 1 << 20
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936", "euc_cn"}


def read_sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def _is_utf8(sample: bytes, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample boundary is not evidence of anything.
        return (
            not complete
            and exc.start >= len(sample) - 3
            and exc.reason.startswith("unexpected end")
        )
    return True


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """A Python codec name for ``sample`` (the head of the file; ``complete`` if it is all)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf8(sample, complete):
        return "utf-8"
    # Chinese data first: valid GB18030 wins (small samples fool statistical detectors).
    try:
        sample.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(sample) - 4:
            return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    name = (best.encoding if best is not None else "").lower().replace("-", "")
    if not name or name in _GB_FAMILY or name.startswith("gb"):
        return "gb18030"
    return codecs.lookup(best.encoding if best is not None else "gb18030").name


def sniff_delimiter(text: str, default: str = ",") -> str:
    """The delimiter of a CSV sample among , ; tab and |."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return default
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else default
