"""Domain errors. Every interface maps these once (API: RFC 7807 problem JSON; views: messages)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors that actions and access functions raise on purpose."""

    status = 400
    code = "domain_error"
    title = "Domain error"

    def __init__(self, message: str = "", *, errors: dict[str, list[str]] | None = None, **extra):
        super().__init__(message or self.title)
        self.message = message or self.title
        self.errors = errors or {}
        self.extra = extra


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
