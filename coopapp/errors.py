"""Domain errors and the handlers that turn them into pages or JSON."""

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .extensions import db


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


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The API's one error shape."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _back() -> str:
    """Where to send the browser after a refused action: the same-site page it came from."""
    from .web.common import back_to

    return back_to("/")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api, pages elsewhere; every error rolls the session back."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        db.session.rollback()
        if _wants_json():
            return jsonify(error_body(err.code, err.message, err.fields)), err.status
        if err.status in (403, 404):
            return render_template("errors/error.html", status=err.status, message=err.message), err.status
        flash(err.message, "error")
        return redirect(_back())

    @app.errorhandler(StaleDataError)
    def _stale(_err):
        db.session.rollback()
        message = _("该记录已被他人修改，请刷新后重试。")
        if _wants_json():
            return jsonify(error_body("conflict", message)), 409
        flash(message, "error")
        return redirect(_back())

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        db.session.rollback()
        if _wants_json():
            return jsonify(error_body(err.name.lower().replace(" ", "_"), err.description)), err.code
        return render_template("errors/error.html", status=err.code, message=err.description), err.code

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        message = _("服务器内部错误，操作未保存。")
        if _wants_json():
            return jsonify(error_body("server_error", message)), 500
        return render_template("errors/error.html", status=500, message=message), 500
