"""Domain errors. Interfaces (HTTP, CLI) translate them; services only raise them.

A message is an English template with ``%(name)s`` placeholders and its parameters, kept apart:
``str(error)`` is the English sentence the API and the CLI show, and the web layer looks the
template up in the catalog (``web.messages.explain``) so a Chinese page reads Chinese. Services
mark templates with ``gettext_noop`` so ``makemessages`` (and the i18n test) finds them without
the service choosing a language: an error raised for an API client must not come out in the
language of whatever request happened to activate one.
"""

from __future__ import annotations


class Explained(Exception):
    """An error whose message is a translatable template plus parameters."""

    def __init__(self, template: str = "", /, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


class DomainError(Explained):
    """Base for errors a user can act on. ``str(error)`` is the message shown to them."""

    code = "Error"


class InvalidName(DomainError):
    code = "InvalidName"


class AlreadyExists(DomainError):
    code = "AlreadyExists"


class NotFound(DomainError):
    code = "NotFound"


class PermissionDenied(DomainError):
    code = "Forbidden"


class InvalidInput(DomainError):
    code = "BadRequest"
