"""One error hierarchy; `web.problems` maps it to HTTP and `cli` to exit codes, each in one place."""

from __future__ import annotations


class WierdeError(Exception):
    """Base of every error a user should see as a clear message rather than a traceback."""

    status = 500
    title = "Internal error"
    exit_code = 1

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(WierdeError):
    status = 400
    title = "Invalid input"
    exit_code = 2


class NotFound(WierdeError):
    status = 404
    title = "Not found"
    exit_code = 3


class Forbidden(WierdeError):
    status = 403
    title = "Forbidden"
    exit_code = 4


class Conflict(WierdeError):
    status = 409
    title = "Conflict"
    exit_code = 5


class Unacceptable(WierdeError):
    status = 406
    title = "Not acceptable"
    exit_code = 2


class TooLarge(WierdeError):
    status = 413
    title = "Content too large"
    exit_code = 2


class TooManyRequests(WierdeError):
    status = 429
    title = "Too many requests"
    exit_code = 6
