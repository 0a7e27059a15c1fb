"""The user administration pages' forms (the operation checks scope, rank and the values)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coopapp.core.vocabulary import ROLE_RANKS, ROLES


class UserEditForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("角色"), validators=[DataRequired(_l("请选择角色。"))])
    area = StringField(
        _l("区域（名称或代码）"),
        validators=[DataRequired(_l("请填写区域的名称或代码。")), Length(max=50)],
        description=_l("会计、书记填村名或村的 12 位代码（如 中洞村）；审核员、管理员可填镇或县。"),
    )
    phone = StringField(_l("手机"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "tel"})

    def fill_roles(self, actor) -> None:
        """The roles the actor may give: none above their own."""
        mine = ROLE_RANKS.get(actor.role, 0)
        self.role.choices = [(t.code, str(t.label)) for t in ROLES.terms if t.rank <= mine]


class UserNewForm(UserEditForm):
    username = StringField(
        _l("用户名"),
        validators=[DataRequired(_l("请填写用户名。")), Length(max=80)],
        description=_l("登录用，例如 ganxi.accountant；不能含空格。"),
        render_kw={"autocapitalize": "off", "autocomplete": "off"},
    )
