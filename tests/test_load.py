"""A bounded load under gunicorn (issue 7 item 4): many accountants writing and reviewers reading at once.

gunicorn (2 workers, production settings, loopback) serves the run's test database — an
SQLite file, or PostgreSQL in the PostgreSQL run — while one thread per simulated user
makes at most REQUESTS requests within SECONDS. Then: no 5xx, no connection failure, no
"database is locked" anywhere, every accepted entry in the ledger exactly once, and the
audit chain and the summary tables verify.
"""

from datetime import date

from sqlalchemy import func, select

from bench.load import Accountant, Client, Reader, Secretary, drive, serve, summary
from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import LedgerEntry

from .builders import PASSWORD, add_user

REQUESTS = 400
SECONDS = 8.0
ACCOUNTANTS_PER_VILLAGE = 4
TAG = "load-test"


def _staff(world) -> dict:
    """More accountants in both villages and a second secretary in 中洞村, audited like any user."""
    extra = {"accountants": {}, "secretaries": {}}
    for village in (world.village, world.other_village):
        names = [f"load.{village.code}.acc{k}" for k in range(ACCOUNTANTS_PER_VILLAGE)]
        for name in names:
            audit.record(None, "user.create", add_user(name, "accountant", village))
        extra["accountants"][village.code] = names
    audit.record(None, "user.create", add_user("load.sec.b", "secretary", world.village))
    extra["secretaries"] = {world.village.code: ["sec", "load.sec.b"], world.other_village.code: ["sec2"]}
    db.session.commit()
    return extra


def test_bounded_load_loses_nothing_and_shows_no_server_error(app, database_url, world, tmp_path):
    staff = _staff(world)
    projects = {world.village.code: world.project.id, world.other_village.code: world.other_project.id}
    code, county_code, year = world.village.code, world.county.code, date.today().year
    period = ledger.current_period()
    db.session.remove()

    samples: list = []
    accepted: list = []
    submitted: list = []
    approved: list = []
    with serve(database_url, workers=2, threads=4, log_path=tmp_path / "gunicorn.log") as server:

        def client():
            return Client(server.base_url, samples)

        actors: list = []
        for vcode, names in staff["accountants"].items():
            for k, name in enumerate(names):
                tag = f"{TAG}-{vcode}-{k}"
                actors.append(
                    Accountant(client().log_in_api(name, PASSWORD), projects[vcode], period, tag, accepted, submitted)
                )
        for vcode, names in staff["secretaries"].items():
            for name in names:
                actors.append(Secretary(client().log_in_api(name, PASSWORD), vcode, approved))
        actors += [
            Reader(
                client().log_in_api("county", PASSWORD),
                [("compare", f"/api/v1/compare?area={county_code}&year={year}")],
            ),
            Reader(client().log_in_web("town", PASSWORD), [("village_dashboard", f"/villages/{code}?year={year}")]),
            Reader(client().log_in_web("sec", PASSWORD), [("review_queue", "/review"), ("entries", "/entries")]),
            Reader(client().log_in_api("acc", PASSWORD), [("summary", f"/api/v1/villages/{code}/summary?year={year}")]),
        ]
        elapsed = drive(actors, REQUESTS, SECONDS)
    log = server.log()

    row = summary("load", samples, elapsed, len(actors))
    assert row["requests"] >= 100, row  # a load that did little proves little
    assert row["errors"] == 0, [(s.name, s.status) for s in samples if s.status == 0 or s.status >= 500][:10]
    assert row["unexpected"] == 0, [(s.name, s.status) for s in samples if not s.expected][:10]
    assert row["locked"] == 0
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]
    assert server.process.returncode == 0
    names = {s.name for s in samples}
    assert {"create", "submit", "review_list", "approve", "compare", "village_dashboard", "review_queue"} <= names
    assert accepted and submitted and approved

    # Every entry the server accepted (201) is in the ledger exactly once, and nothing else is.
    rows = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.note, LedgerEntry.status).where(LedgerEntry.note.like(f"{TAG}-%"))
    ).all()
    assert sorted((r.id, r.note) for r in rows) == sorted(accepted)
    assert len({r.note for r in rows}) == len(rows)
    status = {r.id: r.status for r in rows}
    assert all(status[i] in ("submitted", "approved") for i in submitted)
    assert all(status[i] == "approved" for i in approved)
    assert len(approved) == len(set(approved))  # two secretaries never both approved one entry
    assert sum(1 for s in status.values() if s == "approved") == len(approved)
    total = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    assert total == len(accepted)

    assert audit.verify() is None
    assert rollups.verify() == []
