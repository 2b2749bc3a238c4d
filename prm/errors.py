"""One exception type for domain rules; the API maps it to HTTP in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A request that is well-formed but not allowed by the rules (409 by default)."""

    status_code = 409

    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class InvalidInput(DomainError):
    status_code = 400


class PreconditionFailed(DomainError):
    """The record changed since the caller read it (a stale ``If-Match`` or form)."""

    status_code = 412

    def __init__(self, message: str, *, code: str = "changed_meanwhile"):
        super().__init__(message, code=code)
