"""Domain errors and the one error shape; the handlers that turn them into pages or JSON live in web.errors."""


class DomainError(Exception):
    """A rule of the domain was broken; carries an HTTP status and field messages."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Invalid(DomainError):
    status, code = 422, "invalid"


class TooLarge(Invalid):
    """An upload above its size limit."""

    status, code = 413, "too_large"


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class LoginThrottled(Unauthorized):
    """Too many failed logins: wait `retry_after` seconds (429 in the API)."""

    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class PasswordChangeRequired(Forbidden):
    """A user holding a one-time password must choose their own before anything else."""

    code = "password_change_required"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The API's one error shape."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}
