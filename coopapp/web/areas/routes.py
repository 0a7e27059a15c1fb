"""The admin's area pages: the tree under the admin's scope; add, rename, move a group, retire, merge."""

from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp.access.history import object_history
from coopapp.access.scope import authorize
from coopapp.errors import Invalid
from coopapp.imports import batches
from coopapp.imports.areas import import_areas
from coopapp.imports.storage import sweep_abandoned
from coopapp.villages import areas
from coopapp.villages.area_forms import AreaChangeForm, AreaForm, MergeForm
from coopapp.web.common import require_action_form, require_confirmation, show_field_errors
from coopapp.web.form_stash import restore_into
from coopapp.web.imports.forms import AreasUploadForm, KeptUploadForm
from coopapp.web.imports.reading import CHOICE, kept_path, preview_forms, settle_upload, upload_gone

bp = Blueprint("areas", __name__, url_prefix="/admin/areas")
PREVIEW_ROWS = 2000


@bp.before_request
@login_required
def _admins_only():
    """Every page needs a logged-in admin (403 for anyone else)."""
    authorize(current_user, "manage_areas", current_user.area)


def _level_labels() -> dict[str, str]:
    return {"county": _("县"), "town": _("镇"), "village": _("村"), "group": _("村民小组")}


@bp.get("")
def tree():
    """The tree under the admin's scope, one row per area, indented by depth."""
    labels = _level_labels()
    tree = areas.area_tree(current_user)
    with_live_children = {a.parent_id for a in tree if not a.retired}
    rows = [
        {
            "area": a,
            "depth": a.path.count("/") - 2,
            "level": labels.get(a.level, a.level),
            "can_merge": a.level == "village" and not a.retired,
            "can_retire": not a.retired
            and areas.retire_refusal(current_user, a, live_children=a.id in with_live_children) is None,
        }
        for a in tree
    ]
    return render_template("areas/tree.html", rows=rows, form=AreaForm(formdata=None))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a town, village or group."""
    form = AreaForm()
    restore_into(form, current_user.get_id())  # a form kept when the last session ended mid-form
    if form.validate_on_submit():
        try:
            area = areas.create_area(current_user, form.to_input())
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已添加：%(c)s %(n)s。", c=area.code, n=area.name), "success")
            return redirect(url_for("areas.tree"))
    return render_template("areas/new.html", form=form), 422 if form.errors else 200


@bp.route("/<code>/edit", methods=["GET", "POST"])
def edit(code: str):
    """Rename an area; move a group to another village."""
    area = areas.area_or_404(code)
    authorize(current_user, "manage_areas", area)
    form = AreaChangeForm(data={"name": area.name})
    restore_into(form, current_user.get_id())  # a form kept when the last session ended mid-form
    if form.validate_on_submit():
        try:
            areas.change_area(current_user, area, name=form.name.data or None, parent=form.parent.data or None)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            flash(_("已保存：%(c)s %(n)s。", c=area.code, n=area.name), "success")
            return redirect(url_for("areas.tree"))
    history = object_history(area)
    villages = areas.village_choices(current_user, leave_out=area.parent) if area.level == "group" else []
    return render_template(
        "areas/edit.html", area=area, form=form, history=history, villages=villages
    ), 422 if form.errors else 200


@bp.post("/<code>/retire")
def retire(code: str):
    """Retire an area (its children first)."""
    area = areas.area_or_404(code)
    require_action_form()
    if areas.retire_refusal(current_user, area) is None:
        require_confirmation(_("撤销 %(n)s", n=area.name), areas.retire_consequence(area), url_for("areas.tree"))
    try:
        areas.retire_area(current_user, area)
    except Invalid as err:
        flash(err.message, "error")
    else:
        flash(_("已撤销：%(c)s %(n)s。", c=area.code, n=area.name), "success")
    return redirect(url_for("areas.tree"))


@bp.route("/<code>/merge", methods=["GET", "POST"])
def merge(code: str):
    """撤并村: merge a village into another."""
    village = areas.area_or_404(code)
    authorize(current_user, "manage_areas", village)
    form = MergeForm()
    restore_into(form, current_user.get_id())  # a form kept when the last session ended mid-form
    if form.validate_on_submit():
        try:
            areas.merge_village(current_user, village, form.merged_into.data, form.merged_on.data)
        except Invalid as err:
            show_field_errors(form, err)
        else:
            survivor = areas.area_or_404(form.merged_into.data)
            flash(_("%(n)s 已并入 %(m)s。", n=village.name, m=f"{survivor.code} {survivor.name}"), "success")
            return redirect(url_for("areas.tree"))
    villages = areas.village_choices(current_user, leave_out=village)
    return render_template(
        "areas/merge.html", village=village, form=form, villages=villages
    ), 422 if form.errors else 200


@bp.route("/import", methods=["GET", "POST"])
def upload():
    """导入区划表: upload the NBS table or a groups sheet, then preview every row it adds or renames."""
    form = AreasUploadForm()
    if not form.validate_on_submit():
        return render_template("areas/import.html", form=form), 422 if form.is_submitted() else 200
    sweep_abandoned()
    file_name = Path(form.file.data.filename or "upload").name
    sha, path = batches.keep_upload(form.file.data.stream, file_name)
    report = import_areas(current_user, path, file_name, dry_run=True, preview_limit=PREVIEW_ROWS)
    return _preview(report, sha, path, file_name)


def _preview(report, sha: str, path: Path, file_name: str):
    """The preview of a dry run, keeping the upload while it may be confirmed or read again."""
    settle_upload(report, path)
    fields = {"sha": sha, "suffix": path.suffix, "file_name": file_name}
    forms = preview_forms(report, KeptUploadForm, "areas.reread_upload", **fields)
    return render_template(
        "areas/import_preview.html", report=report, levels=_level_labels(), **forms
    ), 200 if report.ok else 422


@bp.post("/import/reread")
def reread_upload():
    """Read the kept area list again with the choice pressed on its preview."""
    form = KeptUploadForm(prefix=CHOICE)
    path = kept_path(form)
    if path is None:
        return upload_gone("areas.upload")
    options = form.read_options()
    report = import_areas(
        current_user, path, form.file_name.data, dry_run=True, preview_limit=PREVIEW_ROWS, options=options
    )
    return _preview(report, form.sha.data, path, form.file_name.data)


@bp.post("/import/confirm")
def confirm_upload():
    """Apply the previewed area list (only what changed; all or nothing)."""
    form = KeptUploadForm()
    path = kept_path(form)
    if path is None:
        return upload_gone("areas.upload")
    options = form.read_options()
    report = import_areas(current_user, path, form.file_name.data, preview_limit=PREVIEW_ROWS, options=options)
    if not report.ok:
        return _preview(report, form.sha.data, path, form.file_name.data)
    path.unlink(missing_ok=True)
    counts = {"a": report.added, "r": report.renamed, "p": report.published}
    flash(_("已导入区划表：新增 %(a)s 个，改名 %(r)s 个，记录公布名称 %(p)s 个。", **counts), "success")
    return redirect(url_for("areas.tree"))
