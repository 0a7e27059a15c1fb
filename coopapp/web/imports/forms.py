"""Upload and confirm forms of the import pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from ...forms import choice_list

MAX_UPLOAD = 15 * 1024 * 1024  # below MAX_CONTENT_LENGTH, so the form can say why


class LedgerUploadForm(FlaskForm):
    project_id = SelectField(_l("项目"), coerce=int, validators=[DataRequired(_l("请选择项目。"))])
    file = FileField(
        _l("台账文件（.xlsx 或 .csv）"),
        validators=[
            FileRequired(_l("请选择文件。")),
            FileAllowed(["xlsx", "csv"], _l("只能导入 .xlsx 或 .csv 文件。")),
            FileSize(MAX_UPLOAD, message=_l("文件不能超过 15 MB。")),
        ],
    )

    def fill_choices(self, projects) -> None:
        self.project_id.choices = choice_list((p.id, p.name) for p in projects if p.active)


class ConfirmForm(FlaskForm):
    """The kept upload to import for real: its hash, suffix and name, and the project."""

    project_id = HiddenField(validators=[DataRequired()])
    sha = HiddenField(validators=[DataRequired()])
    suffix = HiddenField(validators=[DataRequired()])
    file_name = HiddenField(validators=[DataRequired()])
