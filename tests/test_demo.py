"""The Huidong demo data: loads once, stays consistent, and tells the brief's story."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopapp.access import accounts, audit
from coopapp.core.codes import valid_credit_code, valid_id_number
from coopapp.core.vocabulary import KINDS, PAYOUT_KINDS
from coopapp.demo import DEMO_USERS, DISPLAY_NAMES, load_demo
from coopapp.demo.entries import split
from coopapp.errors import Invalid
from coopapp.extensions import db as _db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.ledger.permissions import first_open_month
from coopapp.models import (
    Area,
    AuditEvent,
    ClosedMonth,
    Cooperative,
    GroupMonthlySummary,
    Household,
    LedgerEntry,
    LedgerWarning,
    Membership,
    Project,
    User,
    Voucher,
)
from coopapp.reporting import metrics, party_metrics

from .builders import demo_loaded

PASSWORD = "demo-pass-2025"


def _row_counts() -> dict[str, int]:
    return {t.name: _db.session.scalar(select(func.count()).select_from(t)) for t in _db.metadata.sorted_tables}


def _area(code: str) -> Area:
    return _db.session.scalar(select(Area).where(Area.code == code))


def test_demo_loads_once_consistently_and_tells_the_story(db):
    # Loading the demo takes a few seconds, so one test checks everything about one load.
    assert demo_loaded(PASSWORD) is True
    counts = _row_counts()

    assert audit.verify() is None
    assert rollups.verify() == []
    _demo_county_has_its_settings()
    _this_months_spending_went_through_the_rules()

    county = _area("441323")
    towns = db.session.scalars(select(Area).where(Area.parent_id == county.id, Area.level == "town")).all()
    assert len(towns) == 16 and all(len(t.code) == 9 and t.code.startswith("441323") for t in towns)
    villages = db.session.scalars(select(Area).where(Area.level == "village")).all()
    assert len(villages) >= 24
    assert all(len(v.code) == 12 and v.parent.code == v.code[:9] for v in villages)
    groups = db.session.scalars(select(Area).where(Area.level == "group")).all()
    assert all(len(g.code) == 15 and g.parent.code == g.code[:12] for g in groups)
    groups_per_village = {v.id: sum(g.parent_id == v.id for g in groups) for v in villages}
    assert all(2 <= n <= 6 for n in groups_per_village.values())
    assert _area("441323001201").name == "碧山村"
    assert any(g.name == "大湖洋村民小组" and g.parent.name == "碧山村" for g in groups)
    assert _area("441323110202").name == "甘溪村" and _area("441323110202").parent.name == "高潭镇"

    zhongdong, bawei = _area("441323110201"), _area("441323107203")
    assert (zhongdong.name, zhongdong.parent.name, bawei.name, bawei.parent.name) == (
        "中洞村",
        "高潭镇",
        "八维村",
        "多祝镇",
    )
    zd = metrics.village_summary(zhongdong, 2025)
    assert 130_000_000 <= zd["output_value_fen"] <= 170_000_000
    bees = next(p for p in zd["projects"] if p["type"] == "beekeeping")
    assert bees["capacity"] == Decimal(3200) and bees["capacity_unit"] == "hive"
    bw = metrics.village_summary(bawei, 2025)
    assert 2_500_000 <= bw["collective_income_fen"] <= 3_500_000
    rows = metrics.village_rows(villages, 2025)
    assert any(r["weak"] for r in rows) and any(r["collective_income_fen"] > 50_000_000 for r in rows)
    # Party branches in the groups, in the source's proportions (about half the groups; 53% there).
    party = party_metrics.village_party_figures([v.id for v in villages])
    branches, groups_counted = (sum(p[k] for p in party.values()) for k in ("party_branches", "groups"))
    assert 0.3 <= branches / groups_counted <= 0.75
    assert any(p["party_orgs_joint_branch"] for p in party.values())
    assert all(p["party_groups_covered"] <= p["groups"] for p in party.values())
    growths = [r["collective_income_growth"] for r in rows]
    assert any(g > 0 for g in growths) and any(g < 0 for g in growths)

    # Seasonality: honey comes in spring and autumn, PV follows the sun.
    def monthly(project_type: str, village: Area, kind: str, year: int = 2025) -> dict[str, int]:
        q = (
            select(LedgerEntry.period, func.sum(LedgerEntry.amount_fen))
            .join(Project, Project.id == LedgerEntry.project_id)
            .where(Project.type == project_type, LedgerEntry.village_id == village.id, LedgerEntry.kind == kind)
            .where(LedgerEntry.period.like(f"{year}-%"), LedgerEntry.status == "approved")
            .group_by(LedgerEntry.period)
        )
        return {period[5:]: int(total) for period, total in db.session.execute(q)}

    honey = monthly("beekeeping", zhongdong, "output")
    assert min(honey["04"], honey["05"], honey["10"], honey["11"]) > 5 * max(honey["01"], honey["07"], honey["08"])
    sun = monthly("photovoltaic", bawei, "collective_income")
    assert len(sun) == 12 and sun["07"] > sun["02"]

    # Two full years approved, every payout to a household of the project's own village.
    periods = set(db.session.scalars(select(LedgerEntry.period).where(LedgerEntry.village_id == zhongdong.id)))
    assert {f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)} <= periods
    payouts = db.session.execute(
        select(LedgerEntry.household_id, Household.village_id, Project.village_id, LedgerEntry.village_id)
        .outerjoin(Household, Household.id == LedgerEntry.household_id)
        .join(Project, Project.id == LedgerEntry.project_id)
        .where(LedgerEntry.kind.in_(PAYOUT_KINDS))
    ).all()
    assert len(payouts) > 1000
    assert all(hid is not None and hv == pv == ev for hid, hv, pv, ev in payouts)
    assert all(isinstance(a, int) for a in db.session.scalars(select(LedgerEntry.amount_fen).limit(500)))

    # Work waiting in the current month; 2024 and 2025 closed in the two pilot villages.
    current = ledger.current_period()
    for village in (zhongdong, bawei):
        statuses = db.session.scalars(
            select(LedgerEntry.status).where(LedgerEntry.village_id == village.id, LedgerEntry.period == current)
        ).all()
        assert statuses.count("submitted") >= 2 and statuses.count("returned") == 1 and statuses.count("draft") == 1
        closed = set(db.session.scalars(select(ClosedMonth.period).where(ClosedMonth.village_id == village.id)))
        assert closed == {f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)}
        assert first_open_month(village.id, max(closed)) is None  # closed in order (months close in order)
    returned = db.session.scalars(select(LedgerEntry).where(LedgerEntry.status == "returned")).all()
    assert all(e.return_reason for e in returned)
    assert db.session.scalar(select(func.count()).where(LedgerEntry.period > current)) == 0

    # Synthetic people and cooperatives with valid checksums.
    households = db.session.scalars(select(Household)).all()
    assert all(valid_id_number(h.id_number) and h.id_number.startswith("441323") for h in households)
    per_village = {v.id: sum(h.village_id == v.id for h in households) for v in villages}
    assert all(30 <= n <= 120 for n in per_village.values())
    poor = sum(h.formerly_poor for h in households) / len(households)
    assert 0.08 <= poor <= 0.25 and any(h.monitored for h in households)
    coops = db.session.scalars(select(Cooperative)).all()
    assert coops and all(valid_credit_code(c.credit_code) for c in coops)
    assert all(m.shares > 0 for m in db.session.scalars(select(Membership)))

    # The users, scoped as the brief says (and 高潭镇's reviewer and admin), log in with the password.
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert set(users) == {name for name, _role, _code in DEMO_USERS}
    for name, role, code in DEMO_USERS:
        assert users[name].role == role and users[name].area.code == code
        assert users[name].display_name == DISPLAY_NAMES[name]
        assert accounts.authenticate(name, PASSWORD).username == name

    # The reviewers' disclosure calendar: the two staffed villages published on time, the rest never.
    from coopapp.disclosure import operations as disclosure

    rows = {r.village.code: r for r in disclosure.calendar(users["county.reviewer"], county)}
    assert not rows["441323110201"].overdue and rows["441323110201"].last_period is not None
    assert not rows["441323107203"].overdue and rows["441323107203"].last_period is not None
    assert all(r.overdue for code, r in rows.items() if code not in ("441323110201", "441323107203"))

    # Loading again adds nothing but resets every password, each reset audited.
    assert load_demo("new-pass-2026") is False
    again = _row_counts()
    assert again.pop("audit_events") == counts.pop("audit_events") + len(DEMO_USERS)
    assert again == counts
    for name, _role, _code in DEMO_USERS:
        assert accounts.authenticate(name, "new-pass-2026").username == name
    assert audit.verify() is None


def _demo_county_has_its_settings():
    """The demo county's rules (县级设置), saved through the operation and audited."""
    from coopapp.demo.settings import OPERATING
    from coopapp.settings import for_area

    county = _db.session.scalar(select(Area).where(Area.code == "441323"))
    settings = for_area(county)
    assert settings.voucher_required_above_fen == 20_000 and settings.cash_warning_above_fen == 100_000
    assert settings.plan_town_approval_above_fen == 1_000_000 and settings.non_productive_cap_fen == 5_000_000
    assert settings.tier_for("cost", 1_000_001).kinds == tuple(k for k in OPERATING if k in KINDS)
    assert settings.tier_for("cost", 1_000_000) is None
    events = _db.session.scalar(select(func.count()).where(AuditEvent.object_type == "county_settings"))
    assert events == 1


def _this_months_spending_went_through_the_rules():
    """This month's spending (coopapp/demo/spending.py), recorded through the operations since the
    county set its rules: each with its receipt photo; the large repairs and the cash electricity
    bill wait for their towns, the office supplies counted at the secretary's approval (凭证号)."""
    from coopapp.demo.spending import DONGTOU, SPENDING

    rows = _db.session.scalars(select(LedgerEntry).where(LedgerEntry.payee.is_not(None))).all()
    by_note = {e.note: e for e in rows}
    assert len(rows) == len(SPENDING) and set(by_note) == {spec[-1] for spec in SPENDING}
    waiting = {e.note for e in rows if e.status == "awaiting_town"}
    assert waiting == {"摇蜜机、抽水泵维修", "村委会办公用电电费", "光伏逆变器更换"}
    supplies = by_note["账本、票据夹等办公用品"]
    assert supplies.status == "approved" and supplies.voucher_no is not None and supplies.category == "办公费"
    photos = _db.session.execute(select(Voucher.entry_id, Voucher.content_type)).all()
    assert sorted(photos) == sorted((e.id, "image/jpeg") for e in rows)
    warnings = {(w.entry_id, w.rule) for w in _db.session.scalars(select(LedgerWarning))}
    assert (by_note["村委会办公用电电费"].id, "cash_over") in warnings
    # 墩头村民小组's books (组账村代记): its pond's lease and its track's repair, counted in its summaries.
    group = _area(DONGTOU)
    summed = _db.session.execute(
        select(GroupMonthlySummary.kind, func.sum(GroupMonthlySummary.amount_fen))
        .where(GroupMonthlySummary.group_id == group.id)
        .group_by(GroupMonthlySummary.kind)
    ).all()
    assert dict(summed) == {"collective_income": 360_000, "welfare_expense": 240_000}
    leader = _db.session.scalar(select(User).where(User.username == "zhongdong.dongtou"))
    assert (leader.role, leader.area_id) == ("group_leader", group.id)


def test_demo_refuses_a_weak_password_and_writes_nothing(db):
    with pytest.raises(Invalid):
        load_demo("short")
    assert db.session.scalar(select(func.count()).select_from(Area)) == 0


def test_cli_demo_reports_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(args=["coop", "demo", "--password", "password"])
    assert result.exit_code != 0 and "密码" in result.output


@pytest.mark.parametrize("total", [0, 1, 7, 100_003, 150_000_000])
def test_split_is_exact_to_the_fen(total):
    parts = split(total, [0.2, 0.0, 0.35, 0.45])
    assert sum(parts) == total and parts[1] == 0 and all(p >= 0 for p in parts)
