"""Party organisations: 党委, 党总支, 党支部 and 联合党支部 (a joint branch covering several groups).

Each is attached to a village or a village group, founded on a date and upgraded on dates (a
branch that became a 党总支); the admin registers and upgrades them inside the admin's scope,
every change audited (the upgrade history is in the organisation's audit snapshot).
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from coopapp.access import audit
from coopapp.access.scope import area_clause, authorize, get_authorized
from coopapp.core.tx import atomic
from coopapp.core.vocabulary import PARTY_ORG_KINDS
from coopapp.errors import Invalid, NotFound
from coopapp.extensions import db
from coopapp.ledger.locks import lock_village
from coopapp.ledger.operations import today
from coopapp.models import Area, Cooperative, PartyOrg, PartyOrgUpgrade, User
from coopapp.villages.catalog import area_by_code_or_name

MAX_NAME = 100
MAX_GROUPS = 50


@dataclass
class PartyOrgInput:
    name: str
    kind: str
    area_code: str
    group_codes: list[str] = field(default_factory=list)
    founded: date | None = None


def _area(code: str, errors: dict, user: User) -> Area | None:
    if not code.strip():
        errors["area"] = _("请填写村或村民小组的名称或代码。")
        return None
    try:
        area = area_by_code_or_name(code, ("village", "group"), user.area)  # (a name: among the user's places)
    except (NotFound, Invalid) as exc:
        errors["area"] = exc.message
        return None
    if area.level not in ("village", "group"):
        errors["area"] = _("党组织只能设在村或村民小组。")
    elif area.retired:
        errors["area"] = _("%(n)s 已撤销。", n=area.name)
    return area


def _groups(data: PartyOrgInput, area: Area | None, errors: dict) -> list[Area]:
    if data.kind != "joint_branch":
        if data.group_codes:
            errors["groups"] = _("只有联合党支部覆盖多个村民小组。")
        return []
    if area is None or area.level != "village":
        errors.setdefault("area", _("联合党支部设在村，覆盖本村的几个村民小组。"))
        return []
    groups = []
    for code in dict.fromkeys(data.group_codes):
        try:
            group = area_by_code_or_name(code, ("group",), area)  # (a name: among this village's groups)
        except (NotFound, Invalid):
            group = None
        if group is None or group.level != "group" or group.parent_id != area.id or group.retired:
            errors["groups"] = _("%(c)s 不是本村在用的村民小组。", c=code)
            return []
        groups.append(group)
    if not 2 <= len(groups) <= MAX_GROUPS:
        errors["groups"] = _("联合党支部应覆盖 2 至 %(n)s 个村民小组。", n=MAX_GROUPS)
    return groups


@atomic
def create_party_org(user: User, data: PartyOrgInput) -> PartyOrg:
    """The admin registers a party organisation of a village or group (audited)."""
    errors: dict[str, str] = {}
    name = _valid_name(data.name, errors)
    if data.kind not in PARTY_ORG_KINDS:
        errors["kind"] = _("可选：%(all)s", all=", ".join(PARTY_ORG_KINDS))
    if data.founded is not None and data.founded > today():
        errors["founded"] = _("成立日期不能晚于今天。")
    area = _area(data.area_code or "", errors, user)
    groups = _groups(data, area, errors)
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    authorize(user, "manage_orgs", area)
    lock_village(area.id if area.level == "village" else area.parent_id)  # (a double tap: one at a time)
    _refuse_same_name(name, area)
    org = PartyOrg(name=name, kind=data.kind, area_id=area.id, founded=data.founded, groups=groups)
    db.session.add(org)
    db.session.flush()
    audit.record(user, "party_org.create", org)
    return org


@atomic
def upgrade_party_org(user: User, org: PartyOrg, kind: str, on: date) -> PartyOrg:
    """The admin records that the organisation became `kind` on `on` (a branch → 党总支 → 党委)."""
    authorize(user, "manage_orgs", org.area)
    errors: dict[str, str] = {}
    if kind not in PARTY_ORG_KINDS:
        errors["kind"] = _("可选：%(all)s", all=", ".join(PARTY_ORG_KINDS))
    elif kind == org.kind:
        errors["kind"] = _("已经是这一类型。")
    elif kind == "joint_branch" or org.kind == "joint_branch":
        errors["kind"] = _("联合党支部与其他类型之间不能升格，请另行登记。")
    earliest = max([org.founded, *(u.upgraded_on for u in org.upgrades)], default=None, key=lambda d: d or date.min)
    if on > today():
        errors["date"] = _("日期不能晚于今天。")
    elif earliest is not None and on < earliest:
        errors["date"] = _("日期不能早于 %(d)s（成立或上次升格）。", d=earliest.isoformat())
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    db.session.add(PartyOrgUpgrade(party_org=org, from_kind=org.kind, to_kind=kind, upgraded_on=on))
    org.kind = kind
    db.session.flush()
    audit.record(user, "party_org.upgrade", org)
    return org


def _valid_name(name: str | None, errors: dict) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = _("请填写党组织名称（不超过 %(n)s 字）。", n=MAX_NAME)
    return name


def _led_elsewhere(org: PartyOrg, area: Area) -> list[str]:
    """The cooperatives `org` leads that would no longer be in its village if it moved to `area`."""
    village_id = area.id if area.level == "village" else area.parent_id
    coops = db.session.scalars(select(Cooperative).where(Cooperative.party_org_id == org.id))
    return [c.name for c in coops if c.village_id != village_id]


@atomic
def update_party_org(
    user: User,
    org: PartyOrg,
    name: str | None = None,
    area_code: str | None = None,
    group_codes: list[str] | None = None,
) -> PartyOrg:
    """The admin corrects an organisation's name, its village or group, a joint branch's groups (audited).

    None leaves a field as it is. A move must stay inside the admin's scope and may not take the
    organisation away from the village of a cooperative it leads.
    """
    authorize(user, "manage_orgs", org.area)
    errors: dict[str, str] = {}
    new_name = org.name if name is None else _valid_name(name, errors)
    area = org.area if area_code is None else _area(area_code, errors, user)
    codes = [g.code for g in org.groups] if group_codes is None else group_codes
    groups = _groups(PartyOrgInput(new_name, org.kind, area.code if area else "", codes), area, errors)
    if area is not None and area.id != org.area_id and "area" not in errors:
        led = _led_elsewhere(org, area)
        if led:
            errors["area"] = _("%(c)s 由该党组织领办，不在新的村。", c="、".join(led))
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    authorize(user, "manage_orgs", area)
    if (new_name, area.id, {g.id for g in groups}) == (org.name, org.area_id, {g.id for g in org.groups}):
        return org
    lock_village(area.id if area.level == "village" else area.parent_id)
    _refuse_same_name(new_name, area, org)
    org.name, org.area_id, org.area, org.groups = new_name, area.id, area, groups
    db.session.flush()
    audit.record(user, "party_org.update", org)
    return org


def _refuse_same_name(name: str, area: Area, org: PartyOrg | None = None) -> None:
    """One organisation of a name in a village or group: a second (a double tap, a list registered
    twice) is refused, naming the one there."""
    q = select(PartyOrg.id).where(PartyOrg.name == name, PartyOrg.area_id == area.id)
    if org is not None:
        q = q.where(PartyOrg.id != org.id)
    same = db.session.scalar(q.limit(1))
    if same is not None:
        message = _("%(a)s 已有党组织“%(n)s”（#%(id)s），不能重复登记。", a=area.name, n=name, id=same)
        raise Invalid(message, {"name": message})


def get_party_org(org_id: int, user: User, action: str = "view") -> PartyOrg:
    """Load a party organisation the user may `action` in its village."""
    return get_authorized(PartyOrg, org_id, user, action, _("党组织不存在。"))


def party_orgs_for(user: User, village: Area | None = None) -> list[PartyOrg]:
    """Party organisations in the user's scope (optionally a village's, its groups' included)."""
    q = select(PartyOrg).join(Area, PartyOrg.area_id == Area.id).where(area_clause(user))
    if village is not None:
        q = q.where(or_(Area.id == village.id, Area.parent_id == village.id))
    return list(db.session.scalars(q.order_by(Area.code, PartyOrg.id)))
