"""The form on a household's public statement page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from coopapp.core.forms import IntField


class ObjectionForm(FlaskForm):
    """An objection (异议) to one published distribution plan."""

    distribution_id = IntField(widget=HiddenInput(), validators=[InputRequired()])
    text = TextAreaField(
        _l("异议内容"),
        validators=[DataRequired(_l("请写明异议内容。")), Length(max=1000, message=_l("最多 1000 个字。"))],
    )
