"""The area tree as the county keeps it: the first county, then towns, villages and groups.

Every change is an operation of an admin, inside the admin's scope, recorded in the audit
chain. Level and parent follow from the code (see `coopapp.core.codes`); a village group's
code is its village's code plus a 3-digit number.
"""

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.access.scope import area_clause, authorize, forbidden
from coopapp.access.users import add_user
from coopapp.core.codes import area_level, canonical_area_code, parent_area_code
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, Invalid, NotFound
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger.permissions import Refusal, refuse
from coopapp.models import Area, Household, User
from coopapp.villages.catalog import add_area, child_path

MAX_NAME = 100
LEVEL_ALIASES = {
    "county": "county",
    "县": "county",
    "town": "town",
    "镇": "town",
    "乡镇": "town",
    "village": "village",
    "村": "village",
    "group": "group",
    "村民小组": "group",
    "组": "group",
}


# The NBS table names a village or community by its committee and a 街道 by its office.
_SHOWN_SUFFIXES = (
    ("村民委员会", "村"),
    ("居民委员会", ""),
    ("村委会", "村"),
    ("居委会", ""),
    ("街道办事处", "街道"),
)


def shown_name(published: str) -> str:
    """The name a place is shown by: 义和村委会 → 义和村, 北门社区居委会 → 北门社区, 平山街道办事处 → 平山街道."""
    name = (published or "").strip()
    for suffix, replacement in _SHOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


def _one(message: str, field: str):
    return Invalid(message, {field: message})


def _clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name or "").strip()
    if not name:
        raise _one(_("请填写名称。"), "name")
    if len(name) > MAX_NAME:
        raise _one(_("名称不能超过 %(n)s 个字。", n=MAX_NAME), "name")
    return name


def _by_code(code: str) -> Area | None:
    return db.session.scalar(select(Area).where(Area.code == code))


def database_is_empty() -> bool:
    """True when no area and no user exists yet: the only state `init_county` accepts."""
    return db.session.scalar(select(Area.id).limit(1)) is None and db.session.scalar(select(User.id).limit(1)) is None


@atomic
def init_county(code: str, name: str, admin_username: str, password: str) -> User:
    """Turn an empty database into a county: its area and its first administrator (both audited)."""
    if not database_is_empty():
        raise Conflict(_("数据库不是空的：已有区域或用户，不能再初始化。"))
    code = canonical_area_code(code, field="county")
    if area_level(code) != "county":
        raise _one(_("县级区划代码是 6 位数字（或补零到 12 位）：%(c)s", c=code), "county")
    if not (name or "").strip():
        raise _one(_("请填写县的名称。"), "name")
    add_area(code, name.strip(), "county", None)
    db.session.flush()
    return add_user(admin_username, password, "admin", code)


@dataclass
class AreaInput:
    """A new area as a form, a file row or the API describes it."""

    code: str
    name: str
    level: str | None = None
    parent_code: str | None = None
    published_name: str | None = None


def checked_level(level: str | None, code: str) -> str:
    """The level the code implies; `level`, when given, must agree with it."""
    implied = area_level(code)
    if level in (None, ""):
        return implied
    given = LEVEL_ALIASES.get(str(level).strip().lower())
    if given is None:
        raise _one(_("未知层级：%(l)s（可选：县、镇、村、村民小组）", l=level), "level")
    if given != implied:
        raise _one(
            _("层级与代码不符：%(c)s 是 %(n)s 位，应为%(l)s级。", c=code, n=len(code), l=_level_label(implied)), "level"
        )
    return implied


def _level_label(level: str) -> str:
    return {"county": _("县"), "town": _("镇"), "village": _("村"), "group": _("村民小组")}[level]


def resolve_parent(code: str, parent_code: str | None) -> Area:
    """The existing, not retired area a new `code` belongs under (its code's prefix)."""
    expected = parent_area_code(code)
    if expected is None:
        raise _one(_("县只能用 coop init 建立。"), "code")
    if parent_code not in (None, ""):
        given = canonical_area_code(parent_code, field="parent")
        if given != expected:
            raise _one(_("上级代码应为 %(p)s（代码 %(c)s 的前几位）。", p=expected, c=code), "parent")
    parent = _by_code(expected)
    if parent is None:
        raise _one(_("上级区域不存在：%(p)s（请先建立它）。", p=expected), "parent")
    if parent.retired:
        raise _one(_("上级区域已撤销：%(p)s %(n)s。", p=parent.code, n=parent.name), "parent")
    return parent


@atomic
def create_area(actor: User, data: AreaInput) -> Area:
    """Add a town, village or group; level and parent follow from the code."""
    code = canonical_area_code(data.code, field="code")
    level = checked_level(data.level, code)
    name = _clean_name(data.name)
    parent = resolve_parent(code, data.parent_code)
    authorize(actor, "manage_areas", parent)
    if _by_code(code) is not None:
        raise _one(_("代码已存在：%(c)s", c=code), "code")
    published = (data.published_name or "").strip() or None
    return add_area(code, name, level, parent, actor=actor, published_name=published)


@atomic
def rename_area(actor: User, area: Area, name: str, published_name: str | None = None) -> Area:
    """Give an area a new shown name (and, from a file, its new published name)."""
    authorize(actor, "manage_areas", area)
    name = _clean_name(name)
    if name == area.name and (published_name is None or published_name == area.published_name):
        return area
    old = area.name
    area.name = name
    if published_name is not None:
        area.published_name = published_name.strip() or None
    if name == old:  # only the published name is new (an NBS table's 中洞村委会 for 中洞村)
        audit.record(actor, "area.published_name", area)
    else:
        audit.record(actor, "area.rename", area, {"from": old})
    return area


def _next_group_code(village: Area, wanted_suffix: str) -> str:
    taken = set(db.session.scalars(select(Area.code).where(Area.parent_id == village.id)))
    if f"{village.code}{wanted_suffix}" not in taken:
        return f"{village.code}{wanted_suffix}"
    for n in range(1, 1000):
        code = f"{village.code}{n:03d}"
        if code not in taken and _by_code(code) is None:
            return code
    raise _one(_("%(v)s 的村民小组代码已用完。", v=village.name), "parent")


def _move_group(actor: User, group: Area, village: Area) -> None:
    old_code = group.code
    code = _next_group_code(village, group.code[-3:])
    group.code, group.parent_id, group.parent, group.path = code, village.id, village, child_path(village, code)
    audit.record(actor, "area.move", group, {"from": old_code})
    for household in db.session.scalars(select(Household).where(Household.group_id == group.id)):
        household.village_id = village.id
        db.session.flush()
        audit.record(actor, "household.update", household, {"reason": "area.move"})


def _target_village(code: str, field: str) -> Area:
    village = _by_code(canonical_area_code(code, field=field))
    if village is None or village.level != "village":
        raise _one(_("不存在这个村：%(c)s", c=code), field)
    if village.retired:
        raise _one(_("这个村已撤销：%(c)s %(n)s", c=village.code, n=village.name), field)
    return village


@atomic
def move_group(actor: User, group: Area, village_code: str) -> Area:
    """Move a village group (with its households) under another village; it takes that village's code prefix."""
    if group.level != "group":
        raise _one(_("只有村民小组可以移到别的村。"), "code")
    village = _target_village(village_code, "parent")
    authorize(actor, "manage_areas", group)
    authorize(actor, "manage_areas", village)
    if village.id != group.parent_id:
        _move_group(actor, group, village)
    return group


def _children(area: Area) -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.parent_id == area.id).order_by(Area.code)))


def retire_refusal(actor: User, area: Area, live_children: bool | None = None) -> Refusal:
    """Why `actor` may not retire `area` (its 撤销 button and `retire_area` ask this): a county is never
    retired, and an area's children go first. `live_children`: whether it has children not retired,
    when the caller knows (the tree page, from the tree it lists); else it is looked up."""
    refusal = forbidden(actor, "manage_areas", area)
    if refusal is not None:
        return refusal
    if area.level == "county":
        return _one(_("县不能撤销。"), "code")
    if live_children is None:
        live_children = any(not child.retired for child in _children(area))
    if live_children:
        return _one(_("%(n)s 下还有未撤销的区域，请先撤销或移走它们。", n=area.name), "retired")
    return None


def retire_consequence(area: Area) -> str:
    """What retiring says before it is done: it cannot be undone, what stays, and 撤并 for a merge."""
    text = _(
        "将撤销 %(n)s（%(c)s）：撤销后不能恢复。它的台账、农户和历史都保留，但不再出现在各处的选择列表中。",
        n=area.name,
        c=area.code,
    )
    if area.level == "village":
        text += _("如果这个村是并入了别的村，请改用“撤并”：它的村民小组和农户会转到留存的村。")
    return text


@atomic
def retire_area(actor: User, area: Area) -> Area:
    """Retire an area: kept with its history and ledger, hidden from pickers. Its children first."""
    refuse(retire_refusal(actor, area))
    if not area.retired:
        area.retired = True
        audit.record(actor, "area.retire", area)
    return area


def _merge_date(value) -> date:
    """The merge date as a `date`: a date, an ISO string (forms, the API), or None for today."""
    if value in (None, ""):
        return ledger.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _one(_("撤并日期格式应为 YYYY-MM-DD：%(d)s", d=value), "merged_on") from None


# No merge is dated before the ledger's first year (the years the app accepts for any date).
FIRST_MERGE_DAY = date(2000, 1, 1)


def _check_merge_date(merged_on: date, village: Area, survivor: Area) -> None:
    """Refuse a merge date in the future, before 2000, or before a merge into the merged village (a
    chain must run forward in time). A date before the villages were entered here is fine: a county
    that moves in today records the 撤并 of years ago, and a village's books may run on to the end of
    its last year."""
    if merged_on > ledger.today():
        raise _one(_("撤并日期不能晚于今天（%(d)s）。", d=ledger.today().isoformat()), "merged_on")
    if merged_on < FIRST_MERGE_DAY:
        raise _one(_("撤并日期不能早于 %(d)s。", d=FIRST_MERGE_DAY.isoformat()), "merged_on")
    absorbed = db.session.scalar(select(func.max(Area.merged_on)).where(Area.merged_into_id == village.id))
    if absorbed is not None and merged_on < absorbed:
        raise _one(
            _("撤并日期不能早于其他村并入%(n)s的日期（%(d)s）。", n=village.name, d=absorbed.isoformat()), "merged_on"
        )


@atomic
def merge_village(actor: User, village: Area, survivor_code: str, merged_on: date | str | None = None) -> Area:
    """撤并村: the village's groups and households move into the survivor; the village keeps
    its history and ledger, is retired and remembers where it went and when (`merged_on`,
    default today; not in the future, not before either village is known)."""
    if village.level != "village":
        raise _one(_("只有村可以撤并。"), "code")
    if village.retired:
        raise _one(_("这个村已撤销：%(c)s %(n)s", c=village.code, n=village.name), "code")
    survivor = _target_village(survivor_code, "merged_into")
    if survivor.id == village.id:
        raise _one(_("不能并入自己。"), "merged_into")
    authorize(actor, "manage_areas", village)
    authorize(actor, "manage_areas", survivor)
    when = _merge_date(merged_on)
    _check_merge_date(when, village, survivor)
    for group in _children(village):
        _move_group(actor, group, survivor)
    for household in db.session.scalars(select(Household).where(Household.village_id == village.id)):
        household.village_id = survivor.id
        db.session.flush()
        audit.record(actor, "household.update", household, {"reason": "area.merge"})
    village.retired, village.merged_into_id, village.merged_on = True, survivor.id, when
    audit.record(actor, "area.merge", village, {"into": survivor.code})
    return village


@atomic
def change_area(
    actor: User,
    area: Area,
    *,
    name: str | None = None,
    parent: str | None = None,
    retire=None,
    merged_into: str | None = None,
    merged_on: str | None = None,
) -> Area:
    """One change request (the API's PATCH): rename, move a group, retire, merge a village into
    another (`merged_into`, with `merged_on`, default today) — all or nothing."""
    authorize(actor, "manage_areas", area)
    if retire is not None and not isinstance(retire, bool):
        raise _one(_("retired 只能是 true 或 false。"), "retired")
    if retire is False and area.retired:
        raise _one(_("撤销的区域不能恢复。"), "retired")
    if name:
        rename_area(actor, area, name)
    if parent:
        move_group(actor, area, parent)
    if merged_on and not merged_into:
        raise _one(_("撤并日期只和并入村（merged_into）一起填写。"), "merged_on")
    if merged_into:
        merge_village(actor, area, merged_into, merged_on)
    if retire:
        retire_area(actor, area)
    return area


def area_or_404(code: str) -> Area:
    """The area with this code in either form (404 if none)."""
    try:
        area = _by_code(canonical_area_code(code, field="code"))
    except Invalid:
        area = None
    if area is None:
        raise NotFound(_("区域不存在：%(c)s", c=code))
    return area


def area_tree(user: User, *, include_retired: bool = True) -> list[Area]:
    """The areas inside the user's scope, in code order (a depth-first walk of the tree)."""
    q = select(Area).where(area_clause(user))
    if not include_retired:
        q = q.where(Area.retired.is_(False))
    return list(db.session.scalars(q.order_by(Area.path)))


def retired_codes(codes: list[str]) -> set[str]:
    """Which of `codes` are retired (merged or closed) areas: pickers leave them out."""
    if not codes:
        return set()
    return set(db.session.scalars(select(Area.code).where(Area.code.in_(codes), Area.retired.is_(True))))


def village_choices(user: User, leave_out: Area | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The villages in use a picker offers inside the user's scope, grouped by town, in code
    order: [(town label, [(code, "code name"), …]), …]; `leave_out` (the village itself) is not
    offered. Retired and merged villages are left out."""
    tree = area_tree(user, include_retired=False)
    towns = {a.id: f"{a.code} {a.name}" for a in tree if a.level == "town"}
    grouped: dict[str, list[tuple[str, str]]] = {}
    for a in tree:
        if a.level == "village" and (leave_out is None or a.id != leave_out.id):
            town = towns.get(a.parent_id) or (a.parent.name if a.parent is not None else "")
            grouped.setdefault(town, []).append((a.code, f"{a.code} {a.name}"))
    return list(grouped.items())
