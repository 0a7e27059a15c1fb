"""The login page's form (the credential check lives in `validate()`) and the change-password form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from coopapp.access.accounts import MIN_PASSWORD, authenticate
from coopapp.access.forms import LoginForm
from coopapp.errors import Unauthorized


class PageLoginForm(LoginForm):
    """LoginForm that also checks the credentials (and the lockout) when validated."""

    user = None

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            self.user = authenticate(self.username.data, self.password.data)
        except Unauthorized as err:
            self.password.errors.append(err.message)
            return False
        return True


class ChangePasswordForm(FlaskForm):
    """The logged-in user's new password, typed twice; the policy is checked by the service."""

    current_password = PasswordField(
        _l("当前密码"),
        validators=[DataRequired(_l("请填写当前密码。"))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("新密码"),
        validators=[DataRequired(_l("请填写新密码。")), Length(max=200)],
        description=_l("至少 %(n)s 位，须同时包含字母和数字。", n=MIN_PASSWORD),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[DataRequired(_l("请再次输入新密码。")), EqualTo("new_password", _l("两次输入的新密码不一致。"))],
        render_kw={"autocomplete": "new-password"},
    )
