"""An object's change history for its page, read from the audit chain: when, who, the action
and the fields it changed, all in the user's language (the labels: `audit_labels`)."""

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from coopapp.access import audit
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


# What an import sets on every row it creates (`imports.bulk._snapshot_template`): with the next
# event's snapshot otherwise, a candidate for the row's snapshot at its import (see `_imported`).
_AS_IMPORTED = {"status": "draft", "return_reason": None, "reviewed_by_id": None}
_AS_IMPORTED |= {"reversal_reason": None, "reverses_id": None}


def _imported(leaf: str, candidates) -> dict | None:
    """The snapshot a row had when its import created it, when one of the candidates is it: the
    batch's event keeps only its leaf (`audit.vouches`), so a candidate is taken only if its leaf
    is that one. None: not known (the row was edited before its next event)."""
    for snapshot in candidates:
        if snapshot is not None and audit.leaf(audit.canonical(snapshot)) == leaf:
            return snapshot
    return None


def _vouching_leaf(ev, key) -> str | None:
    """The leaf that a batch's event (`audit.vouches`) holds for the object `key`, if it vouches for it."""
    try:
        rows = audit.vouched(json.loads(ev.data))
    except (ValueError, KeyError, TypeError):
        return None
    if rows is None or rows[0] != key[0]:
        return None
    return dict(rows[1]).get(key[1])


def object_history(obj, related=(), limit: int = 50) -> list[HistoryEvent]:
    """The audit events about `obj` and the `related` objects (a project's yearly targets), newest first.

    At most `limit` events, each with the fields it changed: a field changed when its value
    differs from the same object's previous snapshot; an object's first event (its creation, or
    its adoption by a migration) lists no fields. Who: the actor's display name (else username). Actions, fields and
    values read in the user's language (`audit_labels`): 合并, 上级区域: 441323110 高潭镇 → …
    A row an import created has no event of its own: its batch's event, which vouches for it, is
    shown as its creation (`<type>.import`).
    """
    main_type = AUDITED_NAME[type(obj)]
    by_type: dict[str, list[int]] = {}
    batches: dict[int, list] = {}  # import batch id → the objects it created
    for o in (obj, *related):
        by_type.setdefault(AUDITED_NAME[type(o)], []).append(o.id)
        if getattr(o, "import_batch_id", None) is not None:
            batches.setdefault(o.import_batch_id, []).append(o)
    which = [(AuditEvent.object_type == kind) & AuditEvent.object_id.in_(ids) for kind, ids in by_type.items()]
    if batches:
        of_batch = (AuditEvent.object_type == "import_batch") & AuditEvent.object_id.in_(batches)
        which.append(of_batch & (AuditEvent.action == "import_batch.create"))
    q = (
        select(AuditEvent, func.coalesce(func.nullif(User.display_name, ""), User.username))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(or_(*which))
        .order_by(AuditEvent.seq)
    )
    events = []  # (event, who, the object's key, its snapshot, the leaf when a batch's event vouches for it)
    for ev, username in db.session.execute(q):
        if ev.object_type == "import_batch" and ev.object_id in batches and "import_batch" not in by_type:
            for o in batches[ev.object_id]:
                key = (AUDITED_NAME[type(o)], o.id)
                one = _vouching_leaf(ev, key)
                if one is not None:
                    events.append((ev, username, key, None, one, o))
            continue
        key = (ev.object_type, ev.object_id)
        events.append((ev, username, key, json.loads(ev.data).get("snapshot") or {}, None, None))
    found, before = [], {}
    for n, (ev, username, key, snapshot, one, o) in enumerate(events):
        action = ev.action
        if one is not None:  # a row's import: its snapshot then, if the next event or the row shows it
            later = next((s for _e, _u, k, s, _l, _o in events[n + 1 :] if k == key), None)
            candidates = [o.audit_snapshot()] if later is None else [later | _AS_IMPORTED]
            snapshot, action = _imported(one, candidates), f"{key[0]}.import"
        old = before.get(key)
        raw = []
        if old is not None and snapshot is not None:
            for name in sorted(set(old) | set(snapshot)):
                if old.get(name) != snapshot.get(name):
                    raw.append((key[0], name, old.get(name), snapshot.get(name)))
        found.append((ev, username, raw, action, key[0]))
        if snapshot is not None:
            before[key] = snapshot
    found = found[::-1][:limit]
    names = _referenced_names([change for _ev, _who, raw, _a, _t in found for change in raw])
    return [
        HistoryEvent(
            ev.seq,
            ev.created_at,
            username or "—",
            action,
            [
                Change(
                    field,
                    _readable(otype, field, old, names),
                    _readable(otype, field, new, names),
                    labels.field_label(otype, field),
                )
                for otype, field, old, new in raw
            ],
            labels.action_label(action, object_type, main_type),
        )
        for ev, username, raw, action, object_type in found
    ]
