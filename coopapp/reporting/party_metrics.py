"""The party figures of the comparison, per village and summed per town.

- `groups`: the village's village groups in use (not retired);
- `party_branches`: branches at group level — a 党支部 attached to a group, and every
  联合党支部 (which covers several groups) — the source's 1,185 branches of 2,239 groups;
- `party_branches_per_group`: party_branches ÷ groups (the source's 53%);
- `party_group_coverage`: groups with a party organisation of their own or covered by a joint
  branch ÷ groups;
- `party_orgs_<kind>`: the village's organisations (village and groups) of each kind;
- `coops_led`: the village's cooperatives led by a party organisation.

One query for any number of villages (village groups, party organisations, joint branches'
groups and led cooperatives, UNION ALL), none per village.
"""

from functools import cache

from sqlalchemy import String, and_, bindparam, func, literal, or_, select, union_all
from sqlalchemy import null as sa_null

from coopapp.access.scope import path_params, under_path
from coopapp.core.vocabulary import PARTY_ORG_KINDS
from coopapp.extensions import db
from coopapp.models import Area, Cooperative, PartyOrg
from coopapp.models.base import plain_rows
from coopapp.models.orgs import party_org_groups
from coopapp.reporting.metrics import ratio

KIND_KEYS = {kind: f"party_orgs_{kind}" for kind in PARTY_ORG_KINDS}
SUMS = ("groups", "party_branches", "party_groups_covered", *KIND_KEYS.values(), "coops_led")


def _empty() -> dict:
    return dict.fromkeys(SUMS, 0)


@cache
def _figures_query(dialect: str, under: bool):
    """One UNION ALL of counts, (tag, village, kind, n): `g` the village's groups in use, `v` those
    of them with a party organisation of their own or covered by a joint branch, `o` / `p` its
    organisations of `kind` attached to the village / to one of its groups, `c` its cooperatives
    led by a party organisation. Counted in the database, so a county's thousands of groups come
    back as a few hundred rows; built once, run with `ids` or, `under`, with
    `access.scope.path_params` (the areas under an area holding every village asked for, found by
    the indexed path prefix rather than by a list of hundreds of ids, which costs SQLite four times
    as much; rows of other villages under it come back too)."""
    if under:
        # (villages by their level too: the path index holds it, so the other areas under the path
        # — a county's thousands of groups — are passed over in the index, never looked up)
        in_area = under_path(dialect)
        village_in = and_(Area.level == "village", in_area)
    else:
        ids = bindparam("ids", expanding=True)
        in_area, village_in = Area.parent_id.in_(ids), Area.id.in_(ids)
    in_use = and_(Area.level == "group", Area.retired.is_(False), in_area)
    none = sa_null().cast(String)
    groups = select(literal("g"), Area.parent_id, none, func.count()).where(in_use).group_by(Area.parent_id)
    has_org = or_(
        Area.id.in_(select(PartyOrg.area_id)),
        Area.id.in_(select(party_org_groups.c.group_id)),
    )
    covered = select(literal("v"), Area.parent_id, none, func.count()).where(in_use, has_org).group_by(Area.parent_id)
    own = (
        select(literal("o"), Area.id, PartyOrg.kind, func.count())
        .join(Area, PartyOrg.area_id == Area.id)
        .where(village_in)
        .group_by(Area.id, PartyOrg.kind)
    )
    of_groups = (
        select(literal("p"), Area.parent_id, PartyOrg.kind, func.count())
        .join(Area, PartyOrg.area_id == Area.id)
        .where(Area.level == "group", in_area)
        .group_by(Area.parent_id, PartyOrg.kind)
    )
    led = (
        select(literal("c"), Cooperative.village_id, none, func.count())
        .join(Area, Cooperative.village_id == Area.id)
        .where(Cooperative.party_org_id.is_not(None), village_in)
        .group_by(Cooperative.village_id)
    )
    return union_all(groups, covered, own, of_groups, led)


# Where a count of `_figures_query` goes in a village's figures (`o` and `p` by their kind).
_COUNTED = {"g": "groups", "v": "party_groups_covered", "c": "coops_led"}
# Branches at group level: a group's 党支部 or 联合党支部, and a village's 联合党支部 (which covers groups).
_BRANCHES = {("p", "branch"), ("p", "joint_branch"), ("o", "joint_branch")}


def village_party_figures(village_ids: list[int], under: str | None = None) -> dict[int, dict]:
    """village → its party figures (the module's list), for every id given; one query. `under`:
    the path of an area that holds all those villages (rows of other villages under it are
    passed over)."""
    out = {vid: _empty() for vid in village_ids}
    if not village_ids:
        return out
    query = _figures_query(db.engine.dialect.name, under is not None)
    params = path_params(under) if under is not None else {"ids": village_ids}
    for tag, village, kind, n in plain_rows(query, params):
        row = out.get(village)
        if row is None:
            continue
        n = int(n)
        if tag in _COUNTED:
            row[_COUNTED[tag]] += n
            continue
        row[KIND_KEYS.get(kind, "party_orgs_branch")] += n
        if (tag, kind) in _BRANCHES:
            row["party_branches"] += n
    for row in out.values():
        add_ratios(row)
    return out


def add_ratios(row: dict) -> None:
    """The two ratios of a village's or a town's sums (None without groups)."""
    row["party_branches_per_group"] = ratio(row["party_branches"], row["groups"])
    row["party_group_coverage"] = ratio(row["party_groups_covered"], row["groups"])
