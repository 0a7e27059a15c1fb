"""A plan's life on the world's data, through the services: draft → approve → publish → reverse."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.distributions import plans as distributions
from coopapp.distributions.plans import DeductionInput
from coopapp.distributions.rows import plan_list_rows, plan_view
from coopapp.errors import Conflict, Forbidden, Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import Distribution, LedgerEntry
from coopapp.reporting import metrics
from coopapp.villages.privacy import MASKED, Privacy

from .builders import plan_input, written


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def sec(world):
    return world.users["secretary"]


def _entries(kind: str | None = None) -> list[LedgerEntry]:
    q = select(LedgerEntry).order_by(LedgerEntry.id)
    if kind:
        q = q.where(LedgerEntry.kind == kind)
    return list(db.session.scalars(q))


def _benefit_total(world) -> int:
    year = int(ledger.current_period()[:4])
    return metrics.village_summary(world.village, year)["benefit_total_fen"]


def test_draft_approve_publish_reverse_keeps_the_ledger_and_rollups_exact(app, world, sec):
    with app.test_request_context():
        h0, h1, h2 = world.households
        plan = distributions.draft_plan(sec, plan_input(world))
        assert plan.status == "draft"
        assert [d.amount_fen for d in plan.deductions] == [450_000, 100_000]
        assert plan.distributable_fen == 2_450_000
        # 24,500 split 10 : 5; the odd fen goes to the larger remainder (李四's 2/3).
        assert {ln.household_id: ln.amount_fen for ln in plan.lines} == {h0.id: 1_633_333, h1.id: 816_667}
        assert h2.id not in {ln.household_id for ln in plan.lines}
        assert _entries() == []

        distributions.approve_plan(sec, plan)
        assert plan.status == "approved" and _entries() == []

        distributions.publish_plan(sec, plan)
        assert plan.status == "published" and plan.published_at is not None
        dividends = _entries("dividend")
        assert sorted((e.household_id, e.amount_fen) for e in dividends) == [(h0.id, 1_633_333), (h1.id, 816_667)]
        (collective,) = _entries("collective_income")
        assert collective.amount_fen == 450_000 and collective.household_id is None
        assert plan.collective_entry_id == collective.id
        assert {ln.entry_id for ln in plan.lines} == {e.id for e in dividends}
        assert all(e.status == "approved" and e.period == plan.period for e in _entries())
        assert len(_entries()) == 3  # maintenance is not posted
        assert rollups.verify() == []
        assert audit.verify() is None
        assert _benefit_total(world) == plan.distributable_fen

        distributions.reverse_plan(sec, plan, "股份登记有误")
        assert plan.status == "reversed" and plan.reversal_reason == "股份登记有误"
        entries = _entries()
        assert len(entries) == 6
        assert sum(e.amount_fen for e in entries if e.kind == "dividend") == 0
        assert sum(e.amount_fen for e in entries if e.kind == "collective_income") == 0
        assert all(e.status == "approved" for e in entries)
        assert rollups.verify() == []
        assert audit.verify() is None
        assert _benefit_total(world) == 0


def test_a_line_of_zero_posts_nothing(app, world, sec):
    with app.test_request_context():
        h0, h1, _h2 = world.households
        fixed = [(h0.id, Decimal(1)), (h1.id, Decimal(1))]
        plan = distributions.draft_plan(sec, plan_input(world, pool_fen=1, deductions=[], basis="fixed", fixed=fixed))
        assert sorted(ln.amount_fen for ln in plan.lines) == [0, 1]
        distributions.approve_plan(sec, plan)
        distributions.publish_plan(sec, plan)
        assert [(e.household_id, e.amount_fen) for e in _entries()] == [(h0.id, 1)]
        assert rollups.verify() == [] and audit.verify() is None


def test_equal_basis_gives_every_member_household_the_same(app, world, sec):
    with app.test_request_context():
        plan = distributions.draft_plan(sec, plan_input(world, basis="equal", deductions=[], pool_fen=1_000_001))
        assert sorted(ln.amount_fen for ln in plan.lines) == [500_000, 500_001]
        assert {ln.weight for ln in plan.lines} == {Decimal(1)}


def test_view_rows_have_the_running_rest_and_a_total_equal_to_it(app, world, sec):
    with app.test_request_context():
        plan = distributions.draft_plan(sec, plan_input(world))
        view = plan_view(plan, Privacy(names=True, identity=False))
        assert [(d["kind"], d["percent"], d["amount_fen"], d["remaining_fen"]) for d in view["deductions"]] == [
            ("collective", Decimal(15), 450_000, 2_550_000),
            ("maintenance", None, 100_000, 2_450_000),
        ]
        assert view["distributable_fen"] == view["lines_total_fen"] == 2_450_000
        assert [ln["head_name"] for ln in view["lines"]] == ["张三丰", "李四"]
        assert [ln["head_name"] for ln in plan_view(plan, MASKED)["lines"]] == ["张*丰", "李*"]
        (row,) = plan_list_rows([plan])
        assert (row["distributable_fen"], row["households"], row["project"]) == (2_450_000, 2, "中华蜂养殖")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"pool_fen": 0}, "pool"),
        ({"pool_fen": -500}, "pool"),
        ({"basis": "nonsense"}, "basis"),
        ({"project_id": 999_999}, "project_id"),
        ({"deductions": [DeductionInput("collective", fixed_fen=3_000_001)]}, "deductions"),
        ({"deductions": [DeductionInput("collective", percent_bp=10_001)]}, "deductions"),
        ({"deductions": [DeductionInput("collective", percent_bp=100, fixed_fen=100)]}, "deductions"),
        ({"period": "2020-13"}, "period"),
    ],
)
def test_bad_plans_write_nothing(app, world, sec, change, field):
    with app.test_request_context():
        before = written()
        with pytest.raises(Invalid) as err:
            distributions.draft_plan(sec, plan_input(world, **change))
        assert field in err.value.fields
        assert written() == before


def test_shares_basis_with_nobody_holding_shares_on_the_period_date(app, world, sec):
    """The shares were registered on Jan 1 this year: last December nobody held any."""
    with app.test_request_context():
        last_december = f"{ledger.today().year - 1}-12"
        before = written()
        for basis in ("shares", "equal"):
            with pytest.raises(Invalid) as err:
                distributions.draft_plan(sec, plan_input(world, period=last_december, basis=basis))
            assert "basis" in err.value.fields
        assert written() == before


def test_a_village_collective_project_cannot_split_by_shares(app, world):
    with app.test_request_context():
        sec2 = world.users["other_secretary"]
        before = written()
        with pytest.raises(Invalid) as err:
            distributions.draft_plan(sec2, plan_input(world, project_id=world.other_project.id, deductions=[]))
        assert "basis" in err.value.fields
        plan = distributions.draft_plan(
            sec2, plan_input(world, project_id=world.other_project.id, basis="equal", deductions=[])
        )
        assert [(ln.household_id, ln.amount_fen) for ln in plan.lines] == [(world.other_household.id, 3_000_000)]
        assert written()[0] == before[0] + 1


@pytest.mark.parametrize("weight", [Decimal(-1), Decimal("0.0001")])
def test_fixed_list_refuses_a_bad_weight(app, world, sec, weight):
    with app.test_request_context():
        h0, h1, _ = world.households
        before = written()
        with pytest.raises(Invalid) as err:
            distributions.draft_plan(
                sec, plan_input(world, basis="fixed", fixed=[(h0.id, Decimal(1)), (h1.id, weight)])
            )
        assert "households" in err.value.fields
        assert written() == before


def test_fixed_list_refuses_a_household_of_another_village_or_twice(app, world, sec):
    with app.test_request_context():
        h0 = world.households[0]
        before = written()
        for fixed in ([(h0.id, Decimal(1)), (world.other_household.id, Decimal(1))], [(h0.id, 1), (h0.id, 2)]):
            with pytest.raises(Invalid) as err:
                distributions.draft_plan(sec, plan_input(world, basis="fixed", fixed=fixed))
            assert "households" in err.value.fields
        with pytest.raises(Invalid) as err:
            distributions.draft_plan(sec, plan_input(world, basis="fixed", fixed=[]))
        assert "basis" in err.value.fields
        assert written() == before


def test_publishing_twice_and_reversing_unpublished_are_conflicts(app, world, sec):
    with app.test_request_context():
        plan = distributions.draft_plan(sec, plan_input(world))
        before = written()
        with pytest.raises(Conflict):
            distributions.publish_plan(sec, plan)  # a draft
        with pytest.raises(Conflict):
            distributions.reverse_plan(sec, plan, "错了")
        assert written() == before
        distributions.approve_plan(sec, plan)
        with pytest.raises(Conflict):
            distributions.reverse_plan(sec, plan, "错了")
        with pytest.raises(Conflict):
            distributions.approve_plan(sec, plan)
        distributions.publish_plan(sec, plan)
        before = written()
        with pytest.raises(Conflict):
            distributions.publish_plan(sec, plan)
        with pytest.raises(Conflict):
            distributions.discard_plan(sec, plan)
        with pytest.raises(Invalid):
            distributions.reverse_plan(sec, plan, "  ")
        assert written() == before
        distributions.reverse_plan(sec, plan, "重复分配")
        before = written()
        with pytest.raises(Conflict):
            distributions.reverse_plan(sec, plan, "再冲一次")
        assert written() == before


def test_a_closed_month_takes_no_plan(app, world, sec):
    with app.test_request_context():
        period = ledger.current_period()
        ledger.close_month(sec, world.village, period)  # an unpublished plan would block this
        before = written()
        with pytest.raises(Invalid) as err:
            distributions.draft_plan(sec, plan_input(world))
        assert "period" in err.value.fields
        assert written() == before


def test_only_the_villages_secretary_distributes(app, world, sec):
    with app.test_request_context():
        before = written()
        for role in ("other_secretary", "accountant", "town_reviewer", "county_reviewer", "admin"):
            with pytest.raises(Forbidden):
                distributions.draft_plan(world.users[role], plan_input(world))
        assert written() == before
        plan = distributions.draft_plan(sec, plan_input(world))
        for role in ("other_secretary", "accountant", "town_reviewer"):
            with pytest.raises(Forbidden):
                distributions.approve_plan(world.users[role], plan)
        assert distributions.plans_for(world.users["town_reviewer"]) == [plan]
        assert distributions.plans_for(world.users["other_secretary"]) == []


def test_deleting_a_draft_is_audited(app, world, sec):
    with app.test_request_context():
        plan = distributions.draft_plan(sec, plan_input(world))
        distributions.discard_plan(sec, plan)
        assert count(Distribution) == 0
        assert audit.verify() is None
