"""Django settings, derived entirely from :mod:`nbopen.config.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from nbopen.config.env import CONFIG

NBOPEN = CONFIG
BASE_URL = CONFIG.public_url

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "nbopen.core",
    "nbopen.accounts",
    "nbopen.orgs",
    "nbopen.repos",
    "nbopen.datasets",
    "nbopen.search",
    "nbopen.collab",
    "nbopen.webhooks",
    "nbopen.notifications",
    "nbopen.audit",
    "nbopen.hubapi",
    "nbopen.xet",
    "nbopen.analytics",
    "nbopen.libraries",
    "nbopen.scanning",
    "nbopen.mirrors",
    "nbopen.challenges",
    "nbopen.programs",
    "nbopen.incubator",
    "nbopen.standards",
    "nbopen.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "nbopen.hubapi.budget.ApiBudgetMiddleware",
    "nbopen.web.middleware.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "nbopen.web.security.SecurityHeadersMiddleware",
    "nbopen.hubapi.request_id.RequestIdMiddleware",
    "nbopen.web.middleware.WebErrorsMiddleware",
]

ROOT_URLCONF = "nbopen.config.urls"
ASGI_APPLICATION = "nbopen.config.asgi.application"
# The Hub and git clients never add trailing slashes; a redirect would break them.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nbopen.web.context.notifications",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers proceed during a write; IMMEDIATE transactions take the write lock
        # up front so concurrent writers queue instead of failing with "database is locked".
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        db["TEST"] = {"NAME": None}
    return db


# Rate-limit counters must be shared by every granian worker: a file cache in the data dir on
# one host, Redis (NBOPEN_REDIS_URL) when several hosts serve the same site. The default
# timeout outlasts every counting window: the file backend's incr() re-sets a key with it.
_CACHE_TIMEOUT = max(CONFIG.api_budget_window, CONFIG.auth_window, CONFIG.auth_lockout) + 1
CACHES: dict[str, dict[str, Any]]
if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "TIMEOUT": _CACHE_TIMEOUT,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(CONFIG.data_dir / "cache"),
            "TIMEOUT": _CACHE_TIMEOUT,
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

DATABASES = {"default": _database(CONFIG.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

LOCALE_PATHS = [str(Path(__file__).resolve().parent.parent / "locale")]
LANGUAGE_COOKIE_NAME = "nbopen_lang"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# Static files are served by the web app itself from the installed package (no CDN, no
# collectstatic step): see nbopen.web.views.static.
STATIC_URL = "/static/"
STATIC_ROOT = str(CONFIG.data_dir / "static")

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"

# Request bodies that are parsed in memory stay small; git and LFS bodies stream elsewhere.
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_json_body
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_TEMP_DIR = str(CONFIG.tmp_dir)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "nbopen_session"
SESSION_COOKIE_SECURE = CONFIG.https
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = [CONFIG.public_url]
CSRF_FAILURE_VIEW = "nbopen.web.views.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"nbopen": {"level": "INFO"}},
}
