"""Cooperatives and party organisations: listed in the caller's scope, registered by admins."""

from flask import jsonify
from flask_babel import gettext as _

from coopapp.api.common import bp, json_body, require_role_for, user, valid_form, village_arg
from coopapp.api.serializers import jsonable
from coopapp.errors import Invalid
from coopapp.models import Cooperative, PartyOrg
from coopapp.villages import cooperatives, party_orgs
from coopapp.villages.forms import CooperativeForm
from coopapp.villages.party_org_forms import PartyOrgChangeForm, PartyOrgForm, UpgradeForm
from coopapp.villages.party_orgs import MAX_GROUPS


def cooperative_json(coop: Cooperative) -> dict:
    """A cooperative as the API answers it."""
    return {
        "id": coop.id,
        "name": coop.name,
        "credit_code": coop.credit_code,
        "village": coop.village.code,
        "village_name": coop.village.name,
        "party_org_id": coop.party_org_id,
        "party_org": coop.party_org.name if coop.party_org is not None else None,
    }


@bp.get("/cooperatives")
def list_cooperatives():
    """[{id, name, credit_code, village, village_name, party_org_id, party_org}] in the caller's scope; ?village=CODE."""
    me = user()
    coops = cooperatives.cooperatives_for(me, village_arg(me))
    return jsonify([cooperative_json(c) for c in coops])


@bp.post("/cooperatives")
def create_cooperative():
    """An admin registers a cooperative {name, credit_code, village, party_org_id?} → 201."""
    me = require_role_for("manage_orgs")
    form = valid_form(CooperativeForm, json_body())
    return jsonify(cooperative_json(cooperatives.create_cooperative(me, form.to_input()))), 201


def party_org_json(org: PartyOrg) -> dict:
    """A party organisation as the API answers it, with its groups and upgrade history."""
    return jsonable(
        {
            "id": org.id,
            "name": org.name,
            "kind": org.kind,
            "area": org.area.code,
            "area_name": org.area.name,
            "groups": [g.code for g in org.groups],
            "founded": org.founded,
            "upgrades": [{"date": u.upgraded_on, "from_kind": u.from_kind, "kind": u.to_kind} for u in org.upgrades],
        }
    )


def _group_codes(payload: dict) -> list[str]:
    groups = payload.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(c, str) for c in groups) or len(groups) > MAX_GROUPS:
        raise Invalid(_("请改正标出的字段。"), {"groups": _("应为村民小组代码的列表。")})
    return groups


@bp.get("/party-orgs")
def list_party_orgs():
    """Party organisations in the caller's scope; ?village=CODE: a village's, its groups' included."""
    me = user()
    orgs = party_orgs.party_orgs_for(me, village_arg(me))
    return jsonify([party_org_json(o) for o in orgs])


@bp.post("/party-orgs")
def create_party_org():
    """An admin registers a party organisation {name, kind, area, groups?, founded?} → 201."""
    me = require_role_for("manage_orgs")
    payload = json_body()
    form = valid_form(PartyOrgForm, {k: v for k, v in payload.items() if k != "groups"})
    org = party_orgs.create_party_org(me, form.to_input(_group_codes(payload)))
    return jsonify(party_org_json(org)), 201


@bp.patch("/party-orgs/<int:org_id>")
def change_party_org(org_id: int):
    """An admin corrects {name?, area?, groups?}: a field left out stays as it is."""
    me = require_role_for("manage_orgs")
    org = party_orgs.get_party_org(org_id, me, "manage_orgs")
    payload = json_body()
    form = valid_form(PartyOrgChangeForm, {k: v for k, v in payload.items() if k != "groups"})
    groups = _group_codes(payload) if "groups" in payload else None
    org = party_orgs.update_party_org(me, org, form.name.data, form.area.data, groups)
    return jsonify(party_org_json(org))


@bp.post("/party-orgs/<int:org_id>/upgrade")
def upgrade_party_org(org_id: int):
    """An admin records an upgrade {kind, date}: a branch became a 党总支, a 党总支 a 党委."""
    me = require_role_for("manage_orgs")
    org = party_orgs.get_party_org(org_id, me, "manage_orgs")
    form = valid_form(UpgradeForm, json_body())
    return jsonify(party_org_json(party_orgs.upgrade_party_org(me, org, form.kind.data, form.date.data)))
