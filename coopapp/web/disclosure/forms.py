"""The secretary's one-field form: publish this period's notice."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import HiddenInput


class PublishNoticeForm(FlaskForm):
    """Record that the notice of a month ("2025-09") or a quarter ("2025Q3") is up."""

    period = StringField(widget=HiddenInput(), validators=[DataRequired(), Length(max=8)])
