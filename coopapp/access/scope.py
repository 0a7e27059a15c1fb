"""Who may do what, where: the one place every view, API route and query asks."""

from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, bindparam, select
from sqlalchemy.orm import aliased

from coopapp.errors import Forbidden, NotFound
from coopapp.extensions import db
from coopapp.models import Area, User
from coopapp.models.base import get_by_id, plain_rows

# What each role may do inside its scope. Everything else is refused.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "accountant": frozenset({"view", "view_private", "create_entry", "submit_entry", "reverse_entry"}),
    "secretary": frozenset(
        {"view", "view_private", "review_entry", "close_month", "manage_village", "distribute", "set_targets"}
    ),
    "reviewer": frozenset({"view"}),
    # 镇三资代理会计, scoped to a town: the town's approval after the secretary's (entries above a tier,
    # a month's reopening, a large plan).
    "town_accountant": frozenset({"view", "view_private", "town_review"}),
    # 村民小组长: reads the books of their village group (their area), writes nothing.
    "group_leader": frozenset({"view"}),
    "admin": frozenset({"view", "manage_users", "manage_areas", "manage_orgs", "set_targets", "manage_settings"}),
}
# Village-bound roles act only on villages (and their groups), never on a whole town.
VILLAGE_ROLES = frozenset({"accountant", "secretary"})
# Town-bound roles act on a whole town (its villages), their scope is a town.
TOWN_ROLES = frozenset({"town_accountant"})
# Group-bound roles act only on a village group (村民小组): their area is the group.
GROUP_ROLES = frozenset({"group_leader"})


def can(user: User, action: str, area: Area) -> bool:
    """Does `user` hold `action` over `area`? The single authorization rule."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if action not in ROLE_ACTIONS.get(user.role, ()):
        return False
    return area is not None and user.area.covers(area)


class OutOfScope(Forbidden):
    """The scope rule's refusal. Its message is translated when read: a page of many entries asks
    the predicates of every row and shows none of their refusals (see ledger.permissions)."""

    def __init__(self) -> None:
        Exception.__init__(self)
        self.fields = {}

    @property
    def message(self) -> str:
        return _("无权限：此操作超出您的账号权限或管辖范围。")

    def __str__(self) -> str:
        return self.message


def forbidden(user: User, action: str, area: Area) -> Forbidden | None:
    """The refusal `authorize` raises, or None when `can(user, action, area)`."""
    if can(user, action, area):
        return None
    return OutOfScope()


def authorize(user: User, action: str, area: Area) -> None:
    """Raise Forbidden unless `can(user, action, area)`."""
    refusal = forbidden(user, action, area)
    if refusal is not None:
        raise refusal


def get_authorized(model, ident, user: User, action: str, missing: str):
    """The `model` row with id `ident` whose village the user may `action`; NotFound(`missing`) when there is none."""
    record = get_by_id(model, ident)
    if record is None:
        raise NotFound(missing)
    authorize(user, action, record_area(record))
    return record


def record_area(record) -> Area:
    """The area whose scope covers a village's record: for the books of a village group (an entry
    or a project of 组账村代记, their `scope_area`) that group, else the village. A village's users
    cover its groups; a group's leader covers that group's books only (not its households)."""
    scope_area = getattr(record, "scope_area", None)
    return scope_area if scope_area is not None else record.village


def area_clause(user: User, path_column=Area.path) -> ColumnElement[bool]:
    """A WHERE clause limiting an Area-joined query to the user's scope (an admin's too: a town's
    admin sees that town's subtree only)."""
    return path_column.startswith(user.area.path, autoescape=True)


def village_ids_clause(user: User, village_column) -> ColumnElement[bool]:
    """A WHERE clause for a `village_id` column: only villages inside the scope."""
    visible = select(Area.id).where(area_clause(user))
    return village_column.in_(visible)


def village_rows_clause(user: User, village_column, group_column) -> ColumnElement[bool]:
    """A WHERE clause for rows of a village that may belong to one of its groups (entries,
    projects): `village_ids_clause`, except for a user whose scope is a village group, who sees
    only the rows of that group — never another group's, nor the village's ungrouped rows."""
    if user.area.level == "group":
        return group_column == user.area.id
    return village_ids_clause(user, village_column)


def visible_villages(user: User, under: Area | None = None) -> list[Area]:
    """Villages the user may see, optionally under one area, ordered by code."""
    q = select(Area).where(Area.level == "village", area_clause(user))
    if under is not None:
        q = q.where(Area.path.startswith(under.path, autoescape=True))
    return list(db.session.scalars(q.order_by(Area.code)))


class VillageRef(NamedTuple):
    """A village and its town as tables of many villages need them (no Area objects loaded)."""

    id: int
    code: str
    name: str
    town_id: int | None
    town_code: str
    town_name: str
    retired: bool = False  # 撤销: listed in a year's tables only with figures of that year (`metrics.listed`)


def village_ref(village: Area) -> VillageRef:
    town = village.parent
    return VillageRef(
        village.id,
        village.code,
        village.name,
        village.parent_id,
        town.code if town else "",
        town.name if town else "",
        bool(village.retired),
    )


def under_path(dialect: str) -> ColumnElement[bool]:
    """Areas whose path starts with a bound path (see `path_params`), for statements built once.
    On SQLite, as the byte range [:lo, :hi) — ["/441323/", "/4413230"): "0" follows "/" — which
    uses the path index where LIKE does not; PostgreSQL's LIKE uses its text_pattern_ops index."""
    if dialect == "sqlite":
        return and_(Area.path >= bindparam("lo"), Area.path < bindparam("hi"))
    return Area.path.like(bindparam("prefix"), escape="\\")


def path_params(path: str) -> dict:
    """The bound values of `under_path` for an area's path ("/441323/…/", ending in "/")."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {"lo": path, "hi": path[:-1] + "0", "prefix": escaped + "%"}


@cache
def _village_refs_query(dialect: str):
    """The statement of `visible_village_refs`, built once (building it cost more than running it)."""
    town = aliased(Area)
    return (
        select(Area.id, Area.code, Area.name, Area.parent_id, town.code, town.name, Area.retired)
        .outerjoin(town, town.id == Area.parent_id)
        .where(Area.level == "village", under_path(dialect))
        .order_by(Area.code)
    )


def visible_village_refs(user: User, under: Area | None = None) -> list[VillageRef]:
    """`visible_villages` as plain rows with their towns, in one query (the comparison's list).
    Both the scope and `under` are subtrees: the villages are those under the deeper of the two
    (none when neither holds the other)."""
    path = user.area.path
    if under is not None:
        if under.path.startswith(path):
            path = under.path
        elif not path.startswith(under.path):
            return []
    rows = plain_rows(_village_refs_query(db.engine.dialect.name), path_params(path))
    return [
        VillageRef(vid, code, name, town_id, town_code or "", town_name or "", bool(retired))
        for vid, code, name, town_id, town_code, town_name, retired in rows
    ]


def home_village(user: User) -> Area | None:
    """The village an accountant or secretary works for."""
    if user.role in VILLAGE_ROLES and user.area.level in ("village", "group"):
        area = user.area
        while area.level != "village" and area.parent is not None:
            area = area.parent
        return area
    return None
