"""Upload and confirm forms of the import pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired

from coopapp.core.forms import choice_list
from coopapp.imports.options import ReadOptions

MAX_UPLOAD = 15 * 1024 * 1024  # below MAX_CONTENT_LENGTH, so the form can say why


def _file_field(label) -> FileField:
    return FileField(
        label,
        validators=[
            FileRequired(_l("请选择文件。")),
            FileAllowed(["xlsx", "xls", "csv"], _l("只能导入 .xlsx、.xls 或 .csv 文件。")),
            FileSize(MAX_UPLOAD, message=_l("文件不能超过 15 MB。")),
        ],
    )


class LedgerUploadForm(FlaskForm):
    project_id = SelectField(_l("项目"), coerce=int, validators=[DataRequired(_l("请选择项目。"))])
    file = _file_field(_l("台账文件（.xlsx、.xls 或 .csv）"))

    def fill_choices(self, projects) -> None:
        self.project_id.choices = choice_list((p.id, p.name) for p in projects if p.active)


class HouseholdsUploadForm(FlaskForm):
    file = _file_field(_l("农户花名册（.xlsx、.xls 或 .csv）"))


class AreasUploadForm(FlaskForm):
    file = _file_field(_l("区划表（.xlsx、.xls 或 .csv）"))


class KeptUploadForm(FlaskForm):
    """The kept upload to import for real (or to read again): its hash, suffix and name, and how it
    was read (`options`, ReadOptions.to_json). The preview's choice buttons set one of `sheet`,
    `include_hidden` ("1" or "0") or `answer` ("KEY=VALUE")."""

    sha = HiddenField(validators=[DataRequired()])
    suffix = HiddenField(validators=[DataRequired()])
    file_name = HiddenField(validators=[DataRequired()])
    options = HiddenField()
    sheet = StringField()
    include_hidden = StringField()
    answer = StringField()

    def read_options(self) -> ReadOptions:
        """The options the preview was read with, changed by the choice pressed: another sheet (the
        answers, which were about this one, are dropped), hidden rows in or out, or one more answer."""
        current = ReadOptions.from_json(self.options.data)
        sheet = (self.sheet.data or "").strip()[:200]
        key, sep, value = (self.answer.data or "").partition("=")
        if sep and key == "sheet":
            sheet = value.strip()[:200]
        if sheet:
            return ReadOptions(sheet, current.include_hidden)
        if self.include_hidden.data in ("0", "1"):
            answers = {k: v for k, v in current.answers.items() if k != "hidden_sum"}
            return ReadOptions(current.sheet, self.include_hidden.data == "1", answers)
        if sep and key.strip():
            return current.with_answers({key.strip()[:100]: value.strip()[:200]})
        return current


class ConfirmForm(KeptUploadForm):
    """A kept ledger upload and the project it goes to."""

    project_id = HiddenField(validators=[DataRequired()])


class UsersUploadForm(FlaskForm):
    file = _file_field(_l("用户名单（.xlsx、.xls 或 .csv）"))
