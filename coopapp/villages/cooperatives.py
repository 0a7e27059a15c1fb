"""Cooperatives (农民专业合作社): name, 统一社会信用代码, village, leading party organisation.

The admin registers and edits them, inside the admin's scope; every change is audited.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.access import audit
from coopapp.access.scope import area_clause, authorize, get_authorized
from coopapp.core.codes import clean_credit_code, credit_code_problem
from coopapp.core.tx import atomic
from coopapp.errors import Invalid, NotFound
from coopapp.extensions import db
from coopapp.models import Area, Cooperative, PartyOrg, User
from coopapp.models.base import get_by_id
from coopapp.villages.catalog import area_by_code_or_name

MAX_NAME = 200


@dataclass
class CooperativeInput:
    name: str
    credit_code: str
    village_code: str
    party_org_id: int | None = None


def _village(code: str, errors: dict, user: User) -> Area | None:
    try:
        village = area_by_code_or_name(code, ("village",), user.area)  # (a name: among the user's villages)
    except NotFound:
        errors["village"] = _("村不存在：%(c)s（写村名或村代码）", c=code)
        return None
    except Invalid as exc:
        errors["village"] = exc.message
        return None
    if village.level != "village":
        errors["village"] = _("%(c)s 不是村。", c=village.code)
    elif village.retired:
        errors["village"] = _("%(n)s 已撤销，不能再登记合作社。", n=village.name)
    return village


def _apply(user: User, coop: Cooperative, data: CooperativeInput) -> None:
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = _("请填写合作社名称（不超过 %(n)s 字）。", n=MAX_NAME)
    code = clean_credit_code(data.credit_code)
    problem = credit_code_problem(code)
    if problem is not None:
        errors["credit_code"] = problem
    else:
        clash = db.session.scalar(
            select(Cooperative.name).where(Cooperative.credit_code == code, Cooperative.id != coop.id)
        )
        if clash:
            errors["credit_code"] = _("该统一社会信用代码已登记：%(n)s。", n=clash)
    village = _village(data.village_code or "", errors, user)
    if data.party_org_id is not None:
        org = get_by_id(PartyOrg, data.party_org_id)
        if org is None or village is None or org.village.id != village.id:
            errors["party_org_id"] = _("党组织不属于本村。")
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)
    authorize(user, "manage_orgs", village)
    coop.name, coop.credit_code, coop.village_id, coop.party_org_id = name, code, village.id, data.party_org_id


@atomic
def create_cooperative(user: User, data: CooperativeInput) -> Cooperative:
    """The admin registers a cooperative of a village (audited)."""
    coop = Cooperative()
    _apply(user, coop, data)
    db.session.add(coop)
    db.session.flush()
    audit.record(user, "cooperative.create", coop)
    return coop


@atomic
def update_cooperative(user: User, coop: Cooperative, data: CooperativeInput) -> Cooperative:
    """The admin corrects a cooperative: name, credit code, village, leading party organisation."""
    authorize(user, "manage_orgs", coop.village)
    _apply(user, coop, data)
    audit.record(user, "cooperative.update", coop)
    return coop


def get_cooperative(coop_id: int, user: User, action: str = "view") -> Cooperative:
    """Load a cooperative the user may `action`."""
    return get_authorized(Cooperative, coop_id, user, action, _("合作社不存在。"))


def cooperatives_for(user: User, village: Area | None = None) -> list[Cooperative]:
    """Cooperatives in the user's scope (optionally one village's), by village code then id."""
    q = select(Cooperative).join(Area, Cooperative.village_id == Area.id).where(area_clause(user))
    if village is not None:
        q = q.where(Cooperative.village_id == village.id)
    return list(db.session.scalars(q.order_by(Area.code, Cooperative.id)))
