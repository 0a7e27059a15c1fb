"""Demo data: Huidong County (惠东县) with its towns, villages, households and two years of ledger.

`load_demo(password)` is what `flask --app wsgi coop demo` runs. It is idempotent:
when county 441323 already exists it only resets the demo users' passwords.

Only the county code 441323 is official; town, village and group codes are made
up in the official shape. 中洞村, 八维村, 甘溪村, 碧山村 and 大湖洋村民小组 are
the real places of the design brief (their figures are the brief's, the rest
synthetic); every other village, group, household, person, ID number, phone,
cooperative and credit code is synthetic. Randomness is seeded, so every load
gives the same data (months after the current one are never written).
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from coopapp.access import audit
from coopapp.access.accounts import hash_password, password_problem
from coopapp.core.codes import credit_code_check_char
from coopapp.core.periods import first_day, next_period, periods_between
from coopapp.core.tx import atomic
from coopapp.demo.economy import PROJECTS
from coopapp.demo.entries import ProjectLedger, choose_recipients
from coopapp.demo.people import People, make_households, make_memberships
from coopapp.demo.places import BAWEI, COUNTY, GROUP_NAMES, TOWNS, VILLAGES, ZHONGDONG
from coopapp.demo.settings import set_demo_settings
from coopapp.demo.spending import record_this_months_spending
from coopapp.disclosure import operations as disclosure
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import (
    Area,
    ClosedMonth,
    Disclosure,
    LedgerEntry,
    PartyOrg,
    Project,
    ProjectTarget,
    User,
)
from coopapp.models.base import utcnow
from coopapp.villages import catalog

GAOTAN = "441323110"  # 高潭镇, the town of 中洞村: its own reviewer and admin (delegation)
DUOZHU = "441323107"  # 多祝镇, the town of 八维村
# (username, role, area code): the six users the design brief names, 高潭镇's reviewer and admin, and the
# town agency accountants (镇三资代理会计) of the two demo villages' towns.
DEMO_USERS = (
    ("admin", "admin", COUNTY[0]),
    ("county.reviewer", "reviewer", COUNTY[0]),
    ("gaotan.reviewer", "reviewer", GAOTAN),
    ("gaotan.admin", "admin", GAOTAN),
    ("gaotan.town", "town_accountant", GAOTAN),
    ("duozhu.town", "town_accountant", DUOZHU),
    ("zhongdong.dongtou", "group_leader", f"{ZHONGDONG}001"),
    ("zhongdong.accountant", "accountant", ZHONGDONG),
    ("zhongdong.secretary", "secretary", ZHONGDONG),
    ("bawei.accountant", "accountant", BAWEI),
    ("bawei.secretary", "secretary", BAWEI),
)
# The names pages show for them (登记人, 审核人).
DISPLAY_NAMES = {
    "admin": "县农业农村局管理员",
    "county.reviewer": "陈审核",
    "gaotan.reviewer": "高潭镇审核员",
    "gaotan.admin": "高潭镇管理员",
    "gaotan.town": "高潭镇三资代理会计",
    "duozhu.town": "多祝镇三资代理会计",
    "zhongdong.dongtou": "陈伟强",
    "zhongdong.accountant": "李秀英",
    "zhongdong.secretary": "黄建国",
    "bawei.accountant": "张丽华",
    "bawei.secretary": "罗志明",
}
FIRST_PERIOD = "2024-01"
CLOSED_YEARS = ("2024", "2025")
SOURCE = {"source": "demo"}
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 alphabet


def load_demo(password: str) -> bool:
    """Load the Huidong demo (True), or only reset the demo users' passwords if it is there (False).

    Raises Invalid when the password does not meet the password policy.
    """
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, {"password": problem})
    return _load(password)


@atomic
def _load(password: str) -> bool:
    county = db.session.scalar(select(Area).where(Area.code == COUNTY[0]))
    if county is not None:
        users = _demo_users(password)
        set_demo_settings(users["admin"], county)  # a demo loaded before counties had settings gets them
        return False
    areas = _area_tree()
    users = _demo_users(password)
    loader = _Loader(areas, users)
    loader.run()
    # After the two years of history: the county set its rules once its books were in the app, and
    # this month's spending went through them (tiers, receipts, warnings).
    set_demo_settings(users["admin"], areas[COUNTY[0]])
    record_this_months_spending(loader.staff, areas)
    return True


def _demo_users(password: str) -> dict[str, User]:
    """Create the demo users, or reset the password (and display name) of those that exist."""
    password_hash = hash_password(password)
    users = {}
    for username, role, code in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        action = "user.update"
        if user is None:
            area = catalog.area_by_code(code)
            user = User(username=username, role=role, area_id=area.id, password_hash=password_hash)
            db.session.add(user)
            action = "user.create"
        user.password_hash = password_hash
        user.display_name = DISPLAY_NAMES[username]
        users[username] = user
        db.session.flush()
        audit.record(None, action, user, {"source": "demo"})
    return users


def _area_tree() -> dict[str, Area]:
    """County, the 16 towns, the demo villages and their groups, by code."""
    county = catalog.add_area(*COUNTY, "county", None)
    areas = {county.code: county}
    for code, name in TOWNS:
        areas[code] = catalog.add_area(code, name, "town", county)
    rng = random.Random("demo:groups")
    for spec in VILLAGES:
        village = catalog.add_area(spec.code, spec.name, "village", areas[spec.code[:9]])
        areas[spec.code] = village
        names = list(spec.fixed_groups)
        names += [f"{n}村民小组" for n in rng.sample(GROUP_NAMES, spec.groups - len(names))]
        for i, name in enumerate(names, start=1):
            code = f"{spec.code}{i:03d}"
            areas[code] = catalog.add_area(code, name, "group", village)
    db.session.flush()
    return areas


class _Loader:
    """Households, cooperatives, projects, entries and closed months of every demo village."""

    def __init__(self, areas: dict[str, Area], users: dict[str, User]):
        self.areas, self.users = areas, users
        self.admin = users["admin"]
        self.staff = {
            ZHONGDONG: (users["zhongdong.accountant"], users["zhongdong.secretary"]),
            BAWEI: (users["bawei.accountant"], users["bawei.secretary"]),
        }
        self.today = ledger.today()
        self.current = ledger.current_period()

    def run(self) -> None:
        households = self._households()
        ledgers = self._projects(households)
        self._entries(ledgers)
        self._close_months()
        self._disclosures()
        rollups.rebuild()

    def _households(self) -> dict[str, list]:
        people, by_village = People(), {}
        for spec in VILLAGES:
            village = self.areas[spec.code]
            groups = [a for code, a in self.areas.items() if len(code) == 15 and code.startswith(spec.code)]
            rng = random.Random(f"demo:{spec.code}:households")
            by_village[spec.code] = make_households(rng, people, village, groups, spec.households)
        everyone = [h for hs in by_village.values() for h in hs]
        db.session.add_all(everyone)
        audit.record_many(self.admin, "household.create", everyone, SOURCE)
        return by_village

    def _group_branches(self, village: Area, rng: random.Random) -> None:
        """Party branches in the village's groups, in the source's proportions (2,239 groups formed 1,185
        branches): about half the groups have a 党支部 of their own, and two neighbouring groups may
        share a 联合党支部 of the village."""
        groups = sorted(
            (a for code, a in self.areas.items() if len(code) == 15 and code.startswith(village.code)),
            key=lambda a: a.code,
        )
        orgs, i = [], 0
        while i < len(groups):
            roll = rng.random()
            if roll < 0.2 and i + 1 < len(groups):
                pair = groups[i : i + 2]
                name = "".join(g.name.removesuffix("村民小组") for g in pair) + "联合党支部"
                orgs.append(PartyOrg(name=name, kind="joint_branch", area_id=village.id, groups=pair))
                i += 2
                continue
            if roll < 0.6:
                orgs.append(PartyOrg(name=f"{groups[i].name}党支部", kind="branch", area_id=groups[i].id))
            i += 1
        db.session.add_all(orgs)
        db.session.flush()
        audit.record_many(self.admin, "party_org.create", orgs, SOURCE)

    def _projects(self, households: dict[str, list]) -> list[ProjectLedger]:
        rng, codes = random.Random("demo:cooperatives"), set()
        pending = []
        for spec in VILLAGES:
            village = self.areas[spec.code]
            kind = "general_branch" if spec.general_branch else "branch"
            org = PartyOrg(
                name=f"{village.name}{'党总支' if spec.general_branch else '党支部'}", kind=kind, area_id=village.id
            )
            db.session.add(org)
            db.session.flush()
            audit.record(self.admin, "party_org.create", org, SOURCE)
            self._group_branches(village, random.Random(f"demo:{spec.code}:party"))
            for key in spec.projects:
                project_spec = PROJECTS[key]
                coop = None
                if project_spec.cooperative:
                    name = f"惠东县{village.name.removesuffix('村')}{project_spec.cooperative}"
                    coop = catalog.add_cooperative(name, _credit_code(rng, codes), village, org, self.admin)
                pending.append((spec.code, key, project_spec, village, coop))
        db.session.flush()
        ledgers, projects = [], []
        for code, key, spec, village, coop in pending:
            project = Project(
                name=spec.name,
                type=spec.type,
                village_id=village.id,
                cooperative_id=coop.id if coop else None,
                capacity=Decimal(spec.capacity) if spec.capacity else None,
                capacity_unit=spec.capacity_unit,
                active=True,
            )
            projects.append(project)
            ledgers.append((code, key, spec, project, coop))
        db.session.add_all(projects)
        audit.record_many(self.admin, "project.create", projects, SOURCE)
        targets = [target for _c, _k, spec, project, _coop in ledgers for target in self._targets(spec, project)]
        db.session.add_all(targets)
        audit.record_many(self.admin, "project_target.create", targets, SOURCE)
        return [self._project_ledger(*args, households[args[0]]) for args in ledgers]

    def _targets(self, spec, project: Project) -> list[ProjectTarget]:
        """Last year's plan (the base year's figures) and this year's (grown as the spec says)."""
        this_year, out = self.today.year, []
        for year, growth in ((this_year - 1, 1.0), (this_year, spec.growth)):
            output, income = _target(spec.output * growth), _target(spec.income * growth)
            if output or income:
                out.append(ProjectTarget(project=project, year=year, output_fen=output, collective_income_fen=income))
        return out

    def _project_ledger(self, code, key, spec, project, coop, households) -> ProjectLedger:
        rng = random.Random(f"demo:{code}:{key}:people")
        members = []
        if coop is not None:
            memberships = make_memberships(rng, coop.id, households, spec.member_share)
            db.session.add_all(memberships)
            audit.record_many(self.admin, "membership.create", memberships, SOURCE)
            by_id = {h.id: h for h in households}
            members = [(by_id[m.household_id], m.shares) for m in memberships]
        creator, reviewer = self.staff.get(code, (self.admin, self.admin))
        recipients = choose_recipients(rng, spec, households, members)
        return ProjectLedger(f"{code}:{key}", spec, project, recipients, creator.id, reviewer.id)

    def _entries(self, ledgers: list[ProjectLedger]) -> None:
        approved = []
        for pl in ledgers:
            for period in periods_between(FIRST_PERIOD, self.current):
                approved += pl.month(period, self.today)
        pending = self._current_month(ledgers)
        fix = self._correction_demo(ledgers, approved)
        db.session.add_all(approved + pending)
        db.session.flush()
        if fix is not None:
            approved += fix()
        by_actor = defaultdict(list)
        for entry in approved + pending:
            reviewed = entry.status in ("approved", "returned", "awaiting_town")
            actor_id = entry.reviewed_by_id if reviewed else entry.created_by_id
            action = {
                "approved": "entry.approve",
                "awaiting_town": "entry.approve",
                "returned": "entry.return",
                "submitted": "entry.submit",
            }
            by_actor[(actor_id, action.get(entry.status, "entry.create"))].append(entry)
        users = {u.id: u for u in self.users.values()}
        for (actor_id, action), entries in by_actor.items():
            audit.record_many(users[actor_id], action, entries, SOURCE)

    def _current_month(self, ledgers: list[ProjectLedger]) -> list[LedgerEntry]:
        """This month's work in 中洞村 and 八维村: submitted, one returned and one draft each."""
        pending = []
        for code in (ZHONGDONG, BAWEI):
            pl = next(p for p in ledgers if p.key.startswith(code))
            entries = pl.month(self.current, self.today, status="submitted")
            payouts = [e for e in entries if e.household_id is not None][:3]
            entries = [e for e in entries if e.household_id is None] + payouts
            returned = next((e for e in entries if e.kind == "cost"), None)
            if returned is not None:
                returned.status, returned.reviewed_by_id = "returned", pl.reviewer_id
                returned.reviewed_at = min(returned.created_at + timedelta(hours=3), utcnow())
                returned.return_reason = "成本缺少发票附件，请补充票据后重新提交。"
            entries[-1].status = "draft"
            pending += entries
        return pending

    def _correction_demo(self, ledgers: list[ProjectLedger], approved: list[LedgerEntry]):
        """A mistyped sales entry of 中洞村 this January, reversed and re-entered (if January is past)."""
        period = f"{self.today.year}-01"
        if period >= self.current:
            return None
        pl = next(p for p in ledgers if p.key.startswith(ZHONGDONG))
        original = next(
            e for e in approved if e.project_id == pl.project.id and e.period == period and e.kind == "sales"
        )
        correct = original.amount_fen
        original.amount_fen = correct + 900_000

        def fix() -> list[LedgerEntry]:
            reason = "金额多录 9,000 元（与销售发票核对不符）"
            reversal = LedgerEntry(
                project_id=original.project_id,
                village_id=original.village_id,
                period=period,
                entry_date=None,
                kind=original.kind,
                amount_fen=-original.amount_fen,
                note=f"冲销 #{original.id}：{reason}",
                status="approved",
                reverses_id=original.id,
                reversal_reason=reason,
                created_by_id=original.created_by_id,
                created_at=original.reviewed_at,
                reviewed_by_id=original.reviewed_by_id,
                reviewed_at=original.reviewed_at,
            )
            corrected = LedgerEntry(
                project_id=original.project_id,
                village_id=original.village_id,
                period=period,
                entry_date=original.entry_date,
                kind=original.kind,
                amount_fen=correct,
                note=f"{original.note}（更正）",
                status="approved",
                created_by_id=original.created_by_id,
                created_at=original.reviewed_at,
                reviewed_by_id=original.reviewed_by_id,
                reviewed_at=original.reviewed_at,
            )
            db.session.add_all([reversal, corrected])
            return [reversal, corrected]

        return fix

    def _close_months(self) -> None:
        """The secretaries of 中洞村 and 八维村 closed every month of 2024 and 2025."""
        for code in (ZHONGDONG, BAWEI):
            secretary = self.staff[code][1]
            closed = [
                ClosedMonth(
                    village_id=self.areas[code].id,
                    period=period,
                    closed_by_id=secretary.id,
                    closed_at=_closing_time(period),
                )
                for period in periods_between(FIRST_PERIOD, self.current)
                if period[:4] in CLOSED_YEARS
            ]
            db.session.add_all(closed)
            audit.record_many(secretary, "month.close", closed, SOURCE)

    def _disclosures(self) -> None:
        """中洞村 put up its notice every month of this year, 八维村 every quarter, each a few
        days after the period ended, up to the one now due; the other villages never did (the
        reviewers' calendar shows them overdue)."""
        grace = disclosure.DEFAULT_GRACE_DAYS
        for code, quarterly in ((ZHONGDONG, False), (BAWEI, True)):
            secretary = self.staff[code][1]
            period, published = disclosure.due_period(self.today, grace, quarterly), []
            year = period.year
            while period.year == year:
                when = datetime.combine(period.end + timedelta(days=5), datetime.min.time()) + timedelta(hours=2)
                published.append(
                    Disclosure(
                        village_id=self.areas[code].id,
                        period=period.code,
                        published_at=when,
                        published_by_id=secretary.id,
                    )
                )
                period = period.previous()
            published.reverse()
            db.session.add_all(published)
            db.session.flush()
            audit.record_many(secretary, "disclosure.publish", published, SOURCE)


def _closing_time(period: str) -> datetime:
    """The 10th of the following month, mid-morning in China."""
    tenth = first_day(next_period(period)).replace(day=10)
    return datetime.combine(tenth, datetime.min.time()).replace(hour=2)


def _credit_code(rng: random.Random, taken: set[str]) -> str:
    """A new synthetic unified social credit code of a farmers' cooperative (93 + 441323 + …)."""
    while True:
        first17 = "93441323MA" + "".join(rng.choice(_CREDIT_CHARS) for _ in range(7))
        if first17 not in taken:
            taken.add(first17)
            return first17 + credit_code_check_char(first17)


def _target(yuan: float) -> int | None:
    """An annual target in fen, rounded to 10,000 yuan (None for no target)."""
    return int(round(yuan, -4)) * 100 if yuan else None
