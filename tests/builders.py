"""Builders for domain objects, request bodies and files, and the helpers the tests share."""

import csv
import io
import json
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

from flask import url_for
from openpyxl import Workbook
from sqlalchemy import event, func, select, text, update
from werkzeug.security import generate_password_hash

from coopapp.access import audit
from coopapp.core.codes import credit_code_check_char, id_number_check_digit
from coopapp.core.periods import first_day
from coopapp.distributions import objections
from coopapp.distributions import plans as distributions
from coopapp.distributions.plans import DeductionInput, PlanInput
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import reopening as reopenings
from coopapp.models import (
    Area,
    AuditEvent,
    Cooperative,
    CountySettings,
    Distribution,
    Household,
    LedgerEntry,
    Membership,
    Objection,
    PartyOrg,
    Project,
    ProjectTarget,
    User,
    Voucher,
)
from coopapp.villages import catalog, party_orgs
from coopapp.vouchers import operations as vouchers

PASSWORD = "pass-word-1"
# One cheap hash for every test user (the default method is deliberately slow).
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def credit_code(serial: int) -> str:
    """A valid unified social credit code for a farmers' cooperative (93…)."""
    first17 = f"93441323MA{serial:07d}"
    return first17 + credit_code_check_char(first17)


def id_number(serial: int, birth: str = "19800101") -> str:
    """A valid 18-digit resident ID number from Huidong."""
    first17 = f"441323{birth}{serial:03d}"
    return first17 + id_number_check_digit(first17)


@dataclass
class World:
    county: Area
    town_a: Area
    town_b: Area
    village: Area  # 中洞村 in town A: the users' own village
    other_village: Area  # 八维村 in town B: a foreign village
    sibling_village: Area  # 甘溪村 in town A
    group: Area
    project: Project
    other_project: Project
    households: list[Household]
    other_household: Household
    users: dict[str, User] = field(default_factory=dict)
    cooperative: Cooperative | None = None

    _AREAS = ("county", "town_a", "town_b", "village", "other_village", "sibling_village", "group")

    def ids(self) -> dict:
        """The world as ids (plain values that outlive the session): `World.load` makes it again."""
        return {
            **{name: getattr(self, name).id for name in self._AREAS},
            "project": self.project.id,
            "other_project": self.other_project.id,
            "households": [h.id for h in self.households],
            "other_household": self.other_household.id,
            "users": {role: user.id for role, user in self.users.items()},
            "cooperative": self.cooperative.id if self.cooperative else None,
        }

    @classmethod
    def load(cls, ids: dict) -> "World":
        """The world whose `ids()` these are, loaded in the current session."""
        get = db.session.get
        return cls(
            *(get(Area, ids[name]) for name in cls._AREAS),
            get(Project, ids["project"]),
            get(Project, ids["other_project"]),
            [get(Household, i) for i in ids["households"]],
            get(Household, ids["other_household"]),
            {role: get(User, i) for role, i in ids["users"].items()},
            get(Cooperative, ids["cooperative"]) if ids["cooperative"] else None,
        )


def add_user(username: str, role: str, area: Area) -> User:
    user = User(username=username, password_hash=_HASH, role=role, area_id=area.id)
    db.session.add(user)
    return user


def year_targets(project: Project, output_fen=None, income_fen=None, years=None) -> list[ProjectTarget]:
    """The project's targets for `years` (default: last year and this year), added, not audited."""
    this_year = ledger.today().year
    rows = [
        ProjectTarget(project=project, year=year, output_fen=output_fen, collective_income_fen=income_fen)
        for year in (years or (this_year - 1, this_year))
    ]
    db.session.add_all(rows)
    return rows


# Rows of a database state built once per run (name → [(table, rows)]) and what its builder returned.
_SNAPSHOTS: dict[str, tuple[list, object]] = {}


def built_once(name: str, build, on_top: bool = False):
    """`build()` on the emptied database, done for real once per run; for every later test its rows
    are put back as they were (same ids, same audit chain) and its result returned again. The
    result must hold plain values (ids, codes), not ORM objects, which belong to one session.

    `on_top`: `build()` adds to what the test's other fixtures put in (the world, itself built
    once): later, the database is emptied and all of it put back."""
    if name in _SNAPSHOTS:
        tables, result = _SNAPSHOTS[name]
        if on_top:
            db.session.rollback()
            # What it was built on must be what is there now, or emptying would lose another fixture's rows.
            assert _row_counts() == _BASES[name], f"{name}: built on other rows than this test has (fixture order?)"
            empty_tables()
        _restore(tables)
        return result
    if on_top:
        db.session.commit()
        _BASES[name] = _row_counts()
    result = build()
    db.session.commit()
    _SNAPSHOTS[name] = (_capture(), result)
    return result


_BASES: dict[str, tuple] = {}  # name → the row counts `built_once(name, …, on_top=True)` was built on


def _row_counts() -> tuple:
    """Every table's row count, in one query."""
    counts = " UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {t.name}" for i, t in enumerate(db.metadata.sorted_tables))
    with db.engine.connect() as conn:
        return tuple(sorted(conn.exec_driver_sql(counts).all()))


# PostgreSQL, for this transaction only: no triggers, so no foreign-key checks. Only for emptying the
# tables and putting a snapshot back, and only as a superuser (CI's `postgres`; another user keeps
# the checks, slower).
_NO_TRIGGERS = "SET LOCAL session_replication_role = replica"
_SUPERUSER: list[bool] = []


def _no_triggers(conn) -> list[str]:
    """The statement that turns the triggers off for this transaction, when the user may."""
    if not _SUPERUSER:
        _SUPERUSER.append(conn.exec_driver_sql("SELECT current_setting('is_superuser')").scalar() == "on")
    return [_NO_TRIGGERS] if _SUPERUSER[0] else []


def empty_tables() -> None:
    """Every table emptied (after each test, and under a snapshot restored on top of another)."""
    deletes = [f"DELETE FROM {t.name}" for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # One round trip (DELETE is much faster than TRUNCATE here), without the foreign keys'
            # triggers (every row goes); ids start again at 1, as they do on SQLite.
            restarts = [
                f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), 1, false)"
                for t in db.metadata.sorted_tables
                if "id" in t.c and t.c.id.autoincrement is not False
            ]
            conn.exec_driver_sql("; ".join([*_no_triggers(conn), *deletes, *restarts]))
        else:
            for statement in deletes:
                conn.exec_driver_sql(statement)


def demo_loaded(password: str) -> bool:
    """`load_demo(password)` on the emptied database (what it answered), loaded for real once per run
    (`built_once`): the demo takes seconds to load."""
    from coopapp.demo import load_demo

    return built_once(f"demo:{password}", lambda: load_demo(password))


def built_world(name: str, build) -> tuple["World", object]:
    """The test world with `build(world)`'s rows on it, built for real once per run (`built_once`):
    for a module's `world` fixture whose tests all start from the same state. `build` returns plain
    values (ids, codes), never ORM objects."""

    def world_then_build():
        world = build_world()
        return world.ids(), build(world)

    ids, extra = built_once(name, world_then_build)
    return World.load(ids), extra


def _capture() -> list:
    with db.engine.connect() as conn:
        return [
            (table, [dict(row) for row in conn.execute(table.select().order_by(*table.primary_key.columns)).mappings()])
            for table in db.metadata.sorted_tables
        ]


def _restore(tables: list) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # rows taken from a consistent database: no need to check their keys
            for statement in _no_triggers(conn):
                conn.exec_driver_sql(statement)
        for table, rows in tables:
            if rows:
                conn.execute(table.insert(), rows)
        if conn.dialect.name == "postgresql":  # the next id follows the restored ones, as after a build
            for table, rows in tables:
                if rows and "id" in table.c and table.c.id.autoincrement is not False:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT MAX(id) FROM {table.name}))"
                        )
                    )


def build_world() -> World:
    """Commit a small county: towns A and B, villages with projects, households, users."""
    add = catalog.add_area
    county = add("441323", "惠东县", "county", None)
    town_a = add("441323110", "高潭镇", "town", county)
    town_b = add("441323107", "多祝镇", "town", county)
    village = add("441323110201", "中洞村", "village", town_a)
    sibling = add("441323110202", "甘溪村", "village", town_a)
    other = add("441323107203", "八维村", "village", town_b)
    group = add("441323110201001", "中洞一组", "group", village)
    db.session.flush()
    coop = catalog.add_cooperative("中洞养蜂专业合作社", credit_code(1), village)
    db.session.flush()
    project = Project(
        name="中华蜂养殖",
        type="beekeeping",
        village_id=village.id,
        cooperative_id=coop.id,
        capacity=Decimal(3000),
        capacity_unit="hive",
    )
    other_project = Project(
        name="八维村光伏电站",
        type="photovoltaic",
        village_id=other.id,
        capacity=Decimal(100),
        capacity_unit="kW",
    )
    db.session.add_all([project, other_project])
    # The same plan last year and this year.
    targets = [
        *year_targets(project, output_fen=150_000_000, income_fen=10_000_000),
        *year_targets(other_project, income_fen=3_000_000),
    ]
    households = [
        Household(
            village_id=village.id,
            group_id=group.id,
            head_name=name,
            members=3,
            id_number=id_number(i),
            phone=f"1380000000{i}",
            formerly_poor=(i == 1),
        )
        for i, name in enumerate(["张三丰", "李四", "王五"], start=1)
    ]
    other_household = Household(village_id=other.id, head_name="赵六", members=2, id_number=id_number(9))
    db.session.add_all([*households, other_household])
    db.session.flush()
    jan_first = ledger.today().replace(month=1, day=1)
    memberships = [
        Membership(household_id=households[0].id, cooperative_id=coop.id, shares=Decimal(10), since=jan_first),
        Membership(household_id=households[1].id, cooperative_id=coop.id, shares=Decimal(5), since=jan_first),
    ]
    db.session.add_all(memberships)
    users = {
        "accountant": add_user("acc", "accountant", village),
        "secretary": add_user("sec", "secretary", village),
        "other_accountant": add_user("acc2", "accountant", other),
        "other_secretary": add_user("sec2", "secretary", other),
        "town_reviewer": add_user("town", "reviewer", town_a),
        "county_reviewer": add_user("county", "reviewer", county),
        "admin": add_user("admin", "admin", county),
    }
    for obj in (project, other_project, *targets, *households, other_household, *memberships, *users.values()):
        audit.record(None, f"{audit.AUDITED_NAME[type(obj)]}.create", obj)
    db.session.commit()
    return World(
        county,
        town_a,
        town_b,
        village,
        other,
        sibling,
        group,
        project,
        other_project,
        households,
        other_household,
        users,
        coop,
    )


def entry_input(project: Project, **kw) -> ledger.EntryInput:
    """A valid EntryInput for `project` in the previous month, overridable."""
    prev = ledger.today().replace(day=1)
    prev = prev.replace(year=prev.year - 1, month=12) if prev.month == 1 else prev.replace(month=prev.month - 1)
    values = {"project_id": project.id, "period": prev.strftime("%Y-%m"), "kind": "sales", "amount_fen": 123_450}
    values.update(kw)
    return ledger.EntryInput(**values)


def approved_entry(world: World, **kw):
    """Create, submit and approve an entry through the services."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = ledger.create_entry(acc, entry_input(world.project, **kw))
    ledger.submit_entry(acc, entry)
    ledger.approve_entry(sec, entry)
    return entry


@dataclass
class VillageBook:
    """A village's project and the accountant and secretary who keep its ledger."""

    project: Project
    accountant: User
    secretary: User

    def approved(self, period: str, amount_fen: int, kind: str = "collective_income", **kw):
        """An approved entry of the project in `period` (made, submitted and approved through the services)."""
        entry = ledger.create_entry(
            self.accountant, entry_input(self.project, period=period, kind=kind, amount_fen=amount_fen, **kw)
        )
        ledger.submit_entry(self.accountant, entry)
        ledger.approve_entry(self.secretary, entry)
        return entry


def village_book(world: World, village: Area, name: str) -> VillageBook:
    """Give `village` a planting project and its own accountant and secretary (`name`.acc, `name`.sec)."""
    project = Project(name=f"{village.name}种植", type="planting", village_id=village.id)
    db.session.add(project)
    acc, sec = add_user(f"{name}.acc", "accountant", village), add_user(f"{name}.sec", "secretary", village)
    db.session.flush()
    for obj in (project, acc, sec):
        audit.record(None, f"{audit.AUDITED_NAME[type(obj)]}.create", obj)
    db.session.commit()
    return VillageBook(project, acc, sec)


def town_accountant(world: World, username: str = "tacc", town: Area | None = None) -> User:
    """A town agency accountant (镇三资代理会计) of `town` (default: town A, 中洞村's), added and audited."""
    user = add_user(username, "town_accountant", town or world.town_a)
    db.session.flush()
    audit.record(None, "user.create", user)
    db.session.commit()
    return user


def approved_summary(project, kind: str, amount_fen: int, year: int, month: int) -> None:
    """An approved month's total of `kind` in the summary tables, as `rollups.apply_entry` keeps them
    (the project-year, village-year and monthly summaries), without an entry (caller commits)."""
    from coopapp.ledger import rollups
    from coopapp.models import MonthlySummary, ProjectYearSummary

    yearly = db.session.scalars(
        select(ProjectYearSummary).filter_by(project_id=project.id, year=year, kind=kind)
    ).one_or_none()
    if yearly is None:
        yearly = ProjectYearSummary(
            village_id=project.village_id, project_id=project.id, year=year, kind=kind, amount_fen=0, entry_count=0
        )
        yearly.quantity = Decimal(0)
        db.session.add(yearly)
    yearly.amount_fen += amount_fen
    yearly.entry_count += 1
    rollups.add_village_year(project.village_id, year, kind, amount_fen)
    db.session.add(
        MonthlySummary(
            village_id=project.village_id,
            project_id=project.id,
            year=year,
            month=month,
            kind=kind,
            amount_fen=amount_fen,
            quantity=Decimal(0),
            entry_count=1,
        )
    )


def books_begun(village: Area, period: str) -> None:
    """The village's books began in `period` ("YYYY-MM"): one approved sale counted in its summaries
    (the notices' calendar owes a notice only from then on)."""
    from coopapp.models import Project

    project = db.session.scalars(select(Project).where(Project.village_id == village.id).order_by(Project.id)).first()
    if project is None:
        project = Project(village_id=village.id, name="村集体账", type="other")
        db.session.add(project)
        db.session.flush()
    approved_summary(project, "sales", 100, int(period[:4]), int(period[5:]))
    db.session.commit()


def county_settings(world: World, **document) -> None:
    """Save the county's settings document as the county admin would (checked, audited), cache forgotten."""
    from coopapp.settings.operations import save_settings

    save_settings(world.users["admin"], world.county, document)


# Operating spending (成本) above 10,000 yuan needs the town after the secretary (the demo's rule).
TOWN_TIER = {"kinds": ["cost"], "above_fen": 1_000_000, "approvers": ["town_accountant"]}


# ---- the JSON API ----------------------------------------------------------


class ApiClient:
    """A test client that sends a Bearer token (`as_user`) and JSON bodies."""

    def __init__(self, client):
        self.client = client
        self.headers: dict[str, str] = {}

    def as_user(self, username: str, password: str = PASSWORD) -> "ApiClient":
        resp = self.client.post("/api/v1/tokens", json={"username": username, "password": password})
        assert resp.status_code == 201, resp.get_json()
        self.headers = {"Authorization": f"Bearer {resp.get_json()['token']}"}
        return self

    def get(self, path: str, **kw):
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, json=None, **kw):
        return self.client.post(path, json=json if json is not None else {}, headers=self.headers, **kw)

    def patch(self, path: str, json=None, **kw):
        return self.client.patch(path, json=json if json is not None else {}, headers=self.headers, **kw)


def session_login(client, user: User) -> str:
    """Log `client` in as `user` without the login page: a server-side session and the Flask session
    that names it (the key is returned)."""
    from coopapp.access import sessions

    key = sessions.start_session(user)
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess[sessions.SESSION_KEY] = key
    return key


def login(app, username: str, password: str = PASSWORD) -> ApiClient:
    """A fresh client holding a Bearer token for `username`."""
    return ApiClient(app.test_client()).as_user(username, password)


def _no_float(text: str):
    raise AssertionError(f"float in API JSON: {text}")


def body(resp):
    """The response's JSON, failing the test if any number in it is a float."""
    return json.loads(resp.get_data(as_text=True), parse_float=_no_float)


def shift_period(months: int) -> str:
    """This month moved by `months` (−1 = last month), as YYYY-MM."""
    today = ledger.today()
    index = today.year * 12 + today.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def entry_body(world: World, **overrides) -> dict:
    """A valid POST /entries body for the world's project, last month."""
    values = {"project_id": world.project.id, "period": shift_period(-1), "kind": "sales", "amount": "1234.50"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not ...}


def counts() -> tuple[int, int]:
    """(ledger rows, audit events): what a refused request must leave unchanged."""
    db.session.rollback()
    return db.session.query(LedgerEntry).count(), db.session.query(AuditEvent).count()


def written() -> tuple[int, int, int]:
    """(plans, ledger rows, audit events): what a refused plan request must leave unchanged."""
    db.session.rollback()
    return tuple(
        db.session.scalar(select(func.count()).select_from(m)) for m in (Distribution, LedgerEntry, AuditEvent)
    )


@contextmanager
def statements():
    """Every SQL statement run inside the block."""
    seen: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


# ---- forms and bodies --------------------------------------------------------


def prev_period() -> str:
    """Last month, which is open and not in the future."""
    return (ledger.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def entry_form(world: World, **kw) -> dict:
    """The new-entry page's form as a browser posts it, for the world's project last month."""
    data = {
        "project_id": str(world.project.id),
        "period": prev_period(),
        "kind": "sales",
        "amount": "1,234.50",
        "quantity": "",
        "unit": "",
        "household_id": "",
        "note": "",
        "date": "",
    }
    data.update(kw)
    return data


def plan_input(world: World, **kw) -> PlanInput:
    """30,000 yuan of the beekeeping project this month: 15% to the collective, then 1,000 maintenance."""
    values = {
        "project_id": world.project.id,
        "period": ledger.current_period(),
        "pool_fen": 3_000_000,
        "basis": "shares",
        "deductions": [
            DeductionInput("collective", percent_bp=1500),
            DeductionInput("maintenance", fixed_fen=100_000),
        ],
    }
    values.update(kw)
    return PlanInput(**values)


def plan_body(world: World, **overrides) -> dict:
    """`plan_input` as a POST /distributions body."""
    values = {
        "project_id": world.project.id,
        "period": ledger.current_period(),
        "pool": "30,000",
        "basis": "shares",
        "deductions": [{"kind": "collective", "percent": "15"}, {"kind": "maintenance", "amount": "1000"}],
        "note": "2025 年第一次分红",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not ...}


def plan_form(world: World, **kw) -> dict:
    """The new-plan form as a browser posts it: four deduction rows, one weight row per household."""
    data = {
        "project_id": str(world.project.id),
        "period": ledger.current_period(),
        "pool": "30,000",
        "basis": "shares",
        "note": "",
        "deductions-0-kind": "collective",
        "deductions-0-percent": "15",
        "deductions-0-amount": "",
        "deductions-1-kind": "maintenance",
        "deductions-1-percent": "",
        "deductions-1-amount": "1,000",
    }
    for i in (2, 3):
        data.update({f"deductions-{i}-kind": "", f"deductions-{i}-percent": "", f"deductions-{i}-amount": ""})
    for i, h in enumerate(world.households):
        data.update({f"households-{i}-household_id": str(h.id), f"households-{i}-weight": ""})
    data.update(kw)
    return data


def published_plan(world: World, **kw) -> Distribution:
    """Draft (`plan_input(world, **kw)`: this month), approve and publish a plan of the world's project."""
    sec = world.users["secretary"]
    plan = distributions.draft_plan(sec, plan_input(world, **kw))
    distributions.approve_plan(sec, plan)
    return distributions.publish_plan(sec, plan)


def publish(world: World, pool_fen: int = 1000_00) -> Distribution:
    """Draft, approve and publish a by-shares plan of the world's project for last month."""
    sec, period = world.users["secretary"], prev_period()
    start = first_day(period)
    if start < ledger.today().replace(month=1, day=1):  # in January the builders' shares start too late
        for hh, shares in ((world.households[0], 10), (world.households[1], 5)):
            catalog.set_shares(sec, hh, world.cooperative.id, Decimal(shares), start)
    plan = distributions.draft_plan(
        sec, PlanInput(project_id=world.project.id, period=period, pool_fen=pool_fen, basis="shares")
    )
    distributions.approve_plan(sec, plan)
    return distributions.publish_plan(sec, plan)


def expire_notice(plan: Distribution) -> None:
    """Move the plan's publication back past its notice period."""
    plan.published_at = plan.published_at - timedelta(days=8)
    db.session.commit()


def open_plans(household: Household) -> list:
    """The published plans of the household's village still in their notice period (公示期)."""
    return [row for row in objections.published_plans_for(household) if row.open]


def objection_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Objection))


# ---- import files ------------------------------------------------------------


def previous_month() -> date:
    """The first day of last month: always open and never in the future."""
    first = ledger.today().replace(day=1)
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


M = previous_month()
PERIOD = M.strftime("%Y-%m")
LEDGER_HEADER = ["日期", "摘要", "类别", "数量(斤)", "金额（元）", "户主"]


def write_xlsx(path, rows, *, header=LEDGER_HEADER, title="中洞村中华蜂养殖项目收支台账", signature=True):
    """A workbook as a village accountant keeps it: title, unit row, blank row, header, rows, signature."""
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(["单位：元", None, None, None, None, f"{M.year}年{M.month}月"])
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    if signature:
        ws.append([])
        ws.append(["制表人：李会计", None, "审核人：王书记", None, None, None])
    wb.save(path)
    return path


def run_import(app, *args):
    """`flask coop import …` with --json: (exit code, parsed JSON)."""
    result = app.test_cli_runner().invoke(args=["coop", "import", *map(str, args), "--json"])
    assert result.output.strip(), result.output
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def write_roster(path, rows, header=("户主姓名", "人口", "村民小组", "身份证号码", "联系电话", "脱贫户")):
    """A household roster as a village keeps it: two title rows, the header, rows, a signature."""
    wb = Workbook()
    ws = wb.active
    ws.append(["中洞村农户花名册"])
    ws.append(["填报单位：中洞村委会"])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    ws.append(["制表人：王书记"])
    wb.save(path)
    return path


def run_roster(app, *args):
    """`flask coop import households …` with --json: (exit code, parsed JSON)."""
    result = app.test_cli_runner().invoke(args=["coop", "import", "households", *map(str, args), "--json"])
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of an exported CSV, which must carry the BOM that Excel needs."""
    assert content.startswith("\ufeff".encode()), "UTF-8 with a BOM, for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def hidden_fields(html: str) -> dict:
    """The hidden inputs of a page's forms (the import previews' kept-upload fields), name → value
    (the value as the browser sends it: HTML entities decoded)."""
    return {name: unescape(value) for name, value in re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', html)}


def household_count() -> int:
    """How many households the database holds."""
    return db.session.scalar(select(func.count()).select_from(Household))


# An NBS 统计用区划代码 table (published names, a town row per town) and a village-groups sheet.
NBS = [
    ("统计用区划代码", "城乡分类代码", "名称"),
    ("441323110000", "", "高潭镇"),
    ("441323110201", "220", "中洞村委会"),
    ("441323110203", "220", "义和村委会"),
    ("441323110204", "111", "北门社区居委会"),
    ("441323113000", "", "新庵镇"),
    ("441323113201", "220", "新庵村委会"),
]
GROUPS = [
    ("代码", "名称", "上级代码", "层级"),
    ("441323110203001", "义和一组", "441323110203", "村民小组"),
    ("441323110203002", "义和二组", "441323110203", "group"),
]


def write_area_xlsx(path, rows, title=None, numeric_codes=False):
    """An area list as a clerk saves it: an optional title row, then `rows` (codes as numbers if asked)."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for i, row in enumerate(rows):
        if numeric_codes and i > 0:
            row = (int(row[0]), *row[1:])
        ws.append(list(row))
    wb.save(path)
    return path


def insert_old_areas(conn) -> None:
    """惠东县, 高潭镇 and 中洞村 as rows of a database from before areas were audited (a migration test's start)."""
    conn.execute(
        text(
            "INSERT INTO areas (id, code, name, level, parent_id, path) VALUES "
            "(1, '441323', '惠东县', 'county', NULL, '/441323/'), "
            "(2, '441323110', '高潭镇', 'town', 1, '/441323/441323110/'), "
            "(3, '441323110201', '中洞村', 'village', 2, '/441323/441323110/441323110201/')"
        )
    )


# ---- the route table: who may use each route (tests/test_access_matrix.py, tests/test_csrf_all.py) ----
#
# Each (endpoint, method) of the app has a row in ROUTES declaring what each of the eight
# callers gets; a route missing from it fails test_every_route_is_in_the_table.
#
# Callers, in the order of a row's expectations:
#
#     anon   nobody logged in
#     acc    中洞村's accountant                sec    中洞村's secretary
#     town   高潭镇's reviewer (中洞村's town)   county the county reviewer
#     admin  the administrator
#     acc2   八维村's accountant (a foreign village: every id/code in a URL is 中洞村's)
#     sec2   八维村's secretary
#
# Outcomes:
#
#     ok     let in: not a login redirect / 401, not 403, not 404, never 5xx (a state rule may
#            still refuse the action with 409/422 or a flash-and-redirect; that is past the door)
#     L      sent to log in: 302 to /login on a page, 401 JSON from the API
#     403    refused                     404   not found (an object outside the scope)
#     -      either 403 or 404
#     422    the form refuses it (e.g. a foreign project is not among the choices offered)
#
# URL arguments come from the test world (`objects` below): ids and codes of 中洞村, the
# village of acc/sec, so acc2/sec2 are the foreign village's users. Every request a row does
# not let in (L, 403, 404, -, 422) must leave the ledger, the plans, the objections, the
# projects, the households and the audit chain exactly as they were.
#
# A new route: add `("blueprint.endpoint", "METHOD"): R("L ok ok …", {"url_arg": "objects key"}, body)`.

CALLERS = ("anon", "acc", "sec", "town", "county", "admin", "acc2", "sec2")
USERNAMES = {"acc": "acc", "sec": "sec", "town": "town", "county": "county", "admin": "admin"}
USERNAMES |= {"acc2": "acc2", "sec2": "sec2"}
# Callers without a column of their own in ROUTES: the routes only they may use name them (`first_caller`).
USERNAMES |= {"tacc": "gaotan.town"}
ONLY_CALLER = {
    "town.": "tacc",
    "distributions.town_approve": "tacc",
    "distributions.town_return": "tacc",
    "api.town_approve_plan": "tacc",
    "api.town_return_plan": "tacc",
    "api.approve_reopening": "tacc",
    "api.refuse_reopening": "tacc",
}


def first_caller(endpoint: str, outcomes: dict[str, str]) -> str:
    """The first caller the access matrix lets through a route; for a route of a role without a column
    (the town accountant's), that role's caller."""
    for prefix, caller in ONLY_CALLER.items():
        if endpoint.startswith(prefix):
            return caller
    return next(c for c in CALLERS if outcomes[c] == "ok")


PUBLIC = "ok ok ok ok ok ok ok ok"


@dataclass
class Route:
    """One row: expectations for CALLERS, URL arguments (names of `objects`), a form/JSON body."""

    expect: str
    args: dict = field(default_factory=dict)
    data: dict | None = None
    query: str = ""
    # An action that cannot be undone: a post without confirmed=1 shows its confirmation page and writes
    # nothing (tests/test_confirmations.py); the matrix posts it with confirmed=1, as the page's 确定 does.
    confirm: bool = False

    def outcomes(self) -> dict[str, str]:
        tokens = self.expect.split()
        assert len(tokens) == len(CALLERS), f"{self.expect!r}: one outcome per caller {CALLERS}"
        return dict(zip(CALLERS, tokens, strict=True))


R = Route
# Bodies (values in braces are filled from `objects`).
ENTRY_FORM = {"project_id": "{project}", "period": "{period}", "kind": "sales", "amount": "100"}
ENTRY_JSON = {"project_id": "{project}", "period": "{period}", "kind": "sales", "amount": "100.00"}
PROJECT_FORM = {"name": "新项目", "type": "other"}
HOUSEHOLD_FORM = {"head_name": "新户", "members": "2"}
REASON = {"reason": "重复登记"}
PLAN_FORM = {
    "project_id": "{project}",
    "period": "{period}",
    "pool": "1000",
    "basis": "equal",
    "households-0-household_id": "{household}",
    "households-1-household_id": "{household2}",
}
UPLOAD = {"project_id": "{project}", "file": "@upload.csv"}  # "@name": a small CSV file
CONFIRM = {"project_id": "{project}", "sha": "0" * 64, "suffix": ".csv", "file_name": "x.csv"}
# A choice pressed on an import's preview (web/imports/reading.py CHOICE: its fields are "read-…").
REREAD = {f"read-{name}": value for name, value in CONFIRM.items()}
USER_FORM = {"username": "new.acc", "display_name": "新会计", "role": "accountant", "area": "{village}", "phone": ""}
USER_JSON = {"username": "new.acc", "display_name": "新会计", "role": "会计", "area": "{village}"}
PLAN_JSON = {"project_id": "{project}", "period": "{period}", "pool": "1000.00", "basis": "equal"}

# (endpoint, method) → Route. Columns: anon acc sec town county admin acc2 sec2
ROUTES: dict[tuple[str, str], Route] = {
    # ---- public: no login needed --------------------------------------------------------
    ("static", "GET"): R(PUBLIC, {"filename": "app.css"}),
    ("auth.login", "GET"): R(PUBLIC),
    ("auth.login", "POST"): R(PUBLIC, data={"username": "nobody", "password": "wrong-pass-1"}),
    ("auth.set_language", "POST"): R(PUBLIC, {"code": "en"}),
    ("public.statement", "GET"): R(PUBLIC, {"token": "token"}),
    ("public.raise_objection", "POST"): R(PUBLIC, {"token": "token"}, {"distribution_id": "{plan}", "text": "异议"}),
    ("public.village", "GET"): R(PUBLIC, {"code": "village"}),  # 村务公开, no login
    ("public.villages", "GET"): R(PUBLIC),  # the public entry page: every village, by town
    ("api.openapi", "GET"): R(PUBLIC),
    ("offline.service_worker", "GET"): R(PUBLIC),  # the installable app (issue 17)
    ("offline.manifest", "GET"): R(PUBLIC),
    ("offline.choices", "GET"): R("L ok 403 403 403 403 ok 403"),  # the entry form's choices, own village
    # ---- auth -------------------------------------------------------------------------
    ("auth.home", "GET"): R("L ok ok ok ok ok ok ok"),
    ("auth.logout", "POST"): R("L ok ok ok ok ok ok ok"),
    ("auth.change_password", "GET"): R("L ok ok ok ok ok ok ok"),
    ("auth.change_password", "POST"): R("L ok ok ok ok ok ok ok", data={"current_password": "wrong-pass-1"}),
    # ---- ledger (the accountant keeps it) -----------------------------------------------
    ("ledger.entries", "GET"): R("L ok ok ok ok ok ok ok"),
    ("ledger.export", "GET"): R("L ok ok ok ok ok ok ok", {"fmt": "csv"}),
    ("ledger.new_entry", "GET"): R("L ok 403 403 403 403 ok 403"),
    ("ledger.new_entry", "POST"): R("L ok 403 403 403 403 - 403", data=ENTRY_FORM),
    ("ledger.entry", "GET"): R("L ok ok ok ok ok - -", {"entry_id": "draft"}),
    ("ledger.edit_entry", "GET"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}),
    ("ledger.edit_entry", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}, ENTRY_FORM),
    ("ledger.submit", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}),
    ("ledger.void", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}, confirm=True),
    ("ledger.reverse", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "approved"}, REASON),
    # ---- review (the secretary) ---------------------------------------------------------
    ("review.queue", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("review.approve", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}),
    ("review.return_entry", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}, REASON),
    ("review.warning_list", "GET"): R("L ok ok ok ok ok ok ok"),  # 预警: anyone's own scope
    ("review.months", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("review.months", "POST"): R("L 403 ok 403 403 403 403 ok", data={"period": "{period}"}, confirm=True),
    ("review.reopen_month", "POST"): R("L 403 ok 403 403 403 403 ok", data=REASON),
    # The town's queue is the town accountant's (tests/test_access_matrix.py TOWN_ACCOUNTANT: let in).
    ("town.queue", "GET"): R("L 403 403 403 403 403 403 403"),
    ("town.approve_reopening", "POST"): R("L 403 403 403 403 403 - -", {"reopening_id": "reopening"}),
    ("town.refuse_reopening", "POST"): R("L 403 403 403 403 403 - -", {"reopening_id": "reopening"}, REASON),
    # ---- the village's projects, households, objections -----------------------------------
    ("village.projects", "GET"): R("L ok ok ok ok ok 403 403", query="village={village}"),
    ("village.new_project", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("village.new_project", "POST"): R("L 403 ok 403 403 403 403 ok", data=PROJECT_FORM),
    ("village.edit_project", "GET"): R("L 403 ok 403 403 403 - -", {"project_id": "project"}),
    ("village.edit_project", "POST"): R("L 403 ok 403 403 403 - -", {"project_id": "project"}, PROJECT_FORM),
    ("village.households", "GET"): R("L ok ok ok ok ok 403 403", query="village={village}"),
    ("village.household", "GET"): R("L ok ok ok ok ok - -", {"household_id": "household"}),
    ("village.new_household", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("village.new_household", "POST"): R("L 403 ok 403 403 403 403 ok", data=HOUSEHOLD_FORM),
    ("village.edit_household", "GET"): R("L 403 ok 403 403 403 - -", {"household_id": "household"}),
    ("village.edit_household", "POST"): R("L 403 ok 403 403 403 - -", {"household_id": "household"}, HOUSEHOLD_FORM),
    ("village.change_shares", "POST"): R(
        "L 403 ok 403 403 403 - -",
        {"household_id": "household3"},
        {"cooperative_id": "{coop}", "shares": "3", "since": "{today}"},
    ),
    ("village.statement", "GET"): R("L ok ok ok ok ok - -", {"household_id": "household"}),
    ("village.reissue_public_link", "POST"): R("L 403 ok 403 403 403 - -", {"household_id": "household"}, confirm=True),
    ("village.objections_queue", "GET"): R("L ok ok 403 403 403 ok ok"),
    ("village.answer_objection", "POST"): R(
        "L 403 ok 403 403 403 - -", {"objection_id": "objection"}, {"outcome": "rejected", "answer": "不改"}
    ),
    ("village.export_households", "GET"): R("L ok ok ok ok ok 403 403", {"fmt": "csv"}, query="village={village}"),
    # ---- disclosure: the notice board sheet, the annual report, the calendar ---------------
    ("disclosure.calendar", "GET"): R("L ok ok ok ok ok ok ok"),  # the caller's own scope by default
    ("disclosure.notice", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.notice_pdf", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.annual", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.annual_pdf", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("disclosure.publish", "POST"): R("L 403 ok 403 403 403 403 403", {"code": "village"}, {"period": "{period}"}),
    # ---- distributions --------------------------------------------------------------------
    ("distributions.plans", "GET"): R("L ok ok ok ok ok ok ok"),
    ("distributions.new_plan", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("distributions.new_plan", "POST"): R("L 403 ok 403 403 403 403 -", data=PLAN_FORM),
    ("distributions.plan", "GET"): R("L ok ok ok ok ok - -", {"plan_id": "draft_plan"}),
    ("distributions.approve", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}, confirm=True),
    ("distributions.publish", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}, confirm=True),
    ("distributions.town_approve", "POST"): R("L 403 403 403 403 403 - -", {"plan_id": "draft_plan"}, confirm=True),
    ("distributions.town_return", "POST"): R("L 403 403 403 403 403 - -", {"plan_id": "draft_plan"}, REASON),
    ("distributions.delete", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}, confirm=True),
    ("distributions.reverse", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "plan"}, REASON, confirm=True),
    # ---- imports ------------------------------------------------------------------------
    ("imports.upload_ledger", "GET"): R("L ok 403 403 403 403 ok 403"),
    ("imports.upload_ledger", "POST"): R("L ok 403 403 403 403 422 403", data=UPLOAD),
    ("imports.confirm_ledger", "POST"): R("L ok 403 403 403 403 - 403", data=CONFIRM),
    ("imports.reread_ledger", "POST"): R("L ok 403 403 403 403 - 403", data=REREAD),
    ("imports.upload_households", "GET"): R("L 403 ok 403 403 403 403 ok"),
    ("imports.upload_households", "POST"): R("L 403 ok 403 403 403 403 ok", data={"file": "@roster.csv"}),
    ("imports.confirm_households", "POST"): R("L 403 ok 403 403 403 403 ok", data=CONFIRM),
    ("imports.reread_households", "POST"): R("L 403 ok 403 403 403 403 ok", data=REREAD),
    ("imports.batch", "GET"): R("L ok ok ok ok ok - -", {"batch_id": "batch"}),
    ("imports.submit_batch", "POST"): R("L ok 403 403 403 403 - -", {"batch_id": "batch"}, confirm=True),
    ("imports.approve_batch", "POST"): R("L 403 ok 403 403 403 - -", {"batch_id": "batch"}, confirm=True),
    # ---- reports, dashboards, charts, exports ----------------------------------------------
    ("reports.dashboard_home", "GET"): R("L ok ok ok ok ok ok ok"),
    ("reports.areas", "GET"): R("L ok ok ok ok ok ok ok"),
    ("reports.export", "GET"): R("L ok ok ok ok ok ok ok", {"fmt": "csv"}),
    ("reports.village", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("reports.project", "GET"): R("L ok ok ok ok ok - -", {"project_id": "project"}),
    ("reports.set_project_target", "POST"): R(
        "L 403 ok 403 403 ok - -", {"project_id": "project"}, {"target-year": "{year}", "target-output": "20万"}
    ),
    ("charts.compare", "GET"): R("L ok ok ok ok ok ok ok", {"fmt": "svg"}),
    ("charts.project_output", "GET"): R("L ok ok ok ok ok - -", {"project_id": "project", "fmt": "svg"}),
    ("charts.project_yield", "GET"): R("L ok ok ok ok ok - -", {"project_id": "project", "fmt": "svg"}),
    ("charts.village_benefit", "GET"): R("L ok ok ok ok ok - -", {"code": "village", "fmt": "svg"}),
    ("orgs.party_orgs_list", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_party_org", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新党支部", "kind": "branch", "area": "{village}"}
    ),
    ("orgs.edit_party_org", "GET"): R("L 403 403 403 403 ok 403 403", {"org_id": "party_org"}),
    ("orgs.edit_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", {"org_id": "party_org"}, {"name": "中洞村党总支", "area": "{village}"}
    ),
    ("orgs.upgrade_party_org", "GET"): R("L 403 403 403 403 ok 403 403", {"org_id": "party_org"}),
    ("orgs.upgrade_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", {"org_id": "party_org"}, {"kind": "general_branch", "date": "{today}"}
    ),
    ("orgs.cooperatives_list", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_cooperative", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("orgs.new_cooperative", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新合作社", "credit_code": credit_code(7), "village": "{village}"}
    ),
    ("orgs.edit_cooperative", "GET"): R("L 403 403 403 403 ok 403 403", {"coop_id": "coop"}),
    ("orgs.edit_cooperative", "POST"): R(
        "L 403 403 403 403 ok 403 403",
        {"coop_id": "coop"},
        {"name": "改名社", "credit_code": credit_code(1), "village": "{village}"},
    ),
    ("users.user_list", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("users.new", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("users.new", "POST"): R("L 403 403 403 403 ok 403 403", data=USER_FORM),
    ("users.edit", "GET"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("users.edit", "POST"): R(
        "L 403 403 403 403 ok 403 403", {"username": "acc"}, {k: v for k, v in USER_FORM.items() if k != "username"}
    ),
    ("users.deactivate", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("users.activate", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("users.reset_password", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("users.upload", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("users.upload", "POST"): R("L 403 403 403 403 ok 403 403", data={"file": "@users.csv"}),
    ("users.confirm_upload", "POST"): R("L 403 403 403 403 ok 403 403", data=CONFIRM),
    ("users.reread_upload", "POST"): R("L 403 403 403 403 ok 403 403", data=REREAD),
    ("areas.tree", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("areas.new", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("areas.new", "POST"): R("L 403 403 403 403 ok 403 403", data={"code": "441323110209", "name": "新村"}),
    ("areas.edit", "GET"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}),
    ("areas.edit", "POST"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}, {"name": "改名村"}),
    ("areas.retire", "POST"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}, confirm=True),
    ("areas.merge", "GET"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}),
    ("areas.merge", "POST"): R("L 403 403 403 403 ok 403 403", {"code": "village2"}, {"merged_into": "{village}"}),
    ("areas.upload", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("areas.upload", "POST"): R("L 403 403 403 403 ok 403 403", data={"file": "@areas.csv"}),
    ("areas.confirm_upload", "POST"): R("L 403 403 403 403 ok 403 403", data=CONFIRM),
    ("areas.reread_upload", "POST"): R("L 403 403 403 403 ok 403 403", data=REREAD),
    ("users.unlock_confirm", "GET"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("users.unlock", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    # ---- API ------------------------------------------------------------------------------
    ("api.create_token", "POST"): R(PUBLIC, data={"username": "acc", "password": "pass-word-1"}),
    ("api.revoke_token", "DELETE"): R("L ok ok ok ok ok ok ok"),
    ("api.list_warnings", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.change_password", "POST"): R(
        "L ok ok ok ok ok ok ok", data={"current_password": "wrong-pass-1", "new_password": "new-pass-22"}
    ),
    ("api.list_users", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("api.create_user", "POST"): R("L 403 403 403 403 ok 403 403", data=USER_JSON),
    ("api.change_user", "PATCH"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}, {"display_name": "李会计"}),
    ("api.reset_user_password", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("api.unlock_user", "POST"): R("L 403 403 403 403 ok 403 403", {"username": "acc"}),
    ("api.list_areas", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_area", "POST"): R("L 403 403 403 403 ok 403 403", data={"code": "441323110209", "name": "新村"}),
    ("api.change_area", "PATCH"): R("L 403 403 403 403 ok 403 403", {"area_code": "village2"}, {"name": "改名村"}),
    ("api.compare", "GET"): R("L ok ok ok ok ok ok ok"),  # the caller's own scope by default
    ("api.village_summary", "GET"): R("L ok ok ok ok ok 403 403", {"code": "village"}),
    ("api.list_projects", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_project", "POST"): R("L 403 ok 403 403 403 403 403", data={**PROJECT_FORM, "village": "{village}"}),
    ("api.set_project_target", "PUT"): R(
        "L 403 ok 403 403 ok 403 403", {"project_id": "project", "year": "year"}, {"output": "20万"}
    ),
    ("api.list_cooperatives", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_cooperative", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新合作社", "credit_code": credit_code(7), "village": "{village}"}
    ),
    ("api.list_party_orgs", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", data={"name": "新党支部", "kind": "branch", "area": "{village}"}
    ),
    ("api.change_party_org", "PATCH"): R(
        "L 403 403 403 403 ok 403 403", {"org_id": "party_org"}, {"name": "中洞村党总支"}
    ),
    ("api.upgrade_party_org", "POST"): R(
        "L 403 403 403 403 ok 403 403", {"org_id": "party_org"}, {"kind": "general_branch", "date": "{today}"}
    ),
    ("api.list_households", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_household", "POST"): R(
        "L 403 ok 403 403 403 403 403", data={**HOUSEHOLD_FORM, "members": 2, "village": "{village}"}
    ),
    ("api.list_entries", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.create_entry", "POST"): R("L ok 403 403 403 403 - -", data=ENTRY_JSON),
    ("api.get_entry", "GET"): R("L ok ok ok ok ok - -", {"entry_id": "draft"}),
    ("api.update_entry", "PUT"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}, ENTRY_JSON),
    ("api.submit_entry", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}),
    ("api.approve_entry", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}),
    ("api.return_entry", "POST"): R("L 403 ok 403 403 403 - -", {"entry_id": "submitted"}, REASON),
    ("api.reverse_entry", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "approved"}, REASON),
    ("api.list_plans", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.draft_plan", "POST"): R("L 403 ok 403 403 403 - -", data=PLAN_JSON),
    ("api.get_plan", "GET"): R("L ok ok ok ok ok - -", {"plan_id": "draft_plan"}),
    ("api.approve_plan", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("api.publish_plan", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("api.town_approve_plan", "POST"): R("L 403 403 403 403 403 - -", {"plan_id": "draft_plan"}),
    ("api.town_return_plan", "POST"): R("L 403 403 403 403 403 - -", {"plan_id": "draft_plan"}, REASON),
    ("api.list_months", "GET"): R("L ok ok ok ok ok - -", query="village={village}"),
    ("api.close_month", "POST"): R("L 403 ok 403 403 403 403 -", data={"period": "{period}", "village": "{village}"}),
    ("api.request_reopening", "POST"): R("L 403 ok 403 403 403 403 -", data={**REASON, "village": "{village}"}),
    ("api.list_reopenings", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.approve_reopening", "POST"): R("L 403 403 403 403 403 - -", {"reopening_id": "reopening"}),
    ("api.refuse_reopening", "POST"): R("L 403 403 403 403 403 - -", {"reopening_id": "reopening"}, REASON),
    ("api.reverse_plan", "POST"): R("L 403 ok 403 403 403 - -", {"plan_id": "plan"}, REASON),
    ("api.delete_plan", "DELETE"): R("L 403 ok 403 403 403 - -", {"plan_id": "draft_plan"}),
    # ---- county settings (县级设置): read by all, changed by the county admin ---------------
    ("settings.edit", "GET"): R("L 403 403 403 403 ok 403 403"),
    ("settings.edit", "POST"): R("L 403 403 403 403 ok 403 403", data={"categories": "办公费", "version": "0"}),
    ("api.get_settings", "GET"): R("L ok ok ok ok ok ok ok"),
    ("api.put_settings", "PUT"): R("L 403 403 403 403 ok 403 403", data={"voucher_required_above_fen": 20000}),
    ("api.list_vouchers", "GET"): R("L ok ok ok ok ok - -", {"entry_id": "draft"}),
    ("api.attach_voucher", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}, {"file": "@photo.jpg"}),
    ("api.voucher_file", "GET"): R("L ok ok ok ok ok - -", {"voucher_id": "voucher"}),
    ("api.voucher_thumbnail", "GET"): R("L ok ok ok ok ok - -", {"voucher_id": "voucher"}),
    ("api.remove_voucher", "DELETE"): R("L ok 403 403 403 403 - -", {"voucher_id": "voucher2"}),
    # The entry page's voucher form and delete button (the files are served by the API above).
    ("vouchers.upload", "POST"): R("L ok 403 403 403 403 - -", {"entry_id": "draft"}, {"file": "@photo.jpg"}),
    ("vouchers.remove", "POST"): R("L ok 403 403 403 403 - -", {"voucher_id": "voucher2"}, confirm=True),
}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def app_routes(app) -> list[tuple[str, str]]:
    """Every (endpoint, method) the app answers."""
    pairs = {(rule.endpoint, m) for rule in app.url_map.iter_rules() for m in rule.methods - IGNORED_METHODS}
    return sorted(pairs)


def csv_batch(world, tmp_path):
    """A ledger import batch of 中洞村's project (one draft)."""
    from coopapp.imports.ledger import import_ledger

    path = tmp_path / "batch.csv"
    path.write_text(f"日期,类别,金额\n{ledger.today().replace(day=1).isoformat()},销售收入,12.00\n", encoding="utf-8")
    report = import_ledger(world.users["accountant"], world.project, path, "batch.csv")
    assert report.ok, report
    return report.batch_id


def route_objects(app, tmp_path, monkeypatch) -> dict:
    """Ids and codes of 中洞村 (the own village of acc/sec) in every state the routes act on, in a
    world built for them (its ids under "world": `World.load(objects["world"])`)."""
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "PDF_CHROMIUM", "")  # a PDF falls back to its print page: access is the same
    return built_once("route_objects", lambda: _build_route_objects(tmp_path))


def _build_route_objects(tmp_path) -> dict:
    from coopapp.distributions import plans as distributions
    from coopapp.distributions.plans import PlanInput

    world = build_world()
    acc = world.users["accountant"]
    draft = ledger.create_entry(acc, entry_input(world.project, amount_fen=11_00))
    submitted = ledger.create_entry(acc, entry_input(world.project, amount_fen=22_00))
    ledger.submit_entry(acc, submitted)
    approved = approved_entry(world, amount_fen=33_00)
    # Two vouchers of one photo (one receipt for two entries: one entry takes a file once): removing
    # one (the matrix's DELETE) keeps the file the other uses.
    photo = tiny_jpeg()
    voucher = vouchers.attach_voucher(acc, draft, photo, "发票.jpg")
    other_draft = ledger.create_entry(acc, entry_input(world.project, amount_fen=12_00))
    voucher2 = vouchers.attach_voucher(acc, other_draft, photo, "发票.jpg")
    plan = publish(world)  # a published plan and one objection to it
    objection = objections.raise_objection(world.households[0], plan.id, "金额不对")
    draft_plan = distributions.draft_plan(
        world.users["secretary"],
        PlanInput(project_id=world.project.id, period=ledger.current_period(), pool_fen=500_00, basis="equal"),
    )
    # 高潭镇's agency accountant (the caller "tacc": no column of the matrix, see test_access_matrix.py
    # TOWN_ACCOUNTANT); an early month closed, and the secretary's request to reopen it (反结账).
    town_accountant(world, USERNAMES["tacc"])
    ledger.close_month(world.users["secretary"], world.village, "2024-01")
    reopening = reopenings.request_reopening(world.users["secretary"], world.village, "2024-01", "补记漏登的收入")
    return {
        "draft": draft.id,
        "submitted": submitted.id,
        "approved": approved.id,
        "project": world.project.id,
        "coop": world.cooperative.id,
        "household": world.households[0].id,
        "household2": world.households[1].id,
        "household3": world.households[2].id,
        "village": world.village.code,
        "village2": world.other_village.code,
        "period": draft.period,
        "today": ledger.today().isoformat(),
        "year": ledger.today().year,
        "party_org": party_orgs.create_party_org(
            world.users["admin"], party_orgs.PartyOrgInput("中洞村党支部", "branch", world.village.code)
        ).id,
        "plan": plan.id,
        "draft_plan": draft_plan.id,
        "reopening": reopening.id,
        "objection": objection.id,
        "voucher": voucher.id,
        "voucher2": voucher2.id,
        "batch": csv_batch(world, tmp_path),
        "token": world.households[0].public_token,
        "world": world.ids(),
        "credentials": _credentials(),
    }


def _credentials() -> dict:
    """A signed-in session key and a Bearer token for every user of the world, made once with the
    snapshot (logging in costs two requests; the login itself is tested in test_accounts.py)."""
    from coopapp.access import accounts, sessions

    users = db.session.scalars(select(User).where(User.active)).all()
    made = {u.username: (u.get_id(), sessions.start_session(u), accounts.issue_token(u)) for u in users}
    seen_ahead()
    return made


def seen_ahead() -> None:
    """Sessions made for a snapshot count as seen a day ahead: their first request in each later test
    does not write `last_seen_at` (at most once a minute, `sessions.SEEN_EVERY`)."""
    from coopapp.models import UserSession
    from coopapp.models.base import utcnow

    db.session.execute(update(UserSession).values(last_seen_at=utcnow() + timedelta(days=1)))
    db.session.commit()


def route_state() -> tuple:
    """What a refused request must leave untouched."""
    db.session.rollback()
    # Logging the caller in issues a Bearer token, which the chain records: not the request's doing.
    events = db.session.scalar(select(func.count()).where(AuditEvent.object_type != "api_token"))
    counts = (events,) + tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (
            LedgerEntry,
            Distribution,
            Objection,
            Project,
            ProjectTarget,
            Cooperative,
            PartyOrg,
            Household,
            CountySettings,
            Voucher,
        )
    )
    states = tuple(db.session.execute(select(LedgerEntry.id, LedgerEntry.status).order_by(LedgerEntry.id)).all())
    plans = tuple(db.session.execute(select(Distribution.id, Distribution.status).order_by(Distribution.id)).all())
    people = tuple(
        db.session.execute(
            select(User.username, User.role, User.area_id, User.active, User.password_hash).order_by(User.id)
        ).all()
    )
    return counts, states, plans, people


UPLOAD_CSV = "日期,类别,金额\n2024-03-05,销售收入,1.00\n".encode()


def tiny_jpeg(color=(200, 30, 30), size=(24, 16)) -> bytes:
    """A small JPEG photo (a voucher)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def fill_body(value, objects: dict):
    """A route's body with `{name}` filled from `objects` and "@name" made a small CSV upload."""
    if isinstance(value, str) and value.startswith("@"):
        return (io.BytesIO(UPLOAD_CSV), value[1:])
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        return {k: fill_body(v, objects) for k, v in value.items()}
    return value


def route_url(app, endpoint: str, route: Route, objects: dict) -> str:
    """The URL of `route` with its arguments (and query) taken from `objects`."""
    values = {name: objects.get(key, key) for name, key in route.args.items()}
    with app.test_request_context():
        url = url_for(endpoint, **values)
    return url + (f"?{route.query.format(**objects)}" if route.query else "")


# ---- hostile workbooks (tests/test_xlsx_hostile.py) ---------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def hostile_xlsx(path, rows_xml: str = "", *, shared=None, parts: dict | None = None):
    """The least workbook around hand-written `<sheetData>` rows: `shared` an iterable of shared
    strings (streamed into the part, never held whole), `parts` more parts by name (bytes or str)."""
    files = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="台账" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>{rows_xml}</sheetData></worksheet>',
        **(parts or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in files.items():
            archive.writestr(name, data if isinstance(data, bytes) else data.encode())
        if shared is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(f'<sst xmlns="{_MAIN}">'.encode())
                batch = []
                for text in shared:
                    batch.append(f"<si><t>{text}</t></si>")
                    if len(batch) == 4096:
                        part.write("".join(batch).encode())
                        batch = []
                part.write(("".join(batch) + "</sst>").encode())
    return path


def ledger_rows_xml(rows) -> str:
    """`<row>`s of inline strings and numbers: rows as (row number, {reference: value})."""
    out = []
    for number, cells in rows:
        xml = "".join(
            f'<c r="{ref}"><v>{value}</v></c>'
            if isinstance(value, int | float)
            else f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
            for ref, value in cells.items()
        )
        out.append(f'<row r="{number}">{xml}</row>')
    return "".join(out)


_READ_SCRIPT = """
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("xlsx_reader", sys.argv[1])  # alone: no app to import
xlsx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(xlsx)
args = json.loads(sys.argv[2])
xlsx.FAST = args["fast"]
results = []
for path in args["paths"]:
    result = {"rows": 0, "last": None, "width": 0, "limit": None, "error": None}
    start = time.monotonic()
    try:
        for number, cells in xlsx.iter_rows(path, 1 << 30, xlsx.Budget(**args["budget"])):
            result["rows"] += 1
            result["last"], result["width"] = number, max(result["width"], len(cells))
    except xlsx.XlsxLimit as exc:
        result["limit"] = exc.kind
    except xlsx.XlsxError as exc:
        result["error"] = str(exc)
    result["seconds"] = time.monotonic() - start
    results.append(result)
print(json.dumps(results))
"""


def read_confined(paths, *, fast: bool = True, memory_mb: int = 256, seconds: int = 60, **budget):
    """Read workbooks with the XLSX reader (xlsx.Budget(**budget)) in a child process held to
    `memory_mb` of address space and `seconds` (CPU and wall clock), so that a regression fails the
    test instead of hanging it. For each path (one path: its result alone): {"rows", "last" (row
    number), "width" (the widest row), "limit" (XlsxLimit's kind), "error", "seconds"}."""
    import resource
    import subprocess
    import sys
    from pathlib import Path

    import coopapp.imports.xlsx

    def confine():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))

    many = isinstance(paths, list | tuple)
    args = json.dumps({"paths": [str(p) for p in (paths if many else [paths])], "fast": fast, "budget": budget})
    done = subprocess.run(
        [sys.executable, "-c", _READ_SCRIPT, str(Path(coopapp.imports.xlsx.__file__)), args],
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=confine,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return results if many else results[0]


@contextmanager
def within(seconds: float):
    """Fail (TimeoutError) instead of hanging when the block runs longer than `seconds`."""
    import signal

    def expire(_signum, _frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
