"""The entry page's vouchers: a plain multipart form to attach a photo or PDF (works without
JavaScript), and a button to remove one while the entry is a draft or returned. The files
themselves are served by the API (`api.vouchers`), behind login and the entry's scope. Removing one
asks first (the file goes with it)."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from coopapp.errors import DomainError, Forbidden
from coopapp.ledger import operations as ledger
from coopapp.ledger.consequences import remove_voucher_consequence
from coopapp.ledger.permissions import remove_voucher_refusal
from coopapp.vouchers import operations as vouchers
from coopapp.web.common import require_action_form, require_confirmation
from coopapp.web.ledger.routes import render_entry

bp = Blueprint("vouchers", __name__)


class VoucherForm(FlaskForm):
    """One file: a photo from the camera or the gallery, or a PDF."""

    file = FileField(_l("凭证照片或 PDF"), validators=[FileRequired(_l("请先拍照或选择文件。"))])


@bp.before_request
@login_required
def _login_first():
    """Every voucher page needs a logged-in user."""


@bp.post("/entries/<int:entry_id>/vouchers")
def upload(entry_id: int):
    entry = ledger.get_entry(entry_id, current_user, "create_entry")
    form = VoucherForm()
    if not form.validate_on_submit():
        message = " ".join(str(m) for messages in form.errors.values() for m in messages)
        return render_entry(entry, voucher_error=message, status=422)
    upload = form.file.data
    try:
        vouchers.attach_voucher(current_user, entry, upload.read(), upload.filename or "")
    except DomainError as err:
        if err.status not in (409, 413, 422):  # (409: the same file again)
            raise
        return render_entry(entry, voucher_error=err.message, status=err.status)
    flash(_("凭证已上传。"), "success")
    return redirect(url_for("ledger.entry", entry_id=entry.id, _anchor="vouchers"))


@bp.post("/vouchers/<int:voucher_id>/delete")
def remove(voucher_id: int):
    voucher = vouchers.get_voucher(voucher_id, current_user)
    require_action_form()
    entry_id = voucher.entry_id
    back = url_for("ledger.entry", entry_id=entry_id, _anchor="vouchers")
    refusal = remove_voucher_refusal(current_user, voucher)
    if isinstance(refusal, Forbidden):
        raise refusal
    if refusal is not None:  # the entry is no longer a draft or returned
        flash(refusal.message, "error")
        return redirect(back)
    require_confirmation(_("删除凭证"), remove_voucher_consequence(voucher), back)
    vouchers.remove_voucher(current_user, voucher)
    flash(_("凭证已删除。"), "success")
    return redirect(url_for("ledger.entry", entry_id=entry_id, _anchor="vouchers"))
