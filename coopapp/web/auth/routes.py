"""Login, logout, changing one's password, the language switch and the home page that sends each role to its start."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from coopapp.access import sessions, throttle
from coopapp.access.accounts import change_password as change_user_password
from coopapp.errors import Invalid
from coopapp.reporting.todos import todos_for
from coopapp.web import form_stash
from coopapp.web.auth.forms import ChangePasswordForm, PageLoginForm
from coopapp.web.common import back_to, require_action_form, safe_next, show_field_errors

bp = Blueprint("auth", __name__)

# What a user holding a one-time password may still reach before choosing their own.
BEFORE_A_NEW_PASSWORD = frozenset(
    {"auth.change_password", "auth.logout", "auth.set_language", "static", "offline.service_worker", "offline.manifest"}
)


@bp.before_app_request
def _password_first():
    """A user with a one-time password goes to the change-password page before anything else
    (public pages stay open; the API answers 403 password_change_required itself)."""
    endpoint = request.endpoint or ""
    if endpoint in BEFORE_A_NEW_PASSWORD or endpoint.startswith(("api.", "public.")):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@bp.get("/")
def home():
    """Each user starts on their home: their to-dos with counts, each linking to where the work is
    done; visitors on the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("home.html", t=todos_for(current_user._get_current_object()))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = PageLoginForm()
    if form.validate_on_submit():
        login_user(form.user)
        session[sessions.SESSION_KEY] = sessions.start_session(form.user)
        # Back to a form kept when the last session ended mid-form (only for whoever typed it).
        kept_form_page = form_stash.after_login(form.user.id)
        response = redirect(kept_form_page or safe_next(request.args.get("next")) or url_for("auth.home"))
        return throttle.remember_device(response, form.user)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    require_action_form()
    sessions.end_session(session.pop(sessions.SESSION_KEY, None))
    session.pop(form_stash.STASH_KEY, None)
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """The logged-in user changes their own password (current one, then the new one twice)."""
    form = ChangePasswordForm()
    if current_user.must_change_password:  # the first login: the "current" password is the one-time one
        form.current_password.label.text = _("一次性密码（管理员发给您的）")
    if form.validate_on_submit():
        try:
            me = current_user._get_current_object()
            change_user_password(me, form.current_password.data, form.new_password.data)
        except Invalid as err:
            show_field_errors(form, err)
        else:  # this session goes on; every other one has ended
            flash(_("密码已修改。其他设备上的登录已退出，API 令牌已全部作废。"), "success")
            return redirect(url_for("auth.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status


@bp.post("/lang/<code>")
def set_language(code: str):
    """Switch the pages between Chinese (the default) and English."""
    require_action_form()
    session["lang"] = code if code in ("zh_CN", "en") else "zh_CN"
    return redirect(back_to(url_for("auth.home")))
