"""The ASGI entry point: streaming git/LFS transfers in raw ASGI, everything else in Django."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

from nbopen.hubapi.router import build_router  # noqa: E402

application: Any = build_router(django_app)
