"""Saving a county's settings: the county admin's one operation, audited like every change.

`save_settings(user, county, document)` checks the document with `from_document` (one validation
path for the page, the API, the CLI and the demo), stores it whole (a field left out of the
document gets its default), records a `county_settings.create` or `.update` event whose extra names what changed
(`{"changes": {field: [old, new]}}`), and drops the request's cached settings.
"""

import json

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.access import audit
from coopapp.access.audit import AUDITED_NAME
from coopapp.access.scope import authorize, can
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, NotFound
from coopapp.extensions import db
from coopapp.models import Area, AuditEvent, CountySettings, User
from coopapp.models.base import utcnow
from coopapp.settings import county_code, forget, from_document, load, to_document

ACTION = "manage_settings"


def can_manage_settings(user: User, county: Area | None) -> bool:
    """May `user` change the settings of `county`? A county admin (or an admin above it) only: a
    town's admin does not cover the county, so the scope rule refuses them."""
    return county is not None and county.level == "county" and can(user, ACTION, county)


def settings_county(user: User, area: Area | None = None) -> Area:
    """The county whose settings `user` reads or changes: that of `area` (default: the user's own
    area). NotFound when the area lies in no county (a city or province: name one with ?area=)."""
    area = area if area is not None else user.area
    code = county_code(area)
    if area is not None and area.level == "county":
        county = area
    else:
        county = db.session.scalars(select(Area).where(Area.code == code, Area.level == "county")).first()
    if county is None:
        raise NotFound(_("请指定一个县（区域代码）：设置按县保存。"))
    return county


def stored_row(county: Area) -> CountySettings | None:
    """The county's stored settings row, or None when it uses the defaults."""
    return db.session.scalars(select(CountySettings).where(CountySettings.county_id == county.id)).one_or_none()


def serialized(document: dict) -> str:
    """The stored text of a settings document (canonical JSON: the same settings, the same text)."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def changes(old: dict, new: dict) -> dict:
    """{field: [old, new]} for each field of the documents that differs."""
    return {name: [old.get(name), new[name]] for name in sorted(new) if old.get(name) != new[name]}


@atomic
def save_settings(user: User, county: Area, document, expected_version: int | None = None) -> CountySettings:
    """The county admin stores `county`'s settings. Invalid (naming each bad field) writes nothing;
    Conflict when `expected_version` is given and someone saved in between. Saving the same
    settings again writes nothing (no event)."""
    if county is None or county.level != "county":
        raise NotFound(_("请指定一个县（区域代码）：设置按县保存。"))
    authorize(user, ACTION, county)
    new = to_document(from_document(document))
    row = stored_row(county)
    if expected_version is not None and expected_version != (row.version if row is not None else 0):
        raise Conflict(_("设置已被他人修改，请刷新后重试。"))
    old = to_document(load(county.id))
    if row is not None and row.data == serialized(new):
        return row
    action = "county_settings.update"
    if row is None:
        row, action = CountySettings(county_id=county.id), "county_settings.create"
        db.session.add(row)
    row.data = serialized(new)
    row.updated_by_id = user.id
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(user, action, row, {"county": county.code, "changes": changes(old, new)})
    forget()
    return row


def changes_by_event(row: CountySettings) -> dict[int, dict]:
    """{event seq: {field: [old, new]}} of the row's audit events (what each save changed)."""
    q = select(AuditEvent.seq, AuditEvent.data).where(
        AuditEvent.object_type == AUDITED_NAME[CountySettings], AuditEvent.object_id == row.id
    )
    return {seq: (json.loads(data).get("extra") or {}).get("changes") or {} for seq, data in db.session.execute(q)}


def version_of(row: CountySettings | None) -> int:
    """The version a page or client sends back to save over (0: nothing stored yet)."""
    return row.version if row is not None else 0


__all__ = [
    "can_manage_settings",
    "changes",
    "changes_by_event",
    "save_settings",
    "settings_county",
    "stored_row",
    "version_of",
]
