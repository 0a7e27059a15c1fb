"""Monthly ledger entries of a demo project, deterministic for each project and month."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from coopapp.core import periods
from coopapp.demo.economy import ProjectSpec
from coopapp.models import Household, LedgerEntry, Project
from coopapp.models.base import utcnow

PURCHASE_MONTH = 0.08  # the cooperative buys from members only in months with this share of the year's output
COST_NOTES = {
    "beekeeping": "饲喂白糖、巢础及蜂箱维护",
    "photovoltaic": "电站运维及保险",
    "tourism": "接待、餐饮采购及水电",
    "planting": "种苗、化肥及农资",
    "livestock": "饲料及防疫",
    "other": "维修及管理费用",
}


def split(total: int, weights: list[float]) -> list[int]:
    """`total` fen over `weights`, exact to the fen (largest remainder, earliest wins ties)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    raw = [total * w / whole for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass
class Recipients:
    """Who a project pays: members with their shares, and the chosen households per role."""

    members: list[tuple[Household, Decimal]] = field(default_factory=list)
    workers: list[Household] = field(default_factory=list)
    landowners: list[Household] = field(default_factory=list)
    poor: list[Household] = field(default_factory=list)
    everyone: list[Household] = field(default_factory=list)


def choose_recipients(rng: random.Random, spec: ProjectSpec, households: list[Household], members) -> Recipients:
    """Pick the households each kind of payout goes to (workers and welfare jobs favour the formerly poor)."""
    poor = [h for h in households if h.formerly_poor or h.monitored]
    others = [h for h in households if h not in poor]
    chosen = Recipients(members=members, everyone=list(households))
    for payout in spec.payouts:
        if payout.to == "workers":
            n_poor = min(len(poor), payout.count // 2)
            chosen.workers = rng.sample(poor, n_poor) + rng.sample(others, payout.count - n_poor)
        elif payout.to == "landowners":
            chosen.landowners = rng.sample(households, payout.count)
        elif payout.to == "poor":
            chosen.poor = rng.sample(poor, min(len(poor), payout.count))
    return chosen


@dataclass
class ProjectLedger:
    """Makes the entries of one project; the same inputs always give the same entries."""

    key: str  # unique per village and project, seeds the randomness
    spec: ProjectSpec
    project: Project
    recipients: Recipients
    creator_id: int
    reviewer_id: int

    plans: dict = field(default_factory=dict, repr=False)

    def year_plan(self, year: int) -> tuple[list[int], list[int], float]:
        """The year's output and collective income per month (fen), and its level against 2024."""
        if year not in self.plans:
            self.plans[year] = self._plan(year)
        return self.plans[year]

    def _plan(self, year: int) -> tuple[list[int], list[int], float]:
        spec, rng = self.spec, random.Random(f"demo:{self.key}:{year}")
        level = spec.growth ** (year - 2024) * (1 + rng.uniform(-0.03, 0.03))
        started = [periods.period(year, m) >= spec.start for m in range(1, 13)]
        noisy = [w * rng.uniform(0.85, 1.15) * on for w, on in zip(spec.weights, started, strict=True)]
        income_weights = spec.income_weights or spec.weights
        income_noisy = [w * rng.uniform(0.85, 1.15) * on for w, on in zip(income_weights, started, strict=True)]
        # A project starting mid-year earns only the started months' share of a full year.
        share = sum(w for w, on in zip(spec.weights, started, strict=True) if on) / sum(spec.weights)
        output = split(round(spec.output * 100 * level * share), noisy)
        income = split(round(spec.income * 100 * level * share), income_noisy)
        return output, income, level

    def month(self, period: str, today: date, status: str = "approved") -> list[LedgerEntry]:
        """Every entry of the project for one month (`YYYY-MM`), none for months before its start."""
        spec = self.spec
        if period < spec.start:
            return []
        year, m = periods.year_of(period), periods.month_of(period)
        rng = random.Random(f"demo:{self.key}:{period}")
        outputs, incomes, level = self.year_plan(year)
        out, income = outputs[m - 1], incomes[m - 1]
        last_day = today.day if (year, m) == (today.year, today.month) else 28
        make = _Maker(self, period, rng, last_day, status)
        if out > 0:
            make("output", out, f"{m}月{spec.product}产值", quantity=self._quantity(out))
            sales = round(out * spec.sales * rng.uniform(0.92, 1.04)) if spec.sales < 1 else out
            make("sales", sales, f"{m}月{spec.product}销售收入")
        cost = round(spec.fixed_cost * 100 * rng.uniform(0.9, 1.1) + out * spec.cost * rng.uniform(0.9, 1.1))
        if cost > 0:
            make("cost", cost, f"{m}月{COST_NOTES[spec.type]}")
        if income > 0:
            make("collective_income", income, f"{m}月{spec.name}村集体收益", day=last_day)
        if spec.subsidy and m in (3, 9):
            make("subsidy", round(spec.subsidy * 50 * level, -4), f"{spec.product}产业发展奖补资金")
        active = spec.weights[m - 1] > 0 or not spec.output
        for payout in spec.payouts:
            self._payouts(make, payout, year, m, out, level, active)
        return make.entries

    def _quantity(self, amount_fen: int, price_factor: float = 1.0) -> Decimal | None:
        if not self.spec.unit:
            return None
        return Decimal(round(amount_fen / 100 / (self.spec.price * price_factor)))

    def _payouts(self, make, payout, year: int, m: int, out: int, level: float, active: bool) -> None:
        spec, who = self.spec, self.recipients
        if payout.kind == "purchase" and spec.weights[m - 1] >= PURCHASE_MONTH and out > 0 and who.members:
            # In a buying month about two thirds of the members bring produce.
            sellers = [(h, s) for h, s in who.members if make.rng.random() < 0.65] or who.members[:1]
            pool = round(out * payout.ratio)
            for (household, _shares), amount in zip(sellers, split(pool, [float(s) for _, s in sellers]), strict=True):
                make("purchase", amount, f"{m}月收购{spec.product}", household, quantity=self._quantity(amount, 0.8))
        elif payout.kind == "dividend" and m == 12:
            outputs, incomes, _level = self.year_plan(year)
            pool = round(sum(outputs if spec.output else incomes) * payout.ratio)
            if payout.to == "members":
                pairs = [(h, float(s)) for h, s in who.members]
                note = f"{year}年度合作社股份分红"
            else:
                pairs = [(h, 1.0) for h in who.everyone]
                note = f"{year}年度村集体收益分红"
            for (household, _w), amount in zip(pairs, split(pool, [w for _, w in pairs]), strict=True):
                make("dividend", amount, note, household, day=make.rng.randint(20, 28))
        elif payout.kind == "wage" and active:
            for household in who.workers:
                make("wage", round(payout.yuan * 10 * make.rng.uniform(0.9, 1.1)) * 10, f"{m}月务工工资", household)
        elif payout.kind == "rent" and m == 1:
            for household in who.landowners:
                make("rent", payout.yuan * 100, f"{year}年度土地流转租金", household, day=make.rng.randint(10, 20))
        elif payout.kind == "welfare_job":
            for household in who.poor:
                make("welfare_job", payout.yuan * 100, f"{m}月公益性岗位补贴", household)


class _Maker:
    """Builds the entries of one project-month with consistent dates, people and status."""

    def __init__(self, ledger: ProjectLedger, period: str, rng: random.Random, last_day: int, status: str):
        self.ledger, self.period, self.rng, self.last_day, self.status = ledger, period, rng, last_day, status
        self.year, self.month = periods.year_of(period), periods.month_of(period)
        self.entries: list[LedgerEntry] = []

    def __call__(self, kind, amount, note, household=None, quantity=None, day=None) -> None:
        if amount <= 0:
            return
        on = date(self.year, self.month, min(day or self.rng.randint(1, 28), self.last_day))
        created = datetime.combine(on, time(self.rng.randint(1, 9), self.rng.randint(0, 59)))
        approved = self.status == "approved"
        reviewed = min(created + timedelta(days=self.rng.randint(1, 5), hours=self.rng.randint(0, 6)), utcnow())
        project = self.ledger.project
        self.entries.append(
            LedgerEntry(
                project_id=project.id,
                village_id=project.village_id,
                period=self.period,
                entry_date=on,
                kind=kind,
                amount_fen=int(amount),
                quantity=quantity,
                unit=self.ledger.spec.unit if quantity is not None else None,
                household_id=household.id if household is not None else None,
                note=note,
                status=self.status,
                created_by_id=self.ledger.creator_id,
                created_at=min(created, utcnow()),
                reviewed_by_id=self.ledger.reviewer_id if approved else None,
                reviewed_at=reviewed if approved else None,
            )
        )
