"""Domain errors. Every interface maps these once (API: RFC 7807 problem JSON; views: messages).

A message is an English template, ``%(name)s`` placeholders filled from ``params``. ``.message`` (and the
API's ``detail``) is the English text; ``localized()`` translates the template in the active language at
display time and shows choice codes (``Code``) by their translated labels. Field errors are plain English
msgids, or ``Message`` for those with parameters; ``localized_errors()`` translates them the same way.
Templates are marked in the raising code with ``gettext_noop`` (or ``pgettext_lazy``) so that makemessages
extracts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

# kind -> {code: label}: the translated labels of choice codes (registered by the apps that define them).
_LABELS: dict[str, Mapping] = {}


def register_labels(kind: str, labels) -> None:
    """Register the labels of a kind of code: a ``TextChoices`` class or a mapping of code to label."""
    _LABELS[kind] = dict(labels.choices) if hasattr(labels, "choices") else dict(labels)


class Code:
    """A choice code in a message: the code itself (or ``english``) in English, its label when localized."""

    __slots__ = ("kind", "value", "english")

    def __init__(self, kind: str, value, english: str | None = None):
        self.kind, self.value, self.english = kind, value, english

    def __str__(self) -> str:
        return self.english if self.english is not None else str(self.value)

    def __repr__(self) -> str:
        return f"Code({self.kind!r}, {self.value!r})"

    def localized(self) -> str:
        label = _LABELS.get(self.kind, {}).get(self.value)
        return str(label) if label is not None else str(self)


def _english(value):
    return str(value) if isinstance(value, Code) else value


def _localized(value):
    if isinstance(value, Code | Message):
        return value.localized()
    return value


class Message(str):
    """An English message (the ``str`` itself) that keeps its template and parameters for ``localized()``."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any] | None = None, /, **kwargs):
        params = {**(params or {}), **kwargs}
        text = template % {k: _english(v) for k, v in params.items()} if params else template
        obj = super().__new__(cls, text)
        obj.template, obj.params = str(template), params
        return obj

    def __reduce__(self):
        return (Message, (self.template, self.params))

    def localized(self) -> str:
        """The message in the active language (the template's translation, labels for codes)."""
        text = gettext(self.template) if self.template else self.template
        if not self.params:
            return text
        return text % {k: _localized(v) for k, v in self.params.items()}


def localize(message: str) -> str:
    """Translate one message or field error: a ``Message``, or a plain English msgid."""
    if isinstance(message, Message):
        return message.localized()
    return gettext(message) if message else message


class DomainError(Exception):
    """Base of the errors that actions and access functions raise on purpose."""

    status = 400
    code = "domain_error"
    title = "Domain error"

    def __init__(
        self,
        message: str = "",
        *,
        errors: dict[str, list[str]] | None = None,
        params: Mapping[str, Any] | None = None,
        **extra,
    ):
        message = message or self.title
        if params or not isinstance(message, Message):
            message = Message(message, params)
        super().__init__(str(message))
        self.message = message
        self.errors = errors or {}
        self.extra = extra

    @property
    def template(self) -> str:
        return self.message.template

    @property
    def params(self) -> dict[str, Any]:
        return self.message.params

    def localized(self) -> str:
        """The message in the active language; ``.message`` stays English (the API's ``detail``)."""
        return self.message.localized()

    def localized_errors(self) -> dict[str, list[str]]:
        """The field errors in the active language."""
        return {field: [localize(e) for e in errs] for field, errs in self.errors.items()}


class NotFound(DomainError):
    """The thing does not exist, or the actor may not see it (the two are never told apart)."""

    status = 404
    code = "not_found"
    title = "Not found"


class NotPermitted(DomainError):
    """The actor sees the thing but may not do this to it."""

    status = 403
    code = "not_permitted"
    title = "Not permitted"


class InvalidTransition(DomainError):
    """The move is impossible from the current state."""

    status = 409
    code = "invalid_transition"
    title = "Invalid transition"


class Conflict(DomainError):
    """The move collides with a concurrent change or a uniqueness rule."""

    status = 409
    code = "conflict"
    title = "Conflict"


class Invalid(DomainError):
    """The input is malformed; ``errors`` names each field."""

    status = 422
    code = "invalid"
    title = "Invalid input"
