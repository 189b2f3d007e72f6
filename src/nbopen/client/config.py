"""Where the client verbs find the endpoint and token: flags, then ``HF_ENDPOINT``/``HF_TOKEN``,
then what ``nbopen login`` stored in ``~/.config/nbopen/client.json`` (mode 0600)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nbopen" / "client.json"


def _stored() -> dict[str, str]:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _settings(args: argparse.Namespace) -> tuple[str, str | None]:
    stored = _stored()
    endpoint = (
        getattr(args, "endpoint", None)
        or os.environ.get("HF_ENDPOINT")
        or stored.get("endpoint")
        or "http://127.0.0.1:8000"
    ).rstrip("/")
    token = getattr(args, "token", None) or os.environ.get("HF_TOKEN") or stored.get("token")
    return endpoint, token


def _prepare_env(endpoint: str) -> None:
    """huggingface_hub reads these once, at import time: set them before importing it."""
    os.environ["HF_ENDPOINT"] = endpoint
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
