"""The scanners themselves, as pure functions over bytes and files (no Django, no database).

Pickles are read with picklescan, which walks the opcode stream (``pickletools``) and lists
the globals a pickle would import, without ever unpickling it; PyTorch zip archives and
``.npy`` object arrays are opened to reach the pickles inside. Secrets are found with
detect-secrets' key-specific plugins, line by line: its entropy and keyword plugins flag
every hash in a ``config.json``, and a gate that refuses pushes cannot afford false alarms;
its file transformers (which parse YAML and INI) are not used either.

:func:`scan_pickle` runs only in the limited child (:mod:`.child`); the secret scan runs in
the scan job, the commit gate and the git hook, over text blobs of at most 1 MiB.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# picklescan's own extension sets (it picks the reader by extension), plus .npz (a zip of
# .npy files). Archives in general (.zip, .7z) are left out: they are usually datasets.
PICKLE_SUFFIXES = frozenset(
    {".pkl", ".pickle", ".joblib", ".dat", ".data", ".bin", ".pt", ".pth", ".ckpt"}
    | {".npy", ".npz"}
)
SECRET_MAX_BYTES = 1 << 20  # text files larger than this are not scanned for secrets
LINE_MAX = 4096  # minified or generated lines hold no hand-pasted keys; they slow the regexes

# detect-secrets plugins that match a vendor's key format (low false-positive rate).
SECRET_PLUGINS = (
    "ArtifactoryDetector",
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
SAFETY_ORDER = {"innocuous": 0, "suspicious": 1, "dangerous": 2}


@dataclass(frozen=True)
class SecretHit:
    """Where a secret is and what kind it is: never the secret itself."""

    line: int
    type: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "type": self.type}


def is_pickle_name(path: str) -> bool:
    return posixpath.splitext(path.lower())[1] in PICKLE_SUFFIXES


def is_text(data: bytes) -> bool:
    return b"\0" not in data[:8192]


def scan_pickle(local: Path, name: str) -> dict[str, Any] | None:
    """The Hub's ``pickleImportScan`` for the file at ``local`` named ``name`` in the
    repository, or None when it holds no pickle (a raw ``.bin`` of weights, say)."""
    from picklescan.scanner import scan_bytes

    ext = posixpath.splitext(name.lower())[1]
    with open(local, "rb") as fh:
        result = scan_bytes(fh, name, ext)
    imports = sorted(
        {(g.module, g.name, g.safety.value) for g in result.globals},
        key=lambda item: (-SAFETY_ORDER.get(item[2], 1), item[0], item[1]),
    )
    if not imports:
        if result.scan_err:
            return {"highestSafetyLevel": "suspicious", "imports": [], "error": True}
        return None
    highest = max((safety for _, _, safety in imports), key=lambda s: SAFETY_ORDER.get(s, 1))
    return {
        "highestSafetyLevel": highest,
        "imports": [{"module": m, "name": n, "safety": s} for m, n, s in imports],
    }


def _plugins() -> dict[str, Any]:
    return {"plugins_used": [{"name": name} for name in SECRET_PLUGINS]}


def scan_secrets(data: bytes) -> list[SecretHit]:
    """Secrets in a text file's bytes (binary or oversized content: none looked for)."""
    if len(data) > SECRET_MAX_BYTES or not is_text(data):
        return []
    return scan_lines(data.decode("utf-8", errors="replace").splitlines())


def scan_lines(lines: Iterable[str]) -> list[SecretHit]:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    hits: list[SecretHit] = []
    with transient_settings(_plugins()):
        for number, line in enumerate(lines, start=1):
            if len(line) > LINE_MAX or not line.strip():
                continue
            seen = set()
            for secret in scan_line(line):
                if secret.type not in seen:
                    seen.add(secret.type)
                    hits.append(SecretHit(number, secret.type))
    return hits


def describe_hits(path: str, hits: list[SecretHit], *, limit: int = 5) -> str:
    """``path:line (kind)``, for messages that must name the place but never the secret."""
    shown = ", ".join(f"{path}:{h.line} ({h.type})" for h in hits[:limit])
    more = len(hits) - limit
    return shown + (f" and {more} more" if more > 0 else "")
