"""How an upload was read, on its preview page: the sheet read and the others, the hidden rows, the
questions — each a choice that reads the kept upload again (see `KeptUploadForm.read_options`).

The upload stays on the server while the preview can confirm it or offers a choice; a file refused
with nothing to choose is deleted at once (see `settle_upload`).
"""

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from coopapp.imports.batches import kept_upload
from coopapp.imports.report import ImportReport

# The choice form's fields are prefixed, so that they are not taken for the confirm form's.
CHOICE = "read"


def offers_choice(report: ImportReport) -> bool:
    """Does the preview offer to read the file again another way? When it asks a question, when the
    workbook has several visible sheets, or when rows are hidden."""
    return bool(report.questions) or len(report.sheets) > 1 or bool(report.hidden_rows)


def settle_upload(report: ImportReport, path) -> None:
    """Keep the upload while the preview can confirm it or offers a choice; otherwise delete it."""
    if not (report.ok or offers_choice(report)):
        path.unlink(missing_ok=True)


def preview_forms(report: ImportReport, form_class, reread_endpoint: str, **fields) -> dict:
    """The preview's forms for the template: `confirm` (None unless the file may be confirmed),
    `choice` (None unless one is offered) and `reread_url`; both carry the options read with."""
    options = report.options.to_json()
    confirm = form_class(formdata=None, options=options, **fields) if report.confirmable else None
    choice = form_class(formdata=None, prefix=CHOICE, options=options, **fields) if offers_choice(report) else None
    return {"confirm": confirm, "choice": choice, "reread_url": url_for(reread_endpoint)}


def kept_path(form):
    """The kept upload a valid confirm or choice form names; None when the form is not valid or the
    file is no longer on the server (then `upload_gone`)."""
    return kept_upload(form.sha.data, form.suffix.data) if form.validate_on_submit() else None


def upload_gone(upload_endpoint: str):
    """Back to the upload page, saying the file must be uploaded again."""
    flash(_("上传的文件已不在服务器上，请重新上传。"), "error")
    return redirect(url_for(upload_endpoint))
