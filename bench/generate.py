"""A plausible synthetic county, bulk-loaded for the benchmark (`python -m bench.generate`).

Towns, villages and groups under the synthetic county code 441399 (no clash with the
Huidong demo's 441323), party branches, cooperatives with valid credit codes, projects
of every type with capacity and targets, households with valid ID numbers and shares,
ten years of approved ledger entries, the summary tables and one audit event per
audited row, chained exactly as `access.audit.record_many` chains them, so that
`coop audit verify` and `coop rollup verify` pass on what it made.

Rows go in with the driver's executemany (SQLite) or COPY (PostgreSQL), ids assigned
here, never through ORM objects. Randomness is seeded: one seed, one county.
"""

import base64
import hashlib
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from coopapp.access import audit
from coopapp.core.codes import credit_code_check_char, id_number_check_digit
from coopapp.demo.people import GIVEN_FIRST, GIVEN_SECOND, SURNAMES
from coopapp.extensions import db
from coopapp.imports.bulk import RawRows
from coopapp.ledger import rollups
from coopapp.ledger.operations import today
from coopapp.models import Area, AuditEvent, User
from coopapp.models.base import utcnow
from coopapp.models.households import public_link_digest

COUNTY_CODE = "441399"
COUNTY_NAME = "基准县"
PASSWORD = "bench-pass-2025"
YEARS = 10
CHUNK = 20_000
SOURCE = {"source": "bench"}
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PLACE_CHARS = "东西南北中上下新旧大小石水山田塘坑湖岭坪洞溪龙凤鹤马牛桥岗围寨"
TOWN_SUFFIXES = ("镇",) * 13 + ("街道", "街道", "度假区")

# type → (capacity unit, capacity range, yuan of output per unit per year, output unit, yuan per unit of output)
PROJECT_KINDS = {
    "beekeeping": ("hive", (200, 3000), 500, "kg", 60),
    "photovoltaic": ("kW", (50, 500), 500, "kWh", Decimal("0.45")),
    "tourism": ("room", (10, 80), 15_000, "visit", 80),
    "planting": ("mu", (50, 800), 3_000, "kg", 6),
    "livestock": ("head", (50, 1000), 2_000, "kg", 25),
    "other": (None, None, None, None, None),
}
NOTES = {"output": "产值", "sales": "销售收入", "cost": "成本", "collective_income": "村集体收入", "subsidy": "补贴"}
PAYOUTS = ("dividend", "wage", "purchase", "rent", "welfare_job")
PAYOUT_NOTES = {"dividend": "分红", "wage": "务工", "purchase": "收购", "rent": "租金", "welfare_job": "公益岗位"}


@dataclass(frozen=True)
class Scale:
    """How big a county to make."""

    villages: int = 300
    households: int = 60_000
    entries: int = 2_000_000
    seed: int = 1


def usernames(village_code: str) -> tuple[str, str]:
    """The bench accountant's and secretary's usernames of a village."""
    return f"bench.{village_code}.accountant", f"bench.{village_code}.secretary"


def _dec_text(milli: int) -> str:
    """A quantity as its audit snapshot shows it (the MilliDecimal read back, normalised)."""
    return format((Decimal(milli) / 1000).normalize(), "f")


class Loader(RawRows):
    """Bulk rows and audit events into the session's connection, inside its transaction
    (rows written as the import's bulk writer writes them: `RawRows`)."""

    def __init__(self, seed: int, echo: Callable[[str], None]):
        super().__init__()
        self.rng = random.Random(seed)
        self.echo = echo
        self.now = utcnow()
        self.now_db = self.value(self.now)
        self.seq, self.prev, self.checks = 0, audit.GENESIS, 0
        self.bodies: dict[tuple, audit.EventBodies] = {}
        self.events: list[tuple] = []
        self.started = time.perf_counter()

    def log(self, message: str) -> None:
        self.echo(f"[{time.perf_counter() - self.started:7.1f}s] {message}")

    def audit(self, actor_id, action: str, otype: str, oid: int, snapshot: dict, extra: dict | None = SOURCE) -> None:
        """Queue the event `access.audit.record_many` would write for this row."""
        self.seq += 1
        data = audit.event_data(snapshot, extra)
        body = audit.event_body(self.seq, self.now, actor_id, action, otype, oid, data)
        self._append(actor_id, action, otype, oid, data, audit.chain_hash(self.prev, body))

    def audit_text(self, actor_id: int, action: str, otype: str, oid: int, data_text: str) -> None:
        """`audit` for an entry whose canonical data the caller wrote by hand (the load's hot path):
        the body from `audit.EventBodies`, checked against `audit.event_body` on the first events
        of every load and then every 100,000th."""
        self.seq += 1
        key = actor_id, action, otype
        bodies = self.bodies.get(key)
        if bodies is None:
            bodies = self.bodies[key] = audit.EventBodies(self.now, actor_id, action, otype)
        escaped = audit.json_escaped(data_text)
        if self.seq % 100_000 == 1 or self.checks < 50:
            self.checks += 1
            bodies.check(self.seq, oid, data_text, escaped)
        self._append(
            actor_id, action, otype, oid, data_text, audit.chain_hash(self.prev, bodies.body(self.seq, oid, escaped))
        )

    def _append(self, actor_id, action: str, otype: str, oid: int, data_text: str, digest: str) -> None:
        self.events.append(
            (self.seq, self.seq, self.now_db, actor_id, action, otype, oid, data_text, self.prev, digest)
        )
        self.prev = digest

    def flush_events(self) -> None:
        cols = (
            "id",
            "seq",
            "created_at",
            "actor_id",
            "action",
            "object_type",
            "object_id",
            "data",
            "prev_hash",
            "hash",
        )
        self.insert("audit_events", cols, self.events)
        self.events = []


def generate(scale: Scale, password: str = PASSWORD, echo: Callable[[str], None] = print) -> dict:
    """Fill the (empty) database with a county of this scale; returns the counts made. Commits."""
    for model in (Area, User, AuditEvent):
        if db.session.scalar(select(func.count()).select_from(model)):
            raise ValueError("the database is not empty: bench.generate needs an empty, migrated database")
    if db.engine.dialect.name == "sqlite":
        # Changing the journal mode needs the only connection to the file: close the idle ones.
        db.session.close()
        db.engine.dispose()
    loader = Loader(scale.seed, echo)
    if not loader.pg:
        # One long write transaction: a rollback journal, not the app's WAL (which would grow to GBs).
        loader.raw.execute("PRAGMA journal_mode=DELETE")
        loader.raw.execute("PRAGMA synchronous=OFF")
        loader.raw.execute("PRAGMA cache_size=-262144")
        loader.raw.execute("PRAGMA temp_store=MEMORY")
    county = _County(loader, scale)
    county.places()
    county.users(generate_password_hash(password))
    county.cooperatives_and_projects()
    county.households()
    county.memberships()
    loader.log(f"{county.counts['households']} households, {county.counts['memberships']} memberships")
    dropped = _drop_indexes(loader, ("ledger_entries", "audit_events"))
    county.entries()
    loader.flush_events()
    for sql in dropped:
        loader.raw.execute(sql)
    loader.log(f"indexes rebuilt ({len(dropped)})")
    db.session.execute(text("DELETE FROM audit_head"))  # the migration's empty head (seq 0), if any
    loader.insert("audit_head", ("id", "seq", "hash"), [(1, loader.seq, loader.prev)])
    loader.log(f"{loader.seq} audit events; rebuilding summaries")
    rollups.rebuild()
    if loader.pg:
        tables = (
            "areas",
            "users",
            "party_orgs",
            "cooperatives",
            "projects",
            "project_targets",
            "households",
            "memberships",
        )
        for table in (*tables, "ledger_entries", "audit_events"):
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    if not loader.pg:
        loader.raw.execute("PRAGMA journal_mode=WAL")
        loader.raw.execute("PRAGMA synchronous=FULL")
    county.counts["audit_events"] = loader.seq
    county.counts["seconds"] = round(time.perf_counter() - loader.started, 1)
    loader.log("done: " + ", ".join(f"{k} {v}" for k, v in county.counts.items()))
    return county.counts


def _drop_indexes(loader: Loader, tables: tuple[str, ...]) -> list[str]:
    """SQLite: drop the named indexes of `tables` for the load; returns the SQL that recreates them."""
    if loader.pg:
        return []
    marks = ", ".join("?" * len(tables))
    q = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"
    found = loader.raw.execute(q, tables).fetchall()
    for name, _sql in found:
        loader.raw.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


class _County:
    """The county's shape, made table by table (ids assigned here, in insertion order)."""

    def __init__(self, loader: Loader, scale: Scale):
        self.ld, self.scale, self.rng = loader, scale, loader.rng
        self.counts: dict[str, int] = {}
        self.villages: list[tuple[int, str]] = []  # (area id, code)
        self.groups: dict[int, list[int]] = {}  # village id → group ids
        self.staff: dict[int, tuple[int, int]] = {}  # village id → (accountant id, secretary id)
        self.coops: dict[int, list[int]] = {}  # village id → cooperative ids
        self.projects: list[tuple] = []  # (id, village id, type, capacity)
        self.homes: dict[int, list[int]] = {}  # village id → household ids

    def _name(self, suffix: str, taken: set[str]) -> str:
        while True:
            name = "".join(self.rng.choice(_PLACE_CHARS) for _ in range(2)) + suffix
            if name not in taken:
                taken.add(name)
                return name

    def places(self) -> None:
        rng, rows, taken = self.rng, [], set()
        rows.append((1, COUNTY_CODE, COUNTY_NAME, "county", None, f"/{COUNTY_CODE}/"))
        n_towns = max(1, min(16, self.scale.villages))
        towns = []
        for t in range(n_towns):
            code = f"{COUNTY_CODE}{100 + t:03d}"
            towns.append((len(rows) + 1, code))
            rows.append(
                (len(rows) + 1, code, self._name(TOWN_SUFFIXES[t], taken), "town", 1, f"/{COUNTY_CODE}/{code}/")
            )
        orgs = []
        for v in range(self.scale.villages):
            town_id, town_code = towns[v % n_towns]
            code = f"{town_code}{200 + v // n_towns:03d}"
            vid = len(rows) + 1
            path = f"/{COUNTY_CODE}/{town_code}/{code}/"
            name = self._name("村", taken)
            rows.append((vid, code, name, "village", town_id, path))
            self.villages.append((vid, code))
            orgs.append((len(orgs) + 1, f"中共{name}支部委员会", "branch", vid))
            self.groups[vid] = []
            for g in range(rng.randint(5, 10)):
                gid = len(rows) + 1
                gcode = f"{code}{g + 1:03d}"
                rows.append(
                    (
                        gid,
                        gcode,
                        f"{rng.choice(_PLACE_CHARS)}{rng.choice(_PLACE_CHARS)}村民小组",
                        "group",
                        vid,
                        f"{path}{gcode}/",
                    )
                )
                self.groups[vid].append(gid)
        self.ld.insert("areas", ("id", "code", "name", "level", "parent_id", "path"), rows)
        for aid, code, name, level, parent_id, path in rows:
            snap = {
                "code": code,
                "name": name,
                "level": level,
                "parent_id": parent_id,
                "path": path,
                "published_name": None,
                "retired": False,
                "merged_into_id": None,
            }
            self.ld.audit(None, "area.create", "area", aid, snap)
        for oid, name, kind, area_id in orgs:
            snap = {"name": name, "kind": kind, "area_id": area_id, "founded": None, "group_ids": [], "upgrades": []}
            self.ld.audit(None, "party_org.create", "party_org", oid, snap)
        self.ld.insert("party_orgs", ("id", "name", "kind", "area_id"), orgs)
        self.counts.update(areas=len(rows), villages=len(self.villages))

    def users(self, password_hash: str) -> None:
        ld, rows = self.ld, []
        digest = hashlib.sha256(password_hash.encode("utf-8")).hexdigest()

        def add(username: str, role: str, area_id: int) -> int:
            uid = len(rows) + 1
            rows.append((uid, username, password_hash, role, area_id, True, ld.value(ld.now)))
            snap = {
                "username": username,
                "role": role,
                "area_id": area_id,
                "active": True,
                "display_name": "",
                "phone": "",
                "must_change_password": False,
                "password": digest,
            }
            ld.audit(None, "user.create", "user", uid, snap)
            return uid

        add("bench.admin", "admin", 1)
        add("bench.reviewer", "reviewer", 1)
        for vid, code in self.villages:
            accountant, secretary = usernames(code)
            self.staff[vid] = (add(accountant, "accountant", vid), add(secretary, "secretary", vid))
        ld.insert("users", ("id", "username", "password_hash", "role", "area_id", "active", "created_at"), rows)
        self.counts["users"] = len(rows)

    def cooperatives_and_projects(self) -> None:
        rng, ld, coops, projects, taken = self.rng, self.ld, [], [], set()
        targets: list[tuple] = []
        types = list(PROJECT_KINDS)
        for n, (vid, code) in enumerate(self.villages):
            self.coops[vid] = []
            for c in range(rng.choice((1, 1, 2))):
                while True:
                    first17 = f"93{COUNTY_CODE}MA" + "".join(rng.choice(_CREDIT_CHARS) for _ in range(7))
                    if first17 not in taken:
                        taken.add(first17)
                        break
                cid = len(coops) + 1
                coops.append(
                    (cid, f"{code}号第{c + 1}专业合作社", first17 + credit_code_check_char(first17), vid, n + 1)
                )
                self.coops[vid].append(cid)
                snap = dict(zip(("name", "credit_code", "village_id", "party_org_id"), coops[-1][1:], strict=True))
                ld.audit(None, "cooperative.create", "cooperative", cid, snap)
            # Every type appears in the county; a village has three to six projects.
            kinds = [types[n % len(types)], *rng.sample(types, rng.randint(2, 5))]
            for k, ptype in enumerate(kinds):
                unit, span, per_unit, *_ = PROJECT_KINDS[ptype]
                capacity = rng.randint(*span) if span else None
                annual = capacity * per_unit if capacity else rng.randint(100_000, 1_000_000)
                collective = annual * (0.6 if ptype == "photovoltaic" else 0.1)
                coop = rng.choice(self.coops[vid]) if ptype != "photovoltaic" and k % 3 else None
                pid = len(projects) + 1
                row = {
                    "name": f"{ptype}-{k + 1}",
                    "type": ptype,
                    "village_id": vid,
                    "cooperative_id": coop,
                    "capacity": None if capacity is None else capacity * 1000,
                    "capacity_unit": unit,
                    "active": True,
                }
                projects.append((pid, *row.values()))
                self.projects.append((pid, vid, ptype, annual, collective))
                snap = dict(row, capacity=None if capacity is None else _dec_text(row["capacity"]))
                ld.audit(self.staff[vid][1], "project.create", "project", pid, snap)
                # The same plan every year of the ledger: the comparison joins the year's row.
                target = (int(round(annual * 1.05, -4)) * 100, int(round(collective * 1.05, -3)) * 100 or None)
                for year in range(today().year - YEARS + 1, today().year + 1):
                    targets.append((len(targets) + 1, pid, year, *target))
                    snap = {
                        "project_id": pid,
                        "year": year,
                        "output_fen": target[0],
                        "collective_income_fen": target[1],
                    }
                    ld.audit(self.staff[vid][1], "project_target.create", "project_target", len(targets), snap)
        ld.insert("cooperatives", ("id", "name", "credit_code", "village_id", "party_org_id"), coops)
        cols = ("id", "name", "type", "village_id", "cooperative_id", "capacity", "capacity_unit")
        ld.insert("projects", (*cols, "active"), projects)
        ld.insert("project_targets", ("id", "project_id", "year", "output_fen", "collective_income_fen"), targets)
        self.counts.update(cooperatives=len(coops), projects=len(projects))

    def households(self) -> None:
        rng, ld, rows, ids = self.rng, self.ld, [], set()
        weights = [rng.uniform(0.5, 1.5) for _ in self.villages]
        total, left = sum(weights), self.scale.households
        for n, (vid, _code) in enumerate(self.villages):
            count = (
                left if n == len(self.villages) - 1 else min(left, round(self.scale.households * weights[n] / total))
            )
            left -= count
            self.homes[vid] = []
            for _ in range(count):
                while True:
                    born = date(1950, 1, 1) + timedelta(days=rng.randrange(18_000))
                    first17 = f"{COUNTY_CODE}{born:%Y%m%d}{rng.randrange(1000):03d}"
                    if first17 not in ids:
                        ids.add(first17)
                        break
                hid = len(rows) + 1
                given = (
                    rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND)
                    if rng.random() < 0.85
                    else rng.choice(GIVEN_SECOND)
                )
                row = {
                    "village_id": vid,
                    "group_id": rng.choice(self.groups[vid]),
                    "head_name": rng.choice(SURNAMES) + given,
                    "members": rng.randint(1, 7),
                    "phone": f"13{rng.randrange(10**9):09d}",
                    "id_number": first17 + id_number_check_digit(first17),
                    "formerly_poor": rng.random() < 0.08,
                    "monitored": rng.random() < 0.02,
                }
                token = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
                rows.append((hid, *row.values(), token))
                self.homes[vid].append(hid)
                snapshot = {**row, "public_link": public_link_digest(token)}
                ld.audit(self.staff[vid][1], "household.create", "household", hid, snapshot)
        cols = (
            "id",
            "village_id",
            "group_id",
            "head_name",
            "members",
            "phone",
            "id_number",
            "formerly_poor",
            "monitored",
        )
        ld.insert("households", (*cols, "public_token"), rows)
        ld.flush_events()
        self.counts["households"] = len(rows)

    def memberships(self) -> None:
        rng, ld, rows = self.rng, self.ld, []
        since = date(today().year - YEARS + 1, 1, 1)
        for vid, _code in self.villages:
            for hid in self.homes[vid]:
                if rng.random() < 0.6:
                    coop = rng.choice(self.coops[vid])
                    milli = rng.randint(1, 20) * 1000
                    rows.append((len(rows) + 1, hid, coop, milli, ld.value(since)))
                    snap = {
                        "household_id": hid,
                        "cooperative_id": coop,
                        "shares": _dec_text(milli),
                        "since": since.isoformat(),
                    }
                    ld.audit(self.staff[vid][1], "membership.create", "membership", len(rows), snap)
        ld.insert("memberships", ("id", "household_id", "cooperative_id", "shares", "since"), rows)
        ld.flush_events()
        self.counts["memberships"] = len(rows)

    def entries(self) -> None:
        from bench.entries import write_entries

        self.counts["entries"] = write_entries(self)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.generate [--villages N] [--households N] [--entries N] [--seed N] [--password PW]`:
    fill the empty, migrated database of DATABASE_URL (default: the app's instance/ SQLite file),
    or of the app whose context is active (the tests')."""
    import argparse
    from contextlib import nullcontext

    from flask import has_app_context

    from coopapp import create_app

    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=main.__doc__)
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--households", type=int, default=60_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--password", default=PASSWORD, help="password of the bench users")
    args = parser.parse_args(argv)
    if not 1 <= args.villages <= 999 or args.households < 0 or args.entries < 0:
        parser.error("villages must be 1-999; households and entries 0 or more")
    with nullcontext() if has_app_context() else create_app().app_context():
        try:
            generate(Scale(args.villages, args.households, args.entries, args.seed), args.password)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
