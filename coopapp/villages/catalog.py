"""The village's things: projects, households, cooperatives and the area tree."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coopapp.access import audit
from coopapp.access.places import area_by_code, area_by_code_or_name  # noqa: F401  (callers import them from here)
from coopapp.access.scope import area_clause, authorize, get_authorized, home_village, village_rows_clause
from coopapp.core.codes import valid_credit_code, valid_id_number
from coopapp.core.limits import MAX_QUANTITY
from coopapp.core.text import DigitError, ascii_digits
from coopapp.core.tx import atomic
from coopapp.core.vocabulary import CAPACITY_UNITS, PROJECT_TYPES
from coopapp.errors import Forbidden, Invalid, NotFound
from coopapp.extensions import db
from coopapp.ledger import rollups
from coopapp.ledger.groups import retired_group_refusal, village_groups
from coopapp.ledger.operations import today
from coopapp.models import Area, Cooperative, Household, Membership, PartyOrg, Project, User
from coopapp.models.base import get_by_id
from coopapp.models.households import new_public_token
from coopapp.villages import targets
from coopapp.villages.privacy import household_privacy


def village_by_code(code: str) -> Area:
    """The village with this code (404 if none, or if the code is a town's or a group's)."""
    area = area_by_code(code)
    if area.level != "village":
        raise NotFound(_("区域不存在：%(c)s", c=code))
    return area


def get_village(code: str | None, user: User, action: str = "view") -> Area:
    """Load the village `code` names, or without a code the user's own village, that the user may `action`.

    404 for a code that is no village's; 403 outside the user's scope, or when there is no code
    and the user works for no village (a reviewer, an admin).
    """
    if code:
        village = village_by_code(code)
    else:
        village = home_village(user)
        if village is None:
            raise Forbidden(_("此页面只供村会计和村书记使用。"))
    authorize(user, action, village)
    return village


def village_group(village: Area, code: str | None) -> Area | None:
    """The village group (村民小组) `code` of the village; None without a code; 404 when the
    village has no such group."""
    if not code:
        return None
    for group in village_groups(village.id):
        if group.code == code:
            return group
    raise NotFound(_("本村没有这个村民小组：%(g)s", g=code))


def get_village_or_group(code: str, group_code: str | None, user: User) -> tuple[Area, Area | None]:
    """The village `code` and, with `group_code`, one of its groups, which the user may view: the
    group's books are readable by who may view the village, and by the group's own leader."""
    village = village_by_code(code)
    group = village_group(village, group_code)
    authorize(user, "view", group or village)
    return village, group


def get_area(code: str | None, user: User, action: str = "view") -> Area:
    """Load the area `code` names, or without a code the user's own area, that the user may `action`."""
    area = area_by_code(code) if code else user.area
    authorize(user, action, area)
    return area


def child_path(parent: Area | None, code: str) -> str:
    """The materialised path of a new child area."""
    return f"{parent.path if parent else '/'}{code}/"


def add_area(
    code: str, name: str, level: str, parent: Area | None, *, actor=None, published_name: str | None = None
) -> Area:
    """Add a node to the area tree and record it in the audit chain (caller commits)."""
    area = Area(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=child_path(parent, code),
        published_name=published_name,
        retired=False,
    )
    db.session.add(area)
    audit.record(actor, "area.create", area)
    return area


def list_areas(user: User, parent_code: str | None = None, level: str | None = None) -> list[Area]:
    """Areas inside the user's scope, optionally the children of one or of one level."""
    q = select(Area).where(area_clause(user))
    if parent_code:
        parent = area_by_code(parent_code)
        authorize(user, "view", parent)
        q = q.where(Area.parent_id == parent.id)
    if level:
        q = q.where(Area.level == level)
    return list(db.session.scalars(q.order_by(Area.code)))


# ---- projects -------------------------------------------------------------


@dataclass
class ProjectInput:
    name: str
    type: str
    village_code: str | None = None
    cooperative_id: int | None = None
    capacity: Decimal | None = None
    capacity_unit: str | None = None
    # This year's targets (earlier and later years: villages.targets.set_target).
    target_output_fen: int | None = None
    target_collective_income_fen: int | None = None
    active: bool = True
    group: str | None = None  # the village group's code or name (组账村代记)


def _project_group(data: ProjectInput, village: Area, errors: dict, keep_id: int | None) -> int | None:
    """The id of the village group named by `data.group` (code or name), among the village's groups;
    a retired one only if it is the project's own (`keep_id`)."""
    wanted = (data.group or "").strip()
    if not wanted:
        return None
    for group in village_groups(village.id):
        if wanted in (group.code, group.name):
            refusal = retired_group_refusal(group, keep_id)
            if refusal is not None:
                errors["group"] = refusal
                return None
            return group.id
    errors["group"] = _("本村没有这个村民小组：%(g)s", g=wanted)
    return None


def _apply_project(project: Project, data: ProjectInput, village: Area) -> None:
    errors = {}
    if not (data.name or "").strip():
        errors["name"] = _("请填写项目名称。")
    if data.type not in PROJECT_TYPES:
        errors["type"] = _("未知项目类型：%(t)s", t=data.type)
    if data.capacity is not None and not 0 <= data.capacity < MAX_QUANTITY:
        errors["capacity"] = _("规模应为不太大的非负数。")
    if data.capacity is not None and data.capacity_unit not in CAPACITY_UNITS:
        errors["capacity_unit"] = _("请选择规模单位。")
    for field in ("target_output_fen", "target_collective_income_fen"):
        if (getattr(data, field) or 0) < 0:
            errors[field.removesuffix("_fen")] = _("目标不能为负数。")
    if data.cooperative_id is not None:
        coop = get_by_id(Cooperative, data.cooperative_id)
        if coop is None or coop.village_id != village.id:
            errors["cooperative_id"] = _("合作社不属于本村。")
    group_id = _project_group(data, village, errors, project.group_id)
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    project.group_id = group_id
    project.name, project.type, project.village_id = data.name.strip(), data.type, village.id
    project.cooperative_id = data.cooperative_id
    project.capacity = data.capacity
    project.capacity_unit = data.capacity_unit if data.capacity is not None else None
    project.active = data.active


@atomic
def create_project(user: User, village: Area, data: ProjectInput) -> Project:
    """The secretary adds a project to the village."""
    authorize(user, "manage_village", village)
    project = Project()
    _apply_project(project, data, village)
    db.session.add(project)
    audit.record(user, "project.create", project)
    _this_years_target(user, project, data)
    return project


def _this_years_target(user: User, project: Project, data: ProjectInput) -> None:
    targets.apply_target(user, project, today().year, data.target_output_fen, data.target_collective_income_fen)


@atomic
def update_project(user: User, project: Project, data: ProjectInput) -> Project:
    """The secretary edits a project of the village."""
    authorize(user, "manage_village", project.village)
    _apply_project(project, data, project.village)
    audit.record(user, "project.update", project)
    _this_years_target(user, project, data)
    return project


def get_project(project_id: int, user: User, action: str = "view") -> Project:
    """Load a project the user may `action`."""
    return get_authorized(Project, project_id, user, action, _("项目不存在。"))


def projects_for(user: User, village: Area | None = None) -> list[Project]:
    """Projects in the user's scope (optionally one village's)."""
    q = select(Project).join(Area, Project.village_id == Area.id)
    q = q.where(village_rows_clause(user, Project.village_id, Project.group_id))
    q = q.options(selectinload(Project.targets))
    if village is not None:
        q = q.where(Project.village_id == village.id)
    return list(db.session.scalars(q.order_by(Area.code, Project.id)))


# ---- households -----------------------------------------------------------


@dataclass
class HouseholdInput:
    head_name: str
    members: int = 1
    group_code: str | None = None
    phone: str | None = None
    id_number: str | None = None
    formerly_poor: bool = False
    monitored: bool = False


MAX_MEMBERS = 50  # as the household form


def _apply_household(household: Household, data: HouseholdInput, village: Area) -> None:
    errors = {}
    if not (data.head_name or "").strip():
        errors["head_name"] = _("请填写户主姓名。")
    if data.members is None or data.members < 1:
        errors["members"] = _("家庭人口至少 1 人。")
    elif data.members > MAX_MEMBERS:
        errors["members"] = _("家庭人口不能超过 %(n)s 人。", n=MAX_MEMBERS)
    group = None
    if data.group_code:
        group = db.session.scalar(select(Area).where(Area.code == data.group_code))
        if group is None or group.parent_id != village.id:
            errors["group_code"] = _("村民小组不属于本村。")
        elif (refusal := retired_group_refusal(group, household.group_id)) is not None:
            errors["group_code"] = refusal
    id_number = (data.id_number or "").strip().upper() or None
    if id_number is not None:
        if not valid_id_number(id_number):
            errors["id_number"] = _("身份证号码无效（18 位，校验码不符）。")
        else:
            clash = db.session.scalar(
                select(Household.id).where(Household.id_number == id_number, Household.id != household.id)
            )
            if clash:
                errors["id_number"] = _("该身份证号码已登记在另一户。")
    phone = (data.phone or "").strip() or None
    if phone is not None:
        try:
            phone = ascii_digits(phone, _("电话号码"))  # full-width digits become ASCII; "٣" or "²" is refused
        except DigitError as exc:
            errors["phone"] = str(exc)
        else:
            if not (phone.isascii() and phone.isdigit() and 7 <= len(phone) <= 15):
                errors["phone"] = _("电话号码应为 7–15 位数字。")
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    household.village_id, household.group_id = village.id, group.id if group else None
    household.head_name, household.members = data.head_name.strip(), data.members
    household.phone, household.id_number = phone, id_number
    household.formerly_poor, household.monitored = bool(data.formerly_poor), bool(data.monitored)


def apply_household(household: Household, data: HouseholdInput, village: Area) -> None:
    """The same checks `create_household` makes, for a bulk load (an import) that adds households itself."""
    _apply_household(household, data, village)


@atomic
def create_household(user: User, village: Area, data: HouseholdInput) -> Household:
    """The secretary registers a household of the village."""
    authorize(user, "manage_village", village)
    household = Household()
    _apply_household(household, data, village)
    db.session.add(household)
    audit.record(user, "household.create", household)
    return household


@atomic
def update_household(user: User, household: Household, data: HouseholdInput) -> Household:
    """The secretary edits a household (audited)."""
    authorize(user, "manage_village", household.village)
    was_poor = bool(household.formerly_poor)
    _apply_household(household, data, household.village)
    if bool(household.formerly_poor) != was_poor:  # the village's 脱贫户 benefit figures change
        rollups.refresh_benefit(household.village_id)
    audit.record(user, "household.update", household)
    return household


@atomic
def reissue_public_link(user: User, household: Household) -> Household:
    """The secretary gives the household a new public-page key (the statement's QR code): the
    old link and every printed copy of it stop working at once. For a lost or misused statement.
    Audited; the key itself stays out of the audit chain, which is not secret."""
    authorize(user, "manage_village", household.village)
    household.public_token = new_public_token()
    audit.record(user, "household.public_link", household)
    return household


def get_household(household_id: int, user: User, action: str = "view") -> Household:
    """Load a household the user may `action`."""
    return get_authorized(Household, household_id, user, action, _("农户不存在。"))


def households_query(user: User, village: Area | None = None, search: str | None = None):
    """Households in the user's scope, optionally one village's or matching a name."""
    q = select(Household).join(Area, Household.village_id == Area.id).where(area_clause(user))
    if village is not None:
        q = q.where(Household.village_id == village.id)
    # Searching by name would confirm a name exists even where names are shown masked.
    if search and household_privacy(user, village or user.area).names:
        q = q.where(Household.head_name.contains(search, autoescape=True))
    return q.order_by(Household.village_id, Household.id)


def households_for(user: User, village: Area | None = None, search: str | None = None) -> list[Household]:
    """`households_query` as a list (at most 2,000)."""
    return list(db.session.scalars(households_query(user, village, search).limit(2000)))


# ---- cooperatives and party organisations ----------------------------------


def add_cooperative(
    name: str, credit_code: str, village: Area, party_org: PartyOrg | None = None, actor: User | None = None
) -> Cooperative:
    """Register a cooperative (demo, tests; audited as `actor`); its credit code must pass the
    GB 32100 checksum (caller commits). Admins use `villages.cooperatives.create_cooperative`."""
    code = (credit_code or "").strip().upper()
    if not valid_credit_code(code):
        raise Invalid(_("统一社会信用代码无效（18 位，校验码不符）。"), {"credit_code": _("统一社会信用代码无效。")})
    coop = Cooperative(name=name, credit_code=code, village_id=village.id, party_org=party_org)
    db.session.add(coop)
    audit.record(actor, "cooperative.create", coop)
    return coop


def cooperatives_of(village: Area) -> list[Cooperative]:
    """The village's cooperatives."""
    return list(db.session.scalars(select(Cooperative).where(Cooperative.village_id == village.id)))


def page_households(user: User, village: Area, search: str | None = None, *, page: int, per_page: int):
    """One page of a village's households (a Flask-SQLAlchemy Pagination; past the end: no items)."""
    q = households_query(user, village, search)
    return db.paginate(q, page=page, per_page=per_page, max_per_page=100, error_out=False)


# ---- memberships (shares in a cooperative) ---------------------------------


MAX_SHARES = Decimal(10) ** 9


@atomic
def set_shares(user: User, household: Household, cooperative_id: int, shares: Decimal, since: date) -> Membership:
    """The secretary records the household's shares in a cooperative from `since` on (audited)."""
    authorize(user, "manage_village", household.village)
    errors = {}
    coop = get_by_id(Cooperative, cooperative_id)
    if coop is None or coop.village_id != household.village_id:
        errors["cooperative_id"] = _("合作社不属于本村。")
    if shares is None or not isinstance(shares, int | Decimal):
        errors["shares"] = _("请填写股份数。")
    elif shares < 0:
        errors["shares"] = _("股份不能为负数；退股请填 0。")
    elif shares >= MAX_SHARES or Decimal(shares) != Decimal(shares).quantize(Decimal("0.001")):
        errors["shares"] = _("股份应为不太大的数，最多三位小数。")
    if since is None:
        errors["since"] = _("请填写变更日期。")
    elif since > today():
        errors["since"] = _("变更日期不能晚于今天。")
    if not errors:
        clash = db.session.scalar(
            select(Membership.id).where(
                Membership.household_id == household.id,
                Membership.cooperative_id == cooperative_id,
                Membership.since == since,
            )
        )
        if clash:
            errors["since"] = _("这一天已有一次股份变更；同一天只能记录一次。")
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    membership = Membership(household_id=household.id, cooperative_id=coop.id, shares=Decimal(shares), since=since)
    db.session.add(membership)
    audit.record(user, "membership.create", membership)
    return membership


@dataclass
class Holdings:
    """A household's share history (newest first) and what it holds today, per cooperative."""

    history: list[Membership]
    current: list[tuple[Cooperative, Decimal]]


def memberships_of(household: Household) -> Holdings:
    """Every share change of the household, newest first, and its current shares per cooperative."""
    q = (
        select(Membership)
        .where(Membership.household_id == household.id)
        .options(selectinload(Membership.cooperative))
        .order_by(Membership.since.desc(), Membership.id.desc())
    )
    history = list(db.session.scalars(q))
    now, current, seen = today(), [], set()
    for m in history:
        if m.since <= now and m.cooperative_id not in seen:
            seen.add(m.cooperative_id)
            current.append((m.cooperative, Decimal(m.shares)))
    current.sort(key=lambda pair: pair[0].id)
    return Holdings(history, current)
