"""An object's change history for its page, read from the audit chain: when, who, the action
and the fields it changed, all in the user's language (the labels: `audit_labels`)."""

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from coopapp.access import audit_labels as labels
from coopapp.access.audit import AUDITED_NAME
from coopapp.core.money import format_yuan
from coopapp.extensions import db
from coopapp.models import Area, AuditEvent, Cooperative, PartyOrg, Project, User


@dataclass
class Change:
    """One field of an object that an event changed: its label and its old and new values as text."""

    field: str
    old: str
    new: str
    label: str = ""


@dataclass
class HistoryEvent:
    """One audit event about an object, for its page: when, who, what (the action's code and its
    label in the user's language), and the fields changed."""

    seq: int
    at: object
    who: str
    action: str
    changes: list[Change]
    action_label: str = ""


def _clipped(text: str) -> str:
    return text if len(text) <= 80 else text[:79] + "…"


def _shown_value(value) -> str:
    return _clipped(
        "—" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    )


_REFERENCED = {
    "area": (Area, lambda a: f"{a.code} {a.name}"),
    "user": (User, lambda u: u.username),
    "cooperative": (Cooperative, lambda c: c.name),
    "party_org": (PartyOrg, lambda o: o.name),
    "project": (Project, lambda p: p.name),
}


def _referenced_names(raw: list[tuple[str, str, object, object]]) -> dict[tuple[str, int], str]:
    """(kind, id) → how the rows the changed fields refer to read: one query per kind referred to."""
    wanted: dict[str, set[int]] = {}
    for _type, field, *values in raw:
        kind = labels.REFERENCES.get(field)
        for value in values:
            for one in value if isinstance(value, list) else [value]:
                if kind and isinstance(one, int):
                    wanted.setdefault(kind, set()).add(one)
    names = {}
    for kind, ids in wanted.items():
        cls, shown = _REFERENCED[kind]
        names.update(((kind, row.id), shown(row)) for row in db.session.scalars(select(cls).where(cls.id.in_(ids))))
    return names


def _readable(object_type: str, field: str, value, names: dict) -> str:
    """A snapshot value as the history shows it (see `audit_labels`)."""
    if value is None:
        return "—"
    if field in labels.SECRET:
        return "******"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    kind = labels.REFERENCES.get(field)
    if kind:
        ids = value if isinstance(value, list) else [value]
        return _clipped("、".join(names.get((kind, one), str(one)) for one in ids))
    codes = labels.code_labels(object_type, field)
    if codes is not None and isinstance(value, str):
        return str(codes.get(value, value))
    if field.endswith("_fen") and isinstance(value, int):
        return _("%(y)s 元", y=format_yuan(value))
    return _shown_value(value)


def object_history(obj, related=(), limit: int = 50) -> list[HistoryEvent]:
    """The audit events about `obj` and the `related` objects (a project's yearly targets), newest first.

    At most `limit` events, each with the fields it changed: a field changed when its value
    differs from the same object's previous snapshot; an object's first event (its creation, or
    its adoption by a migration) lists no fields. Who: the actor's display name (else username). Actions, fields and
    values read in the user's language (`audit_labels`): 合并, 上级区域: 441323110 高潭镇 → …
    """
    main_type = AUDITED_NAME[type(obj)]
    by_type: dict[str, list[int]] = {}
    for o in (obj, *related):
        by_type.setdefault(AUDITED_NAME[type(o)], []).append(o.id)
    which = [(AuditEvent.object_type == kind) & AuditEvent.object_id.in_(ids) for kind, ids in by_type.items()]
    q = (
        select(AuditEvent, func.coalesce(func.nullif(User.display_name, ""), User.username))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(or_(*which))
        .order_by(AuditEvent.seq)
    )
    found, before = [], {}
    for ev, username in db.session.execute(q):
        key = (ev.object_type, ev.object_id)
        snapshot = json.loads(ev.data).get("snapshot") or {}
        old = before.get(key)
        raw = []
        if old is not None:
            for name in sorted(set(old) | set(snapshot)):
                if old.get(name) != snapshot.get(name):
                    raw.append((ev.object_type, name, old.get(name), snapshot.get(name)))
        found.append((ev, username, raw))
        before[key] = snapshot
    found = found[::-1][:limit]
    names = _referenced_names([change for _ev, _who, raw in found for change in raw])
    return [
        HistoryEvent(
            ev.seq,
            ev.created_at,
            username or "—",
            ev.action,
            [
                Change(
                    field,
                    _readable(otype, field, old, names),
                    _readable(otype, field, new, names),
                    labels.field_label(otype, field),
                )
                for otype, field, old, new in raw
            ],
            labels.action_label(ev.action, ev.object_type, main_type),
        )
        for ev, username, raw in found
    ]
