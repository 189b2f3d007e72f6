"""The one rule for repository paths and ref names, whatever channel a write comes from.

Hub commits, browser uploads, the demo loader and the Parquet ref all reach
:func:`clean_path` through :mod:`nbopen.repos.writes.commits`; branch and tag names from the
Hub routes, the web UI and git pushes (the shared ``pre-receive`` hook) follow
:func:`valid_ref_name`. The path rules are git's own (``verify_path`` and fsck's
``hasDotgit``): a ``.git`` look-alike is refused whatever case, trailing dots or spaces, NTFS
short name (``git~1``) or HFS+/NTFS-ignorable code points (U+200C …) it hides behind, because a
checkout on macOS or Windows would write into the clone's own ``.git``. Backslashes, drive
letters and control characters are refused too: they become separators or inject lines
(``.gitattributes``) elsewhere.
"""

from __future__ import annotations

import re
import subprocess

MAX_PATH_BYTES = 4096
MAX_COMPONENT_BYTES = 255
MAX_REF_NAME = 200

# Code points HFS+ ignores when comparing names (git's utf8.c ``is_hfs_dotgit``) and that
# NTFS treats alike: a ".g\u200cit" directory is ".git" on a Mac.
_IGNORABLE = frozenset(
    [0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF]
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"[A-Za-z]:")


class PathRefused(ValueError):
    """Why a path was refused (the message is shown to the client)."""


def _dotgit_lookalike(component: str) -> bool:
    """Would git (``core.protectHFS``/``protectNTFS``) treat ``component`` as ``.git``?"""
    name = "".join(ch for ch in component if ord(ch) not in _IGNORABLE).lower()
    name = name.split(":", 1)[0].rstrip(" .")  # NTFS: "git::$INDEX_ALLOCATION", ".git. ."
    return name in {".git", "git~1"}


def check_path(path: str) -> str:
    """The normalised path (outer slashes stripped); :class:`PathRefused` with the reason."""
    if not isinstance(path, str):
        raise PathRefused("path must be a string")
    if _CONTROL.search(path):
        raise PathRefused("path may not contain control characters")
    if "\\" in path:
        raise PathRefused("path may not contain backslashes")
    path = path.strip("/")
    if not path:
        raise PathRefused("path is empty")
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise PathRefused(f"path is longer than {MAX_PATH_BYTES} bytes")
    parts = path.split("/")
    if _DRIVE.match(parts[0]):
        raise PathRefused("path may not start with a drive letter")
    for part in parts:
        if part == "":
            raise PathRefused("path may not contain empty segments ('//')")
        if part in {".", ".."}:
            raise PathRefused("path may not contain '.' or '..' segments")
        if _dotgit_lookalike(part):
            raise PathRefused("path may not contain a '.git' segment")
        if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
            raise PathRefused(f"path segment is longer than {MAX_COMPONENT_BYTES} bytes")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise PathRefused("path is not valid UTF-8") from None
    return path


def ref_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a branch or tag name, or None (git's ``check-ref-format``
    rules for ``refs/heads/NAME``, no leading ``-``, not ``HEAD`` or ``@``, a length cap)."""
    if not isinstance(name, str) or not name:
        return "name is required"
    if len(name) > MAX_REF_NAME:
        return f"name is longer than {MAX_REF_NAME} characters"
    if name in {"HEAD", "@"}:  # both mean the current branch in a revision
        return f"{name!r} is not a valid branch or tag name"
    if name.startswith(("-", "refs/")):
        return "name may not start with '-' or 'refs/'"
    if _CONTROL.search(name):
        return "name may not contain control characters"
    proc = subprocess.run(
        ["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True, check=False
    )
    if proc.returncode != 0:
        return f"{name!r} is not a valid git reference name"
    return None


def valid_ref_name(name: object) -> bool:
    return ref_name_problem(name) is None
