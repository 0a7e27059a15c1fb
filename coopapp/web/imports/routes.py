"""The import pages: upload → preview every row → confirm.

The accountant's ledger file becomes a batch of drafts submitted together; the secretary's
household roster registers the village's households.
"""

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.core.text import parse_int
from coopapp.errors import Conflict, Invalid
from coopapp.imports import batches
from coopapp.imports.households import import_households
from coopapp.imports.ledger import import_ledger
from coopapp.imports.storage import sweep_abandoned
from coopapp.villages import catalog
from coopapp.web.common import require_action_form, require_confirmation
from coopapp.web.imports.forms import ConfirmForm, HouseholdsUploadForm, KeptUploadForm, LedgerUploadForm
from coopapp.web.imports.reading import CHOICE, kept_path, preview_forms, settle_upload, upload_gone

bp = Blueprint("imports", __name__, url_prefix="/imports")
PREVIEW_ROWS = 500


@bp.before_request
@login_required
def _login_first():
    """Every import page needs a logged-in user."""


def _keep(upload):
    """Sweep abandoned uploads, then keep this one until it is confirmed: (hash, path, file name)."""
    sweep_abandoned()
    file_name = Path(upload.filename or "upload").name
    sha, path = batches.keep_upload(upload.stream, file_name)
    return sha, path, file_name


@bp.route("/ledger", methods=["GET", "POST"])
def upload_ledger():
    village = catalog.get_village(None, current_user, "create_entry")
    form = LedgerUploadForm()
    form.fill_choices(catalog.projects_for(current_user, village))
    if not form.validate_on_submit():
        return render_template("imports/upload.html", form=form), 422 if form.is_submitted() else 200
    project = catalog.get_project(form.project_id.data, current_user, "create_entry")
    sha, path, file_name = _keep(form.file.data)
    report = import_ledger(current_user, project, path, file_name, dry_run=True, preview_limit=PREVIEW_ROWS)
    return _ledger_preview(report, project, sha, path, file_name)


def _ledger_preview(report, project, sha: str, path: Path, file_name: str):
    """The preview of a dry run, keeping the upload while it may be confirmed or read again."""
    settle_upload(report, path)
    fields = {"project_id": project.id, "sha": sha, "suffix": path.suffix, "file_name": file_name}
    forms = preview_forms(report, ConfirmForm, "imports.reread_ledger", **fields)
    return render_template("imports/preview.html", report=report, project=project, **forms), (200 if report.ok else 422)


def _kept_ledger(form: ConfirmForm):
    """The project and the kept upload a valid confirm or choice form names (the path None: gone)."""
    project_id = parse_int(form.project_id.data)
    if project_id is None:  # a hidden field: only a hand-made post gets here
        abort(400, description=_("项目编号无效：%(v)s", v=str(form.project_id.data)[:20]))
    project = catalog.get_project(project_id, current_user, "create_entry")
    return project, batches.kept_upload(form.sha.data, form.suffix.data)


@bp.post("/ledger/reread")
def reread_ledger():
    """Read the kept upload again with the choice pressed on its preview (a sheet, hidden rows, an answer)."""
    form = ConfirmForm(prefix=CHOICE)
    project, path = _kept_ledger(form) if form.validate_on_submit() else (None, None)
    if path is None:
        return upload_gone("imports.upload_ledger")
    options = form.read_options()
    report = import_ledger(
        current_user, project, path, form.file_name.data, dry_run=True, preview_limit=PREVIEW_ROWS, options=options
    )
    return _ledger_preview(report, project, form.sha.data, path, form.file_name.data)


@bp.post("/ledger/confirm")
def confirm_ledger():
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("请重新上传文件。"), "error")
        return redirect(url_for("imports.upload_ledger"))
    project, path = _kept_ledger(form)
    if path is None:
        return upload_gone("imports.upload_ledger")
    options = form.read_options()
    report = import_ledger(
        current_user, project, path, form.file_name.data, preview_limit=PREVIEW_ROWS, options=options
    )
    if not report.ok:
        return _ledger_preview(report, project, form.sha.data, path, form.file_name.data)
    path.unlink(missing_ok=True)
    flash(_("已导入 %(n)s 条草稿，核对无误后请全部提交审核。", n=report.rows_ok), "success")
    return redirect(url_for("imports.batch", batch_id=report.batch_id))


@bp.get("/batches/<int:batch_id>")
def batch(batch_id: int):
    batch, project = batches.get_batch(batch_id, current_user, "view")
    # Why 全部提交审核 is not offered, when the user has entries to submit (a voucher missing, a month closed).
    can_submit, blocked = batches.submit_offer(current_user, batch)
    can_approve = batches.offers_approve(current_user, batch)
    return render_template(
        "imports/batch.html",
        batch=batch,
        project=project,
        counts=batches.batch_status_counts(batch),
        entries=batches.batch_entries(batch),
        can_submit=can_submit,
        can_approve=can_approve,
        blocked=blocked,
        needing_voucher=batches.needing_voucher(current_user, batch) if blocked is not None else [],
        confirms={
            **({"submit": batches.submit_consequence(current_user, batch)} if can_submit else {}),
            **({"approve": batches.approve_consequence(batch)} if can_approve else {}),
        },
    )


@bp.post("/batches/<int:batch_id>/submit")
def submit_batch(batch_id: int):
    require_action_form()
    batch, _project = batches.get_batch(batch_id, current_user)
    back = url_for("imports.batch", batch_id=batch.id)
    if batches.offers_submit(current_user, batch):
        require_confirmation(_("全部提交审核"), batches.submit_consequence(current_user, batch), back)
    count = batches.submit_batch(current_user, batch)
    flash(_("已提交 %(n)s 条记录待审核。", n=count), "success")
    return redirect(back)


@bp.post("/batches/<int:batch_id>/approve")
def approve_batch(batch_id: int):
    """全部通过: the secretary approves every submitted entry of the batch, all or none."""
    require_action_form()
    batch, _project = batches.get_batch(batch_id, current_user, "review_entry")
    back = url_for("imports.batch", batch_id=batch.id)
    refusal = batches.approve_batch_refusal(current_user, batch)
    if refusal is not None:
        flash(" ".join([refusal.message, *refusal.fields.values()]), "error")
        return redirect(back)
    require_confirmation(_("全部通过"), batches.approve_consequence(batch), back)
    try:
        count = batches.approve_batch(current_user, batch)
    except (Conflict, Invalid) as err:  # changed since the confirmation page (e.g. the month closed)
        flash(" ".join([err.message, *err.fields.values()]), "error")
    else:
        flash(_("已审核通过本批 %(n)s 条记录。", n=count), "success")
    return redirect(back)


@bp.route("/households", methods=["GET", "POST"])
def upload_households():
    village = catalog.get_village(None, current_user, "manage_village")
    form = HouseholdsUploadForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("imports/households_upload.html", form=form, village=village), status
    sha, path, file_name = _keep(form.file.data)
    report = import_households(current_user, village, path, file_name, dry_run=True, preview_limit=PREVIEW_ROWS)
    return _households_preview(report, village, sha, path, file_name)


def _households_preview(report, village, sha: str, path: Path, file_name: str):
    settle_upload(report, path)
    fields = {"sha": sha, "suffix": path.suffix, "file_name": file_name}
    forms = preview_forms(report, KeptUploadForm, "imports.reread_households", **fields)
    return render_template("imports/households_preview.html", report=report, village=village, **forms), (
        200 if report.ok else 422
    )


@bp.post("/households/reread")
def reread_households():
    """Read the kept roster again with the choice pressed on its preview."""
    village = catalog.get_village(None, current_user, "manage_village")
    form = KeptUploadForm(prefix=CHOICE)
    path = kept_path(form)
    if path is None:
        return upload_gone("imports.upload_households")
    report = import_households(
        current_user,
        village,
        path,
        form.file_name.data,
        dry_run=True,
        preview_limit=PREVIEW_ROWS,
        options=form.read_options(),
    )
    return _households_preview(report, village, form.sha.data, path, form.file_name.data)


@bp.post("/households/confirm")
def confirm_households():
    village = catalog.get_village(None, current_user, "manage_village")
    form = KeptUploadForm()
    path = kept_path(form)
    if path is None:
        return upload_gone("imports.upload_households")
    report = import_households(
        current_user, village, path, form.file_name.data, preview_limit=PREVIEW_ROWS, options=form.read_options()
    )
    if not report.ok:
        return _households_preview(report, village, form.sha.data, path, form.file_name.data)
    path.unlink(missing_ok=True)
    flash(_("已从花名册登记 %(n)s 户。", n=report.rows_ok), "success")
    return redirect(url_for("village.households"))
