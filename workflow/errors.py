"""Domain errors. Each carries a Vietnamese message for the user and the HTTP
status the API answers with. Services raise them; views turn them into a flash
message or ``{"error": ...}``; nothing is changed when one is raised."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the application explains to its user."""

    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    """Bad input: a missing or malformed field."""

    status = 400


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    """The user is known but may not do this."""

    status = 403


class Conflict(DomainError):
    """The request is well formed but clashes with the current state."""

    status = 409


class TransitionNotAllowed(Conflict):
    """The event cannot be fired from the task's current state."""


class StaleVersion(Conflict):
    """Someone else changed the object since the client read it."""


class Unprocessable(DomainError):
    """Well-formed input that is not what was expected (text that is not a dispatch, an unreadable file)."""

    status = 422


class PayloadTooLarge(DomainError):
    status = 413


class UnsupportedType(DomainError):
    status = 415
