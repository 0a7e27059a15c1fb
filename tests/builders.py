"""Builders for domain objects used across the tests."""

from dataclasses import dataclass, field
from decimal import Decimal

from werkzeug.security import generate_password_hash

from coopapp.access import audit
from coopapp.core.codes import credit_code_check_char, id_number_check_digit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Area, Cooperative, Household, Membership, Project, ProjectTarget, User
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
