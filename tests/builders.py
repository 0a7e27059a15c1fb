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

from openpyxl import Workbook
from sqlalchemy import event, func, select, text
from werkzeug.security import generate_password_hash

from coopapp.access import audit
from coopapp.core.codes import credit_code_check_char, id_number_check_digit
from coopapp.core.periods import first_day
from coopapp.distributions import plans as distributions
from coopapp.distributions.plans import DeductionInput, PlanInput
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import (
    Area,
    AuditEvent,
    Cooperative,
    Distribution,
    Household,
    LedgerEntry,
    Membership,
    Objection,
    Project,
    ProjectTarget,
    User,
)
from coopapp.villages import catalog

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


def login(app, username: str) -> ApiClient:
    """A fresh client holding a Bearer token for `username`."""
    return ApiClient(app.test_client()).as_user(username)


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
    """The hidden inputs of a page's forms (the import previews' kept-upload fields), name → value."""
    return dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', html))


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
