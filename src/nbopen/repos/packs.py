"""What every transport that runs ``git upload-pack`` adds to it: the pack cache.

Smart HTTP (``hubapi/githttp/smart.py``) uses it today, the SSH transport the same way:
``["git", *upload_pack_options(), "upload-pack", …]``. The mechanism is in
``repos/git/pack_cache.py`` (the hook git runs, without Django); this module only turns the
deployment's settings (NBOPEN_PACK_CACHE_MB, NBOPEN_PACK_CACHE_MAX_AGE,
NBOPEN_PACK_CONCURRENCY) into git options.
"""

from __future__ import annotations

from nbopen.config.env import CONFIG, Config
from nbopen.repos.git import pack_cache


def pack_cache_settings(config: Config = CONFIG) -> pack_cache.Settings:
    return pack_cache.Settings(
        directory=config.pack_cache_dir,
        max_bytes=max(config.pack_cache_mb, 0) * 1024 * 1024,
        max_age=float(config.pack_cache_max_age),
        concurrency=max(config.pack_concurrency, 0),
    )


def upload_pack_options(config: Config = CONFIG) -> list[str]:
    """git global options (``-c uploadpack.packObjectsHook=…``) to put before
    ``upload-pack``; given on the command line because git ignores the hook in a
    repository's own configuration."""
    return pack_cache.git_options(pack_cache_settings(config))
