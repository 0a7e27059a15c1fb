"""The area tree: add an area, rename, move a group, retire (admins, inside their scope)."""

from flask import jsonify

from coopapp.api.common import bp, json_body, require_role_for, valid_form
from coopapp.extensions import db
from coopapp.models import Area
from coopapp.villages import areas
from coopapp.villages.area_forms import AreaChangeForm, AreaForm


def area_json(area: Area) -> dict:
    """An area as the API answers it."""
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent": area.parent.code if area.parent is not None else None,
        "published_name": area.published_name,
        "retired": bool(area.retired),
        "merged_into": area_code(area.merged_into_id),
        "merged_on": area.merged_on.isoformat() if area.merged_on else None,
    }


def area_code(area_id: int | None) -> str | None:
    """The code of the area with this id (None for None)."""
    return db.session.get(Area, area_id).code if area_id is not None else None


@bp.post("/areas")
def create_area():
    """An admin adds a town, village or group {code, name, level?, parent?} → 201."""
    me = require_role_for("manage_areas")
    form = valid_form(AreaForm, json_body())
    return jsonify(area_json(areas.create_area(me, form.to_input()))), 201


@bp.patch("/areas/<area_code>")
def change_area(area_code: str):
    """An admin renames an area, moves a group to another village {parent}, retires it {retired: true}
    or merges a village into another {merged_into: CODE, merged_on?: "YYYY-MM-DD" (default today)}."""
    me = require_role_for("manage_areas")
    payload = json_body()
    form = valid_form(AreaChangeForm, payload)
    area = areas.area_or_404(area_code)
    areas.change_area(
        me,
        area,
        name=form.name.data or None,
        parent=form.parent.data or None,
        retire=payload.get("retired"),
        merged_into=form.merged_into.data or None,
        merged_on=form.merged_on.data,
    )
    return jsonify(area_json(area))
