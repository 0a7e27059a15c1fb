"""The county / town comparison: every village of an area in one table, read from the summary
tables only (project-year and household-year summaries, projects, areas — never the ledger), with a
constant number of queries however many villages the area holds.

Rules (shown on the page as its legend):

- **Peer group** (同类村): the villages of the compared area that have a project of one type
  measured in one capacity unit (e.g. beekeeping in hives, photovoltaic in kW).
- **Yield per unit** (单位产值) of a village in a peer group: the approved output value of the
  village's projects of that type with a capacity, divided by the sum of their capacities
  (yuan per hive, per kW, per mu …). A project without a capacity has no yield and is left out.
  Without a project-type filter a village's row shows its *main* group: the one with the largest
  output value. Yields of different groups are not comparable; pick a type to rank them.
- **Outlier** (单位产值异常): a yield more than 3 scaled MADs (1.4826 × median absolute
  deviation) from its peer group's median *and* at least 30% away from it — the second condition
  keeps a group of nearly equal yields (PV arrays) from flagging ordinary variation. A group needs
  at least 5 villages with a yield; smaller groups flag nothing. Without a type filter a row is
  flagged when any of its groups flags it (the tag names the type).
- **Attainment** (目标完成率): collective income / the sum of the village's projects' annual
  collective-income targets (`output_attainment` likewise for output value); "—" without targets.
- **Weak village** (薄弱村): collective income below the threshold (config
  WEAK_VILLAGE_THRESHOLD_FEN, or the page's ?weak= in yuan).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from statistics import median

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import BigInteger, bindparam, select, type_coerce

from coopapp.access.scope import VillageRef, authorize, visible_village_refs
from coopapp.core import gcpause
from coopapp.core.money import ParseError, parse_yuan
from coopapp.core.vocabulary import PROJECT_TYPES
from coopapp.errors import BadRequest
from coopapp.models import Area, Project, ProjectTarget, ProjectYearSummary, User
from coopapp.models.base import plain_rows
from coopapp.reporting import metrics, party_metrics
from coopapp.reporting.metric_table import METRICS, compared_metric
from coopapp.villages.catalog import area_by_code

MIN_PEER_GROUP = 5
OUTLIER_MADS = 3
MAD_SCALE = Decimal("1.4826")
MIN_RELATIVE_GAP = Decimal("0.3")

# Sort keys of the page, in its columns' order → the row key they order by.
SORTED_METRICS = (
    "collective_income",
    "collective_income_growth",
    "output_value",
    "output_value_growth",
    "spending",
    "net_income",
    "yield",
    "households_benefited",
    "coverage",
    "benefit_per_household",
    "attainment",
    "output_attainment",
)
SORT_KEYS = {"name": "name", "town": "town", **{name: METRICS[name].key for name in SORTED_METRICS}}
TEXT_KEYS = ("name", "town")


@dataclass(frozen=True)
class Filters:
    """What the comparison shows: the year, an optional town and project type, the weak-village
    threshold (None: the configured one) and the order."""

    year: int
    town: str | None = None
    project_type: str | None = None
    weak_below_fen: int | None = None
    sort: str = "collective_income"
    direction: str = "desc"


def _round_fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value.to_integral_value(ROUND_HALF_UP))


@cache
def _projects_query():
    """The projects' columns the comparison needs (capacity as stored, in thousandths), built
    once; run with `ids`."""
    return (
        select(
            Project.id,
            Project.village_id,
            Project.type,
            type_coerce(Project.capacity, BigInteger),
            Project.capacity_unit,
            ProjectTarget.collective_income_fen,
            ProjectTarget.output_fen,
        )
        .outerjoin(ProjectTarget, (ProjectTarget.project_id == Project.id) & (ProjectTarget.year == bindparam("year")))
        .where(Project.village_id.in_(bindparam("ids", expanding=True)))
    )


@cache
def _outputs_query():
    """project → its approved output value in `year` (from the project-year summaries)."""
    pys = ProjectYearSummary
    return select(pys.project_id, pys.amount_fen).where(
        pys.year == bindparam("year"), pys.kind == "output", pys.village_id.in_(bindparam("ids", expanding=True))
    )


def _no_projects() -> dict:
    return {"types": set(), "income_target": 0, "output_target": 0, "groups": {}}


def _village_projects(village_ids: list[int], year: int) -> dict[int, dict]:
    """village → its project types, target sums and yield groups {(type, unit): (output, capacity
    in thousandths) of its projects with a capacity, or None when none of the type's projects has
    one}.

    Two plain queries joined here: on SQLite that is about three times faster than the join.
    (Hot: ~1,350 projects for a county; each is added up in one dict keyed by village, type and
    unit, and the villages' dicts are made from those groups.)"""
    params = {"ids": village_ids, "year": year}
    outputs = dict(plain_rows(_outputs_query(), params))
    # (village, type, unit) → [output, capacity in thousandths] of its projects with a capacity,
    # None while it has none; no unit and an empty unit are one group.
    groups: dict[tuple[int, str, str], list[int] | None] = {}
    targets: dict[int, list[int]] = {}  # village → [income target, output target]
    for pid, village_id, ptype, milli, unit, income_target, output_target in plain_rows(_projects_query(), params):
        sums = targets.get(village_id)
        if sums is None:
            sums = targets[village_id] = [0, 0]
        sums[0] += income_target or 0
        sums[1] += output_target or 0
        key = (village_id, ptype, unit or "")
        if milli and milli > 0 and unit:
            measured = groups.get(key)
            if measured is None:
                groups[key] = [int(outputs.get(pid) or 0), milli]
            else:
                measured[0] += int(outputs.get(pid) or 0)
                measured[1] += milli
        elif key not in groups:
            groups[key] = None  # the type is there, with or without a yield
    out: dict[int, dict] = {
        village_id: {"types": set(), "income_target": income, "output_target": output, "groups": {}}
        for village_id, (income, output) in targets.items()
    }
    for (village_id, ptype, unit), measured in groups.items():
        v = out[village_id]
        v["types"].add(ptype)
        v["groups"][(ptype, unit)] = None if measured is None else (measured[0], measured[1])
    return out


def peer_stats(values: list[Decimal]) -> dict:
    """A peer group's median, scaled MAD and the band outside which a yield is an outlier
    (None bounds when the group is smaller than MIN_PEER_GROUP)."""
    if not values:
        return {"villages": 0, "median": None, "mad": None, "low": None, "high": None}
    mid = Decimal(median(values))
    mad = Decimal(median([abs(v - mid) for v in values])) * MAD_SCALE
    if len(values) < MIN_PEER_GROUP:
        return {"villages": len(values), "median": mid, "mad": mad, "low": None, "high": None}
    gap = max(OUTLIER_MADS * mad, MIN_RELATIVE_GAP * abs(mid))
    # Yields are not negative: a band reaching below zero starts at zero (a negative yield is flagged).
    low = max(mid - gap, Decimal(0)) if mid >= 0 else mid - gap
    return {"villages": len(values), "median": mid, "mad": mad, "low": low, "high": mid + gap}


def is_outlier(value: Decimal | None, stats: dict) -> bool:
    """Is `value` outside its peer group's band (never when there is no band or no value)?"""
    if value is None or stats["low"] is None:
        return False
    return value < stats["low"] or value > stats["high"]


def _group_label(key: tuple[str, str]) -> str:
    return f"{key[0]}/{key[1]}" if key[1] else key[0]


def _shown_group(groups: dict, project_type: str | None) -> tuple[str, str] | None:
    """The group a row shows: the filtered type's, else the one with the largest output (among
    the groups with a yield, when there are any)."""
    best, without = None, None  # (output, capacity, key) of the best group with a yield; the last key without
    for key, pair in groups.items():  # (a loop: hot, 300 villages × their groups)
        if project_type is not None and key[0] != project_type:
            continue
        if pair is None:
            if without is None or key > without:
                without = key
        elif best is None or (pair[0], pair[1], key) > best:
            best = (pair[0], pair[1], key)
    return best[2] if best is not None else without


def _add_columns(rows: list[dict], villages: list[VillageRef], projects: dict[int, dict], f: Filters) -> list[dict]:
    """Add yield, peer group, outlier, attainment and the weak flag to each village's row;
    return the peer groups' statistics. (Hot: 300 rows for a county; per-group work is done once.)"""
    empty = _no_projects()
    infos = [projects.get(v.id, empty) for v in villages]
    # Exact yields (fen per unit: output ÷ (capacity in thousandths ÷ 1000), one division) of each
    # village's groups, and the groups' values.
    yields = [
        {k: None if pair is None else Decimal(pair[0] * 1000) / pair[1] for k, pair in i["groups"].items()}
        for i in infos
    ]
    by_group: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for per_village in yields:
        for key, value in per_village.items():
            if value is not None:
                by_group[key].append(value)
    stats = {key: peer_stats(values) for key, values in by_group.items()}
    medians = {key: _round_fen(st["median"]) for key, st in stats.items()}
    weak_below = f.weak_below_fen if f.weak_below_fen is not None else current_app.config["WEAK_VILLAGE_THRESHOLD_FEN"]
    ratio, project_type = metrics.ratio, f.project_type
    labels = {key: _group_label(key) for key in {key for per_village in yields for key in per_village}}
    for info, exact, row in zip(infos, yields, rows, strict=True):
        shown = _shown_group(info["groups"], project_type) if exact else None
        listed, flagged_types, shown_row = [], set(), None
        for key in sorted(exact):
            value = exact[key]
            flagged = value is not None and is_outlier(value, stats[key])
            if flagged and project_type is not None and key[0] != project_type:
                flagged = False
            if flagged:
                flagged_types.add(key[0])
            listed.append(
                {
                    "peer_group": labels[key],
                    "type": key[0],
                    "unit": key[1] or None,
                    "yield_fen_per_unit": _round_fen(value),
                    "outlier": flagged,
                }
            )
            if key == shown:
                shown_row = listed[-1]
        group_stats = stats.get(shown) if shown else None
        income, output = row["collective_income_fen"], row["output_value_fen"]
        row.update(
            {
                "project_types": sorted(info["types"]),
                "peer_group": shown_row["peer_group"] if shown_row else None,
                "peer_type": shown[0] if shown else None,
                "yield_unit": (shown[1] or None) if shown else None,
                "yield_fen_per_unit": shown_row["yield_fen_per_unit"] if shown_row else None,
                "peer_median_fen_per_unit": medians[shown] if group_stats else None,
                "peer_villages": group_stats["villages"] if group_stats else 0,
                "yields": listed,
                "outlier": bool(flagged_types),
                "outlier_types": sorted(flagged_types),
                "collective_income_target_fen": info["income_target"],
                "output_target_fen": info["output_target"],
                "attainment": ratio(income, info["income_target"]),
                "output_attainment": ratio(output, info["output_target"]),
                "weak": income < weak_below,
            }
        )
    return [
        {
            "peer_group": f"{k[0]}/{k[1]}",
            "type": k[0],
            "unit": k[1],
            "villages": s["villages"],
            "median_fen_per_unit": medians[k],
            "low_fen_per_unit": _round_fen(s["low"]),
            "high_fen_per_unit": _round_fen(s["high"]),
            "judged": s["low"] is not None,
        }
        for k, s in sorted(stats.items())
    ]


def _town_filter(user: User, area: Area, code: str | None) -> Area | None:
    """The ?town= filter: a town inside `area` the user may see (404 unknown, 403, 400)."""
    if not code:
        return None
    town = area_by_code(code)
    authorize(user, "view", town)
    if town.level != "town" or not town.path.startswith(area.path):
        raise BadRequest(_("%(t)s 不是 %(a)s 下的镇。", t=town.name, a=area.name), {"town": _("请选择列表中的镇。")})
    return town


def _sorted(rows: list[dict], sort: str, direction: str) -> list[dict]:
    """Rows ordered by `sort` (None always last), ties by code; ranked by the metric, highest first."""
    key = SORT_KEYS[sort]
    rank_key = SORT_KEYS["collective_income"] if sort in TEXT_KEYS else key
    ranked = sorted(rows, key=lambda r: (r[rank_key] is None, -(r[rank_key] or 0), r["code"]))
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
    present = [r for r in rows if r[key] is not None]
    missing = sorted((r for r in rows if r[key] is None), key=lambda r: r["code"])
    present.sort(key=lambda r: r["code"])
    present.sort(key=lambda r: r[key], reverse=direction == "desc")
    return present + missing


def comparison(user: User, area: Area, f: Filters, *, with_towns: bool = True, order: bool = True) -> dict:
    """The comparison of the villages the user may see under `area` for `f`.

    Raises Forbidden outside the user's scope and BadRequest for an unknown town, project type
    or sort key. Peer groups are formed over the whole area; the town and type filters only
    choose the rows shown (and the town subtotals are those of the rows shown; `with_towns=False`
    leaves them out, for callers that only want the rows; `order=False` leaves the rows in code
    order without ranks, for callers that order them themselves).
    """
    with gcpause.paused():  # (300 rows of ~60 keys, their yields and ratios: no cycles among them)
        return _comparison(user, area, f, with_towns=with_towns, order=order)


def _comparison(user: User, area: Area, f: Filters, *, with_towns: bool, order: bool) -> dict:
    authorize(user, "view", area)
    if f.project_type is not None and f.project_type not in PROJECT_TYPES:
        raise BadRequest(_("未知项目类型：%(t)s", t=f.project_type), {"type": ", ".join(PROJECT_TYPES)})
    if f.sort not in SORT_KEYS or f.direction not in ("asc", "desc"):
        raise BadRequest(_("未知排序：%(s)s", s=f.sort), {"sort": ", ".join(SORT_KEYS)})
    town = _town_filter(user, area, f.town)
    villages = visible_village_refs(user, area)
    ids = [v.id for v in villages]
    rows = metrics.village_rows(villages, f.year)
    party = party_metrics.village_party_figures(ids, area.path)
    for v, r in zip(villages, rows, strict=True):
        r.update(party[v.id])
    projects = _village_projects(ids, f.year) if ids else {}
    peer_groups = _add_columns(rows, villages, projects, f)
    towns = sorted({(v.town_code, v.town_name) for v in villages if v.town_id is not None})
    order = {t: i for i, t in enumerate(PROJECT_TYPES)}
    types = sorted({t for r in rows for t in r["project_types"]}, key=lambda t: (order.get(t, len(order)), t))
    keep = [
        (v, r)
        for v, r in zip(villages, rows, strict=True)
        if (town is None or v.town_id == town.id)
        and (f.project_type is None or f.project_type in r["project_types"])
        and metrics.listed(v, r)
    ]
    shown = [r for _v, r in keep]
    subtotals = metrics.town_totals([v for v, _r in keep], shown, f.year) if shown and with_towns else []
    targets = defaultdict(int)
    party_sums: dict[str, dict] = defaultdict(lambda: dict.fromkeys(party_metrics.SUMS, 0))
    for v, r in keep if subtotals else ():  # (no subtotals asked: nothing to sum)
        targets[v.town_code] += r["collective_income_target_fen"]
        for key in party_metrics.SUMS:
            party_sums[v.town_code][key] += r[key]
    for t in subtotals:
        t["collective_income_target_fen"] = targets[t["code"]]
        t["attainment"] = metrics.ratio(t["collective_income_fen"], targets[t["code"]])
        t.update(party_sums[t["code"]])
        party_metrics.add_ratios(t)
    return {
        "area": area,
        "year": f.year,
        "filters": f,
        "town": town,
        "rows": _sorted(shown, f.sort, f.direction) if order else shown,
        "towns": subtotals,
        "peer_groups": peer_groups,
        "town_choices": towns,
        "type_choices": types,
        "weak_below_fen": f.weak_below_fen
        if f.weak_below_fen is not None
        else current_app.config["WEAK_VILLAGE_THRESHOLD_FEN"],
        "has_data": any(metrics.has_figures(r) for r in shown),
    }


def compare_rows(user: User, area: Area, f: Filters, metric: str = "collective_income") -> list[dict]:
    """The comparison's rows ranked by `metric` (of `metric_table.COMPARE_METRICS`; BadRequest for
    another), highest first (None last), `rank` from 1."""
    key = compared_metric(metric).key
    rows = comparison(user, area, f, with_towns=False, order=False)["rows"]  # ordered here
    rows.sort(key=lambda r: (r.get(key) is None, -(r.get(key) or 0), r["code"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def filters_from(args, year: int, *, strict: bool) -> tuple[Filters, list[str]]:
    """Filters from query arguments (`town`, `type`, `weak` in yuan, `sort`, `dir`).

    strict (the API): BadRequest for a bad `weak`, `sort` or `dir`. Otherwise (pages, whose links
    we write) a bad value falls back to its default and a message says so.
    """
    problems: list[str] = []
    weak_fen = None
    raw_weak = (args.get("weak") or "").strip()
    if raw_weak:
        try:
            weak_fen = parse_yuan(raw_weak)
            if weak_fen < 0:
                raise ParseError(_("薄弱村标准不能为负数"))
        except ParseError:
            message = _("薄弱村标准无效：“%(v)s”，已使用默认标准。", v=raw_weak[:20])
            if strict:
                raise BadRequest(message, {"weak": _("以元为单位的金额，例如 100000。")}) from None
            problems.append(message)
            weak_fen = None
    sort = args.get("sort") or "collective_income"
    direction = args.get("dir") or ("asc" if sort in TEXT_KEYS else "desc")
    if sort not in SORT_KEYS or direction not in ("asc", "desc"):
        if strict:
            raise BadRequest(_("未知排序：%(s)s", s=sort[:40]), {"sort": ", ".join(SORT_KEYS)})
        sort, direction = "collective_income", "desc"
    f = Filters(
        year=year,
        town=args.get("town") or None,
        project_type=args.get("type") or None,
        weak_below_fen=weak_fen,
        sort=sort,
        direction=direction,
    )
    return f, problems


def compare(user: User, area: Area, year: int, metric: str = "collective_income") -> list[dict]:
    """Every village the user may see under `area`, ranked by `metric` (highest first), with the
    comparison's columns (yield, attainment, peer group, outlier) and no other filter."""
    return compare_rows(user, area, Filters(year=year), metric)
