"""The accountant's ledger pages: the list, the entry form, an entry's page and its actions."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp import settings
from coopapp.access.scope import home_village
from coopapp.core.forms import ReasonForm
from coopapp.core.text import to_int
from coopapp.core.vocabulary import KINDS, SPENDING_KINDS, STATUSES
from coopapp.errors import Invalid
from coopapp.ledger import operations as ledger
from coopapp.ledger import permissions, warnings
from coopapp.ledger.consequences import void_consequence
from coopapp.ledger.groups import offered_groups
from coopapp.ledger.spending import banned_refusal
from coopapp.models import LedgerEntry
from coopapp.reporting import exports
from coopapp.villages import catalog
from coopapp.vouchers.operations import create_entry_with_voucher, prepare_upload, voucher_max_bytes, vouchers_of
from coopapp.web.common import (
    household_name,
    page_arg,
    period_arg,
    require_action_form,
    require_confirmation,
    save_form,
    show_field_errors,
)
from coopapp.web.ledger.downloads import download
from coopapp.web.ledger.forms import EntryPageForm, entry_form_data

bp = Blueprint("ledger", __name__)
ENTRIES_PER_PAGE = 30
MAX_PROJECT_CHOICES = 200  # a county reviewer's hundreds of projects get no picker (?project= still works)


@bp.before_request
@login_required
def _login_first():
    """Every ledger page needs a logged-in user."""


def _filters() -> exports.LedgerFilters:
    """The list's filters from the query string (unknown values mean no filter; a project outside
    the user's scope is refused, 403, as its page is)."""
    project_id = request.args.get("project", type=to_int)
    if project_id:
        catalog.get_project(project_id, current_user)
    return exports.LedgerFilters(
        status=request.args.get("status"), period=period_arg(), project_id=project_id, kind=request.args.get("kind")
    )


@bp.get("/entries")
def entries():
    filters = _filters()
    page = exports.ledger_page(current_user, filters, page=page_arg(), per_page=ENTRIES_PER_PAGE)
    names = {e.id: household_name(e.household, e.village) for e in page.items}
    projects = catalog.projects_for(current_user, home_village(current_user))
    return render_template(
        "ledger/list.html",
        page=page,
        names=names,
        f=filters,
        kept=filters.args(),
        but_status={k: v for k, v in filters.args().items() if k != "status"},
        statuses=list(STATUSES.labels.items()),
        projects=projects if len(projects) <= MAX_PROJECT_CHOICES else [],
        kinds=list(KINDS.labels.items()),
    )


@bp.get("/entries/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The list's entries under its current filters (all pages) as CSV or XLSX."""
    filters = _filters()
    village = home_village(current_user)
    parts = [(village or current_user.area).name, _("台账")]
    if filters.project_id:
        parts.append(catalog.get_project(filters.project_id, current_user).name)
    parts += [STATUSES.label(filters.status), filters.period or "", KINDS.label(filters.kind)]
    title = " · ".join(p for p in parts if p) + _("（导出于 %(d)s）", d=ledger.today().isoformat())
    table = exports.ledger_table(current_user, filters, title)
    stem = "-".join(["ledger", (village or current_user.area).code, *map(str, filters.args().values())])
    return download(table, fmt, stem)


def _entry_form(village, entry=None, **kwargs) -> EntryPageForm:
    form = EntryPageForm(**kwargs)
    form.fill_choices(
        catalog.projects_for(current_user, village),
        catalog.households_for(current_user, village),
        groups=offered_groups(village.id, entry.group_id if entry is not None else None),
        categories=settings.for_area(village).categories,
    )
    return form


def _render_form(form, entry=None, status=200):
    return render_template(
        "ledger/form.html", form=form, entry=entry, spending_kinds=SPENDING_KINDS, photo_max_bytes=voucher_max_bytes()
    ), status


@bp.route("/entries/new", methods=["GET", "POST"])
def new_entry():
    village = catalog.get_village(None, current_user, "create_entry")
    form = _entry_form(village, period=ledger.current_period())
    return save_form(
        form,
        lambda: _create_with_photo(form),
        lambda status: _render_form(form, status=status),
        _("已保存为草稿，核对无误后请提交审核。"),
        lambda entry: url_for("ledger.entry", entry_id=entry.id),
    )


def _create_with_photo(form: EntryPageForm) -> LedgerEntry:
    """The new entry and, when one was taken, its receipt photo, both or neither. The photo is checked
    first, so a refused one (not an image, too large) is said beside its field and nothing is written."""
    upload = form.photo.data
    data = upload.read() if upload and upload.filename else b""
    try:
        prepared = prepare_upload(data) if data else None
    except Invalid as err:
        raise Invalid(err.message, {"photo": err.message + " " + _("请重新拍照。")}) from err
    if prepared is None:
        return ledger.create_entry(current_user, form.to_input())
    return create_entry_with_voucher(current_user, form.to_input(), prepared, upload.filename)


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
def edit_entry(entry_id: int):
    entry = ledger.get_entry(entry_id, current_user, "create_entry")
    refusal = permissions.edit_refusal(current_user, entry)
    if refusal is not None:
        flash(refusal.message, "error")
        if request.method == "POST":  # (an edit page left open while the entry moved on: what was typed stays shown)
            return _render_form(_entry_form(entry.village, entry), entry, status=refusal.status)
        return redirect(url_for("ledger.entry", entry_id=entry.id))
    form = _entry_form(entry.village, entry, data=None if request.method == "POST" else entry_form_data(entry))
    return save_form(
        form,
        lambda: ledger.update_entry(current_user, entry, form.to_input()),
        lambda status: _render_form(form, entry, status=status),
        _("已保存修改。"),
        url_for("ledger.entry", entry_id=entry.id),
    )


def render_entry(
    entry: LedgerEntry, reason_form: ReasonForm | None = None, reason_for: str = "", status=200, voucher_error=""
):
    """An entry's page with its reversal or original, its vouchers and the user's actions (voiding asks
    first: `confirms`); `voucher_error`: why an upload was refused."""
    actions = permissions.entry_actions(current_user, entry, ledger.current_period())
    editable = entry.status in permissions.EDITABLE
    return render_template(
        "ledger/entry.html",
        entry=entry,
        household_name=household_name(entry.household, entry.village),
        reversal=permissions.reversal_of(entry),
        actions=actions,
        confirms={"void": void_consequence(entry)} if actions["void"] else {},
        reason_form=reason_form or ReasonForm(formdata=None),
        reason_for=reason_for,
        warned=[(w.rule, warnings.message(w)) for w in warnings.of_entries([entry.id]).get(entry.id, [])],
        banned=banned_refusal(entry) if entry.status in permissions.EDITABLE else None,
        vouchers=vouchers_of([entry.id])[entry.id],
        voucher_missing=permissions.voucher_refusal(entry) if editable else None,
        voucher_error=voucher_error,
        voucher_max_mb=voucher_max_bytes() // (1024 * 1024),
    ), status


@bp.get("/entries/<int:entry_id>")
def entry(entry_id: int):
    return render_entry(ledger.get_entry(entry_id, current_user))


@bp.post("/entries/<int:entry_id>/submit")
def submit(entry_id: int):
    entry = ledger.get_entry(entry_id, current_user, "submit_entry")
    require_action_form()
    try:
        ledger.submit_entry(current_user, entry)
    except Invalid as err:
        flash(" ".join([err.message, *err.fields.values()]), "error")
    else:
        flash(_("已提交审核。"), "success")
    return redirect(url_for("ledger.entry", entry_id=entry.id))


@bp.post("/entries/<int:entry_id>/void")
def void(entry_id: int):
    entry = ledger.get_entry(entry_id, current_user, "create_entry")
    require_action_form()
    back = url_for("ledger.entry", entry_id=entry.id)
    refusal = permissions.void_refusal(current_user, entry)
    if refusal is not None:
        flash(refusal.message, "error")
        return redirect(back)
    require_confirmation(_("作废记录 #%(id)s", id=entry.id), void_consequence(entry), back)
    ledger.void_entry(current_user, entry)
    flash(_("已作废。"), "success")
    return redirect(url_for("ledger.entry", entry_id=entry.id))


@bp.post("/entries/<int:entry_id>/reverse")
def reverse(entry_id: int):
    entry = ledger.get_entry(entry_id, current_user, "reverse_entry")
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            reversal = ledger.reverse_entry(current_user, entry, form.reason.data)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已生成冲销记录并提交审核；如需更正，请另行登记正确的记录。"), "success")
            return redirect(url_for("ledger.entry", entry_id=reversal.id))
    return render_entry(entry, form, "reverse", status=422)
