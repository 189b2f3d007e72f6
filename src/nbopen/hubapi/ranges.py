"""HTTP Range parsing (one range; what download clients and resumers send)."""

from __future__ import annotations

import re

_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (start, end) for a single satisfiable range, None to send the whole body.

    Multi-range and malformed headers are ignored (whole body), as RFC 9110 allows;
    an unsatisfiable range raises :class:`RangeNotSatisfiable` (416).
    """
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m:
        return None
    first, last = m.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    if start >= size:
        # Checked first: "bytes=N-" with N ≥ size is unsatisfiable, not "whole body".
        raise RangeNotSatisfiable(header)
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)
