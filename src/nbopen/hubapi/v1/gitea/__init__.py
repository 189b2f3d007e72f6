"""Gitea's API v1, for the tools that speak it (SDKs, the ``tea`` CLI, CI systems).

Paths, JSON field names, pagination (``page``/``limit``, ``Link``, ``X-Total-Count``) and
error bodies (``{"message", "url"}``) are Gitea's; every decision is still
``nbopen.access.policy``'s and every write the services'. :mod:`.shapes` turns models into
Gitea's JSON, :mod:`.common` holds the request plumbing.
"""
