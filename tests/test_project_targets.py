"""A project's targets per year: each year is judged by its own plan; set by PUT, audited;
no target for a year before the project existed; the migration moves the old single targets."""

import re

from sqlalchemy import func, select, text

from coopapp import create_app
from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, ProjectTarget
from coopapp.reporting import comparison, dashboard

from .builders import body, insert_old_areas, login

THIS = ledger.today().year
LAST = THIS - 1
OWN = "441323110201"


def _approve(app, world, period: str, kind: str, amount: str):
    acc, sec = login(app, "acc"), login(app, "sec")
    payload = {"project_id": world.project.id, "period": period, "kind": kind, "amount": amount}
    entry = body(acc.post("/api/v1/entries", json=payload))
    assert acc.post(f"/api/v1/entries/{entry['id']}/submit").status_code == 200
    assert sec.post(f"/api/v1/entries/{entry['id']}/approve").status_code == 200


def _put(client, project_id: int, year: int, payload: dict):
    return client.client.put(f"/api/v1/projects/{project_id}/targets/{year}", json=payload, headers=client.headers)


def test_each_year_is_judged_by_its_own_target(app, world):
    for year in (LAST, THIS):
        _approve(app, world, f"{year}-01", "output", "150万")
        _approve(app, world, f"{year}-01", "collective_income", "5万")
    sec = login(app, "sec")
    resp = _put(sec, world.project.id, LAST, {"output": "300万", "collective_income": "20万"})
    assert resp.status_code == 200
    assert body(resp) == {
        "year": LAST,
        "output_fen": 300_000_000,
        "output": "3000000.00",
        "collective_income_fen": 20_000_000,
        "collective_income": "200000.00",
    }
    county = login(app, "county")
    rows = {y: body(county.get(f"/api/v1/villages/{OWN}/summary?year={y}"))["projects"][0] for y in (LAST, THIS)}
    assert rows[LAST]["output_attainment"] == "0.5" and rows[LAST]["target_output_fen"] == 300_000_000
    assert rows[THIS]["output_attainment"] == "1" and rows[THIS]["target_output_fen"] == 150_000_000
    assert rows[LAST]["collective_income_attainment"] == "0.25" and rows[THIS]["collective_income_attainment"] == "0.5"
    # The comparison (income against the sum of the year's targets) and the dashboard likewise.
    reviewer = world.users["county_reviewer"]
    for year, attainment in ((LAST, "0.25"), (THIS, "0.5")):
        compared = comparison.comparison(reviewer, world.county, comparison.Filters(year=year))["rows"]
        (own,) = [r for r in compared if r["code"] == OWN]
        assert str(own["attainment"]) == attainment, year
    assert (
        dashboard.village_dashboard(world.users["secretary"], world.village, LAST, 12)["output_value"]["target_fen"]
        == 300_000_000
    )
    months = dashboard.project_months(world.project, LAST)
    assert months["target_output_fen"] == 300_000_000 and str(months["output_attainment"]) == "0.5"
    # The project's answer: this year's targets beside every year's.
    (project,) = [p for p in body(county.get("/api/v1/projects")) if p["id"] == world.project.id]
    assert project["target_output_fen"] == 150_000_000
    assert [(t["year"], t["output_fen"]) for t in project["targets"]] == [(LAST, 300_000_000), (THIS, 150_000_000)]


def test_a_target_is_audited_and_sql_behind_the_apps_back_is_caught(app, world):
    admin = login(app, "admin")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert _put(admin, world.project.id, THIS, {"output": "160万"}).status_code == 200
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.seq == before + 1 and event.action == "project_target.update"
    assert event.actor_id == world.users["admin"].id
    assert audit.verify() is None
    # The same figures again change nothing and record nothing.
    assert _put(admin, world.project.id, THIS, {"output": "160万"}).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE project_targets SET output_fen = 1 WHERE year = :y"), {"y": THIS})
    db.session.expire_all()
    assert "project_target" in audit.verify().message


def test_no_target_before_the_project_existed(app, world):
    sec = login(app, "sec")
    created = body(sec.post("/api/v1/projects", json={"name": "新民宿", "type": "tourism", "target_output": "10万"}))
    assert [t["year"] for t in created["targets"]] == [THIS]
    counts = lambda: (  # noqa: E731
        db.session.scalar(select(func.count()).select_from(ProjectTarget)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )
    before = counts()
    resp = _put(sec, created["id"], LAST, {"output": "10万"})
    assert resp.status_code == 422
    assert "尚未开始" in body(resp)["error"]["fields"]["year"] and str(THIS) in body(resp)["error"]["fields"]["year"]
    assert counts() == before
    # With an entry of last year, last year's target may be set.
    _approve(app, world, f"{LAST}-03", "sales", "100")
    resp = _put(sec, world.project.id, LAST - 3, {"output": "1万"})
    assert resp.status_code == 422 and str(LAST) in body(resp)["error"]["fields"]["year"]
    assert _put(sec, world.project.id, LAST, {"output": "1万"}).status_code == 200
    # Negative amounts and years too far ahead are refused, naming the field.
    resp = _put(sec, world.project.id, THIS, {"output": "-1"})
    assert resp.status_code == 422 and "output" in body(resp)["error"]["fields"]
    assert _put(sec, world.project.id, THIS + 5, {"output": "1万"}).status_code == 422


def test_the_secretary_of_another_village_may_not(app, world):
    assert _put(login(app, "sec2"), world.project.id, THIS, {"output": "1万"}).status_code == 403
    assert _put(login(app, "acc"), world.project.id, THIS, {"output": "1万"}).status_code == 403


def test_the_edit_page_edits_this_years_target_and_lists_the_others(world, client, auth):
    auth.login("sec")
    page = client.get(f"/village/projects/{world.project.id}/edit").get_data(as_text=True)
    assert f"{THIS} 年的目标" in page and "1,500,000.00" in page  # this year's in the form
    assert "其他年份的目标" in page and f"<td>{LAST}</td>" in page


def test_the_project_page_sets_a_past_years_target(app, world, client, auth):
    _approve(app, world, f"{LAST}-03", "sales", "100")  # the project existed last year
    counts = lambda: (  # noqa: E731
        db.session.scalar(select(func.count()).select_from(ProjectTarget)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )
    auth.login("sec")
    page = client.get(f"/projects/{world.project.id}?year={LAST}").get_data(as_text=True)
    assert "设定年度目标" in page
    offered = re.search(r'<select id="target-year".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="(\d+)"', offered) == [str(THIS + 1), str(THIS), str(LAST)]
    assert f'<option selected value="{LAST}">' in offered
    url = f"/projects/{world.project.id}/targets?year={LAST}"
    resp = client.post(url, data={"target-year": LAST, "target-output": "300万", "target-collective_income": ""})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/projects/{world.project.id}?year={LAST}")
    db.session.expire_all()
    target = db.session.scalar(
        select(ProjectTarget).where(ProjectTarget.project_id == world.project.id, ProjectTarget.year == LAST)
    )
    assert (target.output_fen, target.collective_income_fen) == (300_000_000, None)  # was 1,500,000 and 100,000
    last_event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert (last_event.action, last_event.actor_id) == ("project_target.update", world.users["secretary"].id)
    # The form shows that year's target; a year before the project existed is refused as the API refuses it.
    assert 'value="3000000.00"' in client.get(f"/projects/{world.project.id}?year={LAST}").get_data(as_text=True)
    before = counts()
    resp = client.post(url, data={"target-year": LAST - 2, "target-output": "1万"})
    assert resp.status_code == 422
    text_ = resp.get_data(as_text=True)
    assert f"{LAST - 2} 年项目尚未开始" in text_ and f"最早可设 {LAST} 年" in text_
    resp = client.post(url, data={"target-year": THIS, "target-output": "-1"})
    assert resp.status_code == 422 and "目标不能为负数" in resp.get_data(as_text=True)
    for year in ({}, {"target-year": "明年"}):  # no year, or not a number: the form refuses it
        assert client.post(url, data={**year, "target-output": "1万"}).status_code == 422
    assert counts() == before
    assert audit.verify() is None


def test_an_admin_sets_a_target_and_a_reviewer_sees_no_form(app, world):
    admin, reviewer = app.test_client(), app.test_client()
    admin.post("/login", data={"username": "admin", "password": "pass-word-1"})
    reviewer.post("/login", data={"username": "county", "password": "pass-word-1"})
    url = f"/projects/{world.project.id}"
    assert "设定年度目标" in admin.get(url).get_data(as_text=True)
    resp = admin.post(f"{url}/targets", data={"target-year": THIS, "target-collective_income": "8万"})
    assert resp.status_code == 302
    db.session.expire_all()
    target = db.session.scalar(
        select(ProjectTarget).where(ProjectTarget.project_id == world.project.id, ProjectTarget.year == THIS)
    )
    assert (target.output_fen, target.collective_income_fen) == (None, 8_000_000)
    assert "设定年度目标" not in reviewer.get(url).get_data(as_text=True)
    assert reviewer.post(f"{url}/targets", data={"target-year": THIS, "target-output": "1"}).status_code == 403


def test_the_migration_moves_each_projects_targets_to_this_year(empty_database):
    """A database from before per-year targets: each project's targets become this year's, the
    chain adopts the projects and the targets, and the downgrade puts them back."""
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="d7f4b8c3e504")
        with db.engine.begin() as conn:
            insert_old_areas(conn)
            conn.execute(
                text(
                    "INSERT INTO cooperatives (id, name, credit_code, village_id) "
                    "VALUES (1, '中洞养蜂专业合作社', '93441323MA4X0B2L6P', 3)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO projects (id, name, type, village_id, capacity, capacity_unit, "
                    "target_output_fen, target_collective_income_fen, active) VALUES "
                    "(1, '中华蜂养殖', 'beekeeping', 3, 3000000, 'hive', 150000000, 10000000, :t), "
                    "(2, '物业出租', 'other', 3, NULL, NULL, NULL, NULL, :t)"
                ),
                {"t": True},
            )
        upgrade()
        try:
            assert audit.verify() is None
            rows = db.session.execute(select(ProjectTarget.project_id, ProjectTarget.year, ProjectTarget.output_fen))
            assert rows.all() == [(1, THIS, 150_000_000)]
            actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
            assert actions.count("project.adopt") == 2 and actions.count("project_target.adopt") == 1
            assert actions.count("cooperative.adopt") == 1  # cooperatives join the chain too
            db.session.remove()
            downgrade(revision="9ef385709979")
            with db.engine.connect() as conn:
                back = conn.execute(text("SELECT target_output_fen, target_collective_income_fen FROM projects"))
                assert sorted(back.all(), key=str) == sorted([(150_000_000, 10_000_000), (None, None)], key=str)
        finally:
            db.session.remove()
            db.engine.dispose()
