"""The login form, the API's password change and the user administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。"))])


class PasswordChangeForm(FlaskForm):
    """The API's change of one's own password (the pages' form also asks for it twice)."""

    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请填写当前密码。"))])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请填写新密码。")), Length(max=200)])


class UserForm(FlaskForm):
    """A new user: role by code or Chinese name (会计, 书记…), area by code; the operation checks the rest."""

    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=80)])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=80)])
    role = StringField(_l("角色"), validators=[DataRequired(_l("请选择角色。")), Length(max=40)])
    area = StringField(
        _l("区域（名称或代码）"), validators=[DataRequired(_l("请填写区域的名称或代码。")), Length(max=50)]
    )
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=20)])


class UserChangeForm(FlaskForm):
    """A change to a user: only the fields given change; `active` false deactivates."""

    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=80)])
    role = StringField(_l("角色"), validators=[Optional(), Length(max=40)])
    area = StringField(_l("区域（名称或代码）"), validators=[Optional(), Length(max=50)])
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=20)])
    active = BooleanField(_l("启用"))
