"""The forms of the area tree: a new area, a change (rename, move, retire), a merge."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coopapp.villages.areas import AreaInput

CODE_HELP = _l("6、9、12 或 15 位数字；县、镇也可写补零的 12 位")


class AreaForm(FlaskForm):
    """A new town, village or group: level and parent follow from the code."""

    code = StringField(_l("代码"), description=CODE_HELP, validators=[DataRequired(_l("请填写代码。")), Length(max=20)])
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称。")), Length(max=100)])
    level = StringField(_l("层级"), validators=[Optional(), Length(max=20)])
    parent = StringField(_l("上级代码"), validators=[Optional(), Length(max=20)])
    published_name = StringField(_l("公布名称"), validators=[Optional(), Length(max=100)])

    def to_input(self) -> AreaInput:
        """The operation's input."""
        return AreaInput(
            self.code.data, self.name.data, self.level.data or None, self.parent.data or None, self.published_name.data
        )


class AreaChangeForm(FlaskForm):
    """A change to one area: a new name, a group's new village, retirement, a merge (the API's)."""

    name = StringField(_l("名称"), validators=[Optional(), Length(max=100)])
    # A village's code; the page offers the villages in scope as a select of the same name.
    parent = StringField(_l("移到村"), validators=[Optional(), Length(max=20)])
    retired = BooleanField(_l("撤销"))
    merged_into = StringField(_l("并入村"), validators=[Optional(), Length(max=20)])
    merged_on = DateField(_l("撤并日期"), validators=[Optional()])


class MergeForm(FlaskForm):
    """撤并村: the village this one is merged into (a code; the page offers a select) and when."""

    merged_into = StringField(_l("并入村"), validators=[DataRequired(_l("请选择并入的村。")), Length(max=20)])
    merged_on = DateField(_l("撤并日期"), description=_l("不填为今天"), validators=[Optional()])
