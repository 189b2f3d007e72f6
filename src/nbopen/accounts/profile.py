"""A user's own settings: profile, avatar, email and password, preferences, pinned repositories.

Every front door calls these (the web's /settings today, an API later), so the checks live
here: an avatar is only a PNG, JPEG, GIF or WebP image recognised by its first bytes (never
SVG, which can carry script), a changed email or password needs the current password, and a
time zone must be one the IANA database knows.
"""

from __future__ import annotations

import hashlib
import tempfile
import zoneinfo
from functools import cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext_noop

from nbopen.accounts.models import User
from nbopen.collab.contributions import pinnable_repositories
from nbopen.config.env import CONFIG
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput
from nbopen.core.storage import get_storage

MAX_AVATAR_BYTES = 1 << 20
MAX_PINNED = 6
_TEXT_LIMITS = {"display_name": 128, "affiliation": 128, "location": 128, "bio": 1000}
# Magic numbers of the raster formats browsers show in <img>; anything else is refused.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_MEDIA_TYPES = frozenset({t for _m, t in _SIGNATURES} | {"image/webp"})


def image_type(data: bytes) -> str | None:
    """The media type of a raster image recognised by its signature, else None.

    The type is sniffed, never taken from the upload's name or header, and the avatar is
    served with exactly this type and ``nosniff``: an HTML or SVG file renamed ``.png`` is
    refused here and could not run as a page anyway.
    """
    for magic, media_type in _SIGNATURES:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def profile_update(
    *,
    user: User,
    display_name: str,
    bio: str,
    affiliation: str,
    location: str,
    website: str,
    public_email: str,
) -> User:
    """Save the public profile fields (all optional)."""
    values = {
        "display_name": display_name.strip(),
        "bio": bio.strip(),
        "affiliation": affiliation.strip(),
        "location": location.strip(),
    }
    for field, limit in _TEXT_LIMITS.items():
        if len(values[field]) > limit:
            raise InvalidInput(
                gettext_noop("%(field)s is longer than %(limit)d characters"),
                field=field,
                limit=limit,
            )
    website = website.strip()
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            raise InvalidInput(
                gettext_noop("The website must be an http:// or https:// address")
            ) from None
    public_email = public_email.strip()
    if public_email:
        try:
            validate_email(public_email)
        except ValidationError:
            raise InvalidInput(
                gettext_noop("Invalid email address: %(email)s"), email=public_email
            ) from None
    for field, value in values.items():
        setattr(user, field, value)
    user.website = website
    user.public_email = public_email
    user.save(update_fields=[*values, "website", "public_email"])
    events.record("user.profile", actor=user)
    return user


def avatar_set(*, user: User, data: bytes) -> User:
    """Store ``data`` as the user's avatar after checking its size and type."""
    if len(data) > MAX_AVATAR_BYTES:
        raise InvalidInput(
            gettext_noop("The avatar is larger than %(limit)d KiB"), limit=MAX_AVATAR_BYTES >> 10
        )
    media_type = image_type(data)
    if media_type is None:
        raise InvalidInput(gettext_noop("The avatar must be a PNG, JPEG, GIF or WebP image"))
    oid = hashlib.sha256(data).hexdigest()
    storage = get_storage()
    if storage.size(oid) is None:
        CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=CONFIG.tmp_dir, delete=False) as fh:
            fh.write(data)
        storage.put_verified(oid, Path(fh.name))
    user.avatar_oid, user.avatar_type = oid, media_type
    user.save(update_fields=["avatar_oid", "avatar_type"])
    events.record("user.avatar", actor=user)
    return user


def avatar_clear(*, user: User) -> User:
    """Back to the letter avatar (the object stays: another user may share the same bytes)."""
    user.avatar_oid, user.avatar_type = "", ""
    user.save(update_fields=["avatar_oid", "avatar_type"])
    return user


def avatar_open(user: User) -> tuple[BinaryIO, str] | None:
    """The avatar's bytes and media type, or None when the user has none."""
    if not user.avatar_oid or user.avatar_type not in _MEDIA_TYPES:
        return None
    try:
        return get_storage().open(user.avatar_oid), user.avatar_type
    except FileNotFoundError:
        return None


def _check_current(user: User, current_password: str) -> None:
    if not user.check_password(current_password):
        raise InvalidInput(gettext_noop("The current password is wrong"))


def password_change(*, user: User, current_password: str, new_password: str) -> User:
    """Change the password (hashed with the configured Argon2 hasher); the current one is
    required so a session left open cannot lock its owner out."""
    _check_current(user, current_password)
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        # Django's validators translate their own messages into the active language.
        raise InvalidInput(" ".join(exc.messages)) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    events.record("user.password", actor=user)
    return user


@transaction.atomic
def email_change(*, user: User, email: str, current_password: str) -> User:
    """Change the sign-in email (unique, like at sign-up); needs the current password."""
    _check_current(user, current_password)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(gettext_noop("Invalid email address: %(email)s"), email=email) from None
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise AlreadyExists(gettext_noop("The email %(email)s is already registered"), email=email)
    user.email = email
    user.save(update_fields=["email"])
    events.record("user.email", actor=user)
    return user


@cache
def time_zones() -> list[str]:
    """The IANA time zones, sorted (for the preferences form)."""
    return sorted(zoneinfo.available_timezones())


def preferences_set(*, user: User, language: str, time_zone: str) -> User:
    """Language ("" follows the browser) and time zone ("" is the site's) for every page."""
    if language and language not in dict(settings.LANGUAGES):
        raise InvalidInput(gettext_noop("Unknown language: %(value)s"), value=language)
    if time_zone and time_zone not in time_zones():
        raise InvalidInput(gettext_noop("Unknown time zone: %(value)s"), value=time_zone)
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


def pins_set(*, user: User, repository_ids: list[int]) -> User:
    """Choose up to six repositories for the profile, among the user's own and the
    organizations' ones they work on (``collab.contributions.pinnable_repositories``)."""
    ids = list(dict.fromkeys(repository_ids))
    if len(ids) > MAX_PINNED:
        raise InvalidInput(gettext_noop("Pin at most %(limit)d repositories"), limit=MAX_PINNED)
    allowed = set(pinnable_repositories(user.pk).filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - allowed:
        raise InvalidInput(
            gettext_noop("Only your own or your organizations' repositories can be pinned")
        )
    user.pinned_repository_ids = ids
    user.save(update_fields=["pinned_repository_ids"])
    return user
