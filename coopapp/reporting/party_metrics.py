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

from collections import defaultdict

from sqlalchemy import String, and_, func, literal, or_, select, union_all
from sqlalchemy import null as sa_null

from coopapp.core.vocabulary import PARTY_ORG_KINDS
from coopapp.extensions import db
from coopapp.models import Area, Cooperative, PartyOrg
from coopapp.models.orgs import party_org_groups
from coopapp.reporting.metrics import ratio

KIND_KEYS = {kind: f"party_orgs_{kind}" for kind in PARTY_ORG_KINDS}
SUMS = ("groups", "party_branches", "party_groups_covered", *KIND_KEYS.values(), "coops_led")


def _empty() -> dict:
    return dict.fromkeys(SUMS, 0)


def _figures_query(village_ids: list[int], under: str | None = None):
    """One UNION ALL: (tag, id, village, kind, level) rows — `g` a group in use, `o` a party
    organisation (its area and the area's parent), `j` a group a joint branch covers, `c` a
    village's count of led cooperatives (in `id`). With `under` (the path of an area holding
    every village asked for) the rows are those under it, found by the indexed path prefix
    rather than by a list of hundreds of ids, which costs SQLite four times as much."""
    if under is not None:
        return _figures_under(under)
    in_use = and_(Area.level == "group", Area.retired.is_(False), Area.parent_id.in_(village_ids))
    none = sa_null().cast(String)
    groups = select(literal("g"), Area.id, Area.parent_id, none, none).where(in_use)
    orgs = (
        select(literal("o"), Area.id, Area.parent_id, PartyOrg.kind, Area.level)
        .join(Area, PartyOrg.area_id == Area.id)
        .where(or_(Area.id.in_(village_ids), Area.parent_id.in_(village_ids)))
    )
    joint = (
        select(literal("j"), party_org_groups.c.group_id, Area.parent_id, none, none)
        .join(Area, party_org_groups.c.group_id == Area.id)
        .where(in_use)
    )
    led = (
        select(literal("c"), func.count(), Cooperative.village_id, none, none)
        .where(Cooperative.party_org_id.is_not(None), Cooperative.village_id.in_(village_ids))
        .group_by(Cooperative.village_id)
    )
    return union_all(groups, orgs, joint, led)


def _under(path: str):
    """Areas whose path starts with `path` ("/441323/…/", ending in "/"). On SQLite, as the byte
    range ["/441323/", "/4413230"): "0" follows "/", and the range uses the path index where
    LIKE does not; PostgreSQL's LIKE uses its text_pattern_ops index."""
    if db.engine.dialect.name == "sqlite":
        return and_(Area.path >= path, Area.path < path[:-1] + "0")
    return Area.path.startswith(path, autoescape=True)


def _figures_under(path: str):
    """`_figures_query`'s rows for every village under the area at `path`."""
    under = _under(path)
    in_use = and_(Area.level == "group", Area.retired.is_(False), under)
    none = sa_null().cast(String)
    groups = select(literal("g"), Area.id, Area.parent_id, none, none).where(in_use)
    orgs = (
        select(literal("o"), Area.id, Area.parent_id, PartyOrg.kind, Area.level)
        .join(Area, PartyOrg.area_id == Area.id)
        .where(under)
    )
    joint = (
        select(literal("j"), party_org_groups.c.group_id, Area.parent_id, none, none)
        .join(Area, party_org_groups.c.group_id == Area.id)
        .where(in_use)
    )
    led = (
        select(literal("c"), func.count(), Cooperative.village_id, none, none)
        .join(Area, Cooperative.village_id == Area.id)
        .where(Cooperative.party_org_id.is_not(None), under)
        .group_by(Cooperative.village_id)
    )
    return union_all(groups, orgs, joint, led)


def village_party_figures(village_ids: list[int], under: str | None = None) -> dict[int, dict]:
    """village → its party figures (the module's list), for every id given; one query. `under`:
    the path of an area that holds all those villages (rows of other villages under it are
    passed over)."""
    out = {vid: _empty() for vid in village_ids}
    if not village_ids:
        return out
    rows = db.session.execute(_figures_query(village_ids, under)).all()
    if under is not None:
        rows = [r for r in rows if (r[1] if r[0] == "o" and r[4] != "group" else r[2]) in out]
    groups = {area_id for tag, area_id, *_rest in rows if tag == "g"}
    covered: dict[int, set[int]] = defaultdict(set)  # village → its groups with an organisation
    for tag, area_id, parent_id, kind, level in rows:
        if tag == "g":
            out[parent_id]["groups"] += 1
        elif tag == "j":
            covered[parent_id].add(area_id)
        elif tag == "c":
            out[parent_id]["coops_led"] = int(area_id)
        else:
            village = parent_id if level == "group" else area_id
            row = out[village]
            row[KIND_KEYS.get(kind, "party_orgs_branch")] += 1
            if level == "group":
                if area_id in groups:
                    covered[village].add(area_id)
                row["party_branches"] += int(kind in ("branch", "joint_branch"))
            elif kind == "joint_branch":
                row["party_branches"] += 1
    for vid, found in covered.items():
        out[vid]["party_groups_covered"] = len(found)
    for row in out.values():
        add_ratios(row)
    return out


def add_ratios(row: dict) -> None:
    """The two ratios of a village's or a town's sums (None without groups)."""
    row["party_branches_per_group"] = ratio(row["party_branches"], row["groups"])
    row["party_group_coverage"] = ratio(row["party_groups_covered"], row["groups"])
