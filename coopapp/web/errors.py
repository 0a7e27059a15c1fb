"""The Flask error handlers: a domain error, an HTTP error or a lost database becomes a page or the API's JSON shape."""

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from coopapp.errors import DomainError, error_body
from coopapp.extensions import db, login_manager
from coopapp.web import form_stash
from coopapp.web.common import back_to


def _back() -> str:
    """Where to send the browser after a refused action: the same-site page it came from."""
    return back_to("/")


# What a page shown once, after its form was posted, held that a reload cannot bring back.
LOST_ON_RELOAD = {
    "users.confirm_upload": _l("新用户的一次性密码只显示一次：没有记下的，请在用户列表中为该用户重置密码。"),
}


def _http(err: HTTPException):
    _rollback()
    if err.code == 405 and request.method in ("GET", "HEAD") and not _wants_json():
        return _button_address_opened()
    message = http_message(err)
    # Werkzeug's own headers but the body's type (405's Allow, for one)
    headers = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        return jsonify(error_body(err.name.lower().replace(" ", "_"), message)), err.code, headers
    return render_template("errors/error.html", status=err.code, message=message), err.code, headers


def _button_address_opened():
    """A button's address opened as a page (a reload of what its form returned, a restored tab, a
    copied link): the page it sits on, saying so, instead of a 405."""
    flash(_("这是一个按钮的地址，不能直接打开（例如刷新了提交后的页面）：已打开它所在的页面。"), "warning")
    lost = LOST_ON_RELOAD.get(_posted_endpoint(request.path))
    if lost is not None:
        flash(lost, "warning")
    return redirect(page_above(request.path) or "/", 303)


def _posted_endpoint(path: str) -> str | None:
    try:
        return current_app.url_map.bind("").match(path, method="POST")[0]
    except HTTPException:
        return None


def page_above(path: str) -> str | None:
    """The nearest page up `path` that opens with GET (/entries/5/approve → /entries/5), else the
    home page: where a button's address, opened as a page, leads."""
    adapter = current_app.url_map.bind("")
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        try:
            adapter.match(candidate, method="GET")
        except RequestRedirect as moved:  # (to the slash-ended form of the address: that page exists)
            return urlsplit(moved.new_url).path
        except HTTPException:
            continue
        return candidate
    return None


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _rollback() -> None:
    """Roll the session back; with the database gone the rollback itself may fail, and that is fine."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already lost; nothing was committed
        db.session.close()


def _has_nul() -> bool:
    """A NUL character in the path, a query argument or a form field (PostgreSQL text cannot hold one)."""
    pairs = list(request.args.items(multi=True))
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not _wants_json():  # the API reads JSON itself
        pairs += request.form.items(multi=True)
    return "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in pairs)


# Werkzeug's own descriptions of HTTP errors are English: the pages and the API say them in the
# user's language instead.
HTTP_MESSAGES = {
    400: _l("请求无效，请返回上一页重试。"),
    404: _l("没有这个页面：请检查网址，或从首页重新进入。"),
    405: _l("不能用这种方式打开这个网址。"),
}


def http_message(err: HTTPException) -> str:
    """What an HTTP error says: our own text when we gave one, else a message in the user's language."""
    if isinstance(err, CSRFError):  # the form's token: e.g. a page left open after logging out elsewhere
        return _("页面已失效：请刷新页面后再提交一次（如果已在别的窗口退出登录，请先重新登录）。")
    if "description" in vars(err):  # raised with a text of its own: ours (Werkzeug's own are class defaults)
        return err.description
    if err.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        if limit and (request.content_length or 0) > limit:
            return _("提交的内容太大（最多 %(mb)s MB）。", mb=limit // (1024 * 1024))
        return _("提交的内容太大或太多。")  # a form field or part count over Werkzeug's own limits
    message = HTTP_MESSAGES.get(err.code)
    return str(message) if message is not None else _("请求无法完成（%(code)s）。", code=err.code)


def _refused_token(err: CSRFError):
    """A form's CSRF token no longer holds. When the form outlived its session (a login-only page,
    nobody logged in now) it is kept and the user logs in again, as after a valid token; otherwise
    the error page says to reload. (The API is exempt from CSRF: this is always a page.)"""
    _rollback()
    if form_stash.csrf_failure_of_a_logged_out_form(current_user.is_authenticated):
        return form_stash.login_again()
    return render_template("errors/error.html", status=400, message=http_message(err)), 400


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api, pages elsewhere; every error rolls the session back."""

    @app.before_request
    def _refuse_nul():
        """400 for a NUL character anywhere a page or the API reads text from (JSON bodies are
        checked by the API itself), before anything reaches the database."""
        if _has_nul():
            message = _("请求中含有不允许的空字符（NUL）。")
            if _wants_json():
                return jsonify(error_body("bad_request", message)), 400
            return render_template("errors/error.html", status=400, message=message), 400
        return None

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(err: Exception):
        """The database is unreachable (down, refused, locked, timed out): 503, nothing half-written.

        The log names the error's class and the driver's first line only: a statement's
        parameters could hold a household's ID number or phone.
        """
        _rollback()
        reason = str(getattr(err, "orig", None) or type(err).__name__).splitlines()[0][:200]
        app.logger.error("database unavailable (%s): %s", type(err).__name__, reason)
        message = _("数据库暂时无法连接，本次操作没有保存。请稍后再试；如一直如此，请联系系统管理员。")
        headers = {"Retry-After": "30"}
        if _wants_json():
            return jsonify(error_body("unavailable", message)), 503, headers
        # Rendering asks Flask-Login for the user, which would ask the database again: nobody, for now.
        g._login_user = login_manager.anonymous_user()
        return render_template("errors/unavailable.html", message=message), 503, headers

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        _rollback()
        if _wants_json():
            retry = getattr(err, "retry_after", None)  # LoginThrottled
            headers = {"Retry-After": str(retry)} if retry else {}
            return jsonify(error_body(err.code, err.message, err.fields)), err.status, headers
        if err.status in (403, 404):
            return render_template("errors/error.html", status=err.status, message=err.message), err.status
        flash(err.message, "error")
        return redirect(_back())

    @app.errorhandler(StaleDataError)
    def _stale(_err):
        _rollback()
        message = _("该记录已被他人修改，请刷新后重试。")
        if _wants_json():
            return jsonify(error_body("conflict", message)), 409
        flash(message, "error")
        return redirect(_back())

    # A logged-out browser on a page that needs a login: the login page, keeping a posted form.
    login_manager.unauthorized_handler(form_stash.login_again)
    app.register_error_handler(CSRFError, _refused_token)

    app.register_error_handler(HTTPException, _http)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        _rollback()
        app.logger.exception("unhandled error")
        message = _("服务器内部错误，操作未保存。")
        if _wants_json():
            return jsonify(error_body("server_error", message)), 500
        return render_template("errors/error.html", status=500, message=message), 500
