"""Village-group books (组账村代记): entries and projects of a village group, the group summaries,
and the group leader (村民小组长) who reads their group's books and nothing else."""

from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import GroupMonthlySummary, LedgerEntry, Project, ProjectYearSummary
from coopapp.villages import catalog
from coopapp.villages.areas import retire_area

from .builders import add_user, body, counts, entry_body, entry_form, entry_input, login

GROUP = "441323110201001"  # 中洞一组, the world's group of 中洞村
PASSWORD = "pass-word-1"


def _second_group(world):
    """中洞二组, and 八维村's 八维一组 (a group of another village)."""
    two = catalog.add_area("441323110201002", "中洞二组", "group", world.village)
    foreign = catalog.add_area("441323107203001", "八维一组", "group", world.other_village)
    db.session.commit()
    return two, foreign


def _approve(world, entry):
    acc, sec = world.users["accountant"], world.users["secretary"]
    ledger.submit_entry(acc, entry)
    return ledger.approve_entry(sec, entry)


def _group_total(group_id: int) -> int:
    db.session.rollback()
    q = select(func.coalesce(func.sum(GroupMonthlySummary.amount_fen), 0)).where(
        GroupMonthlySummary.group_id == group_id
    )
    return db.session.scalar(q)


def _village_total(village_id: int) -> int:
    q = select(func.coalesce(func.sum(ProjectYearSummary.amount_fen), 0))
    return db.session.scalar(q.where(ProjectYearSummary.village_id == village_id))


def test_an_entry_of_a_group_through_the_api(app, world):
    acc, sec = login(app, "acc"), login(app, "sec")
    resp = acc.post("/api/v1/entries", json=entry_body(world, group=GROUP, amount="500"))
    assert resp.status_code == 201, resp.get_json()
    data = body(resp)
    assert data["group"] == GROUP
    ungrouped = body(acc.post("/api/v1/entries", json=entry_body(world, amount="300")))
    assert ungrouped["group"] is None
    for entry_id in (data["id"], ungrouped["id"]):
        acc.post(f"/api/v1/entries/{entry_id}/submit")
        assert sec.post(f"/api/v1/entries/{entry_id}/approve").status_code == 200
    # The group's figures in its summary; the village's totals count both, as before.
    assert _group_total(world.group.id) == 50_000
    assert _village_total(world.village.id) == 80_000
    assert rollups.verify() == []
    assert audit.verify() is None  # the group is in the snapshot, and old snapshots still match
    # The group by its name, on edit, is the same group.
    draft = body(acc.post("/api/v1/entries", json=entry_body(world)))
    resp = acc.client.put(
        f"/api/v1/entries/{draft['id']}", json=entry_body(world, group="中洞一组"), headers=acc.headers
    )
    assert resp.status_code == 200 and body(resp)["group"] == GROUP


def test_a_group_of_another_village_or_none_is_refused(app, world):
    _two, foreign = _second_group(world)
    acc = login(app, "acc")
    before = counts()
    for group in (foreign.code, "中洞九组"):
        resp = acc.post("/api/v1/entries", json=entry_body(world, group=group))
        assert resp.status_code == 422, resp.get_json()
        assert "村民小组" in body(resp)["error"]["fields"]["group"]
    assert counts() == before


def test_an_entry_of_a_group_project_belongs_to_the_group(app, world):
    two, _foreign = _second_group(world)
    project = Project(name="一组茶园", type="planting", village_id=world.village.id, group_id=world.group.id)
    db.session.add(project)
    db.session.commit()
    acc = world.users["accountant"]
    entry = ledger.create_entry(acc, entry_input(project))
    assert entry.group_id == world.group.id
    try:
        ledger.create_entry(acc, entry_input(project, group=two.code))
    except Exception as exc:  # noqa: BLE001 - the refusal names the field
        assert "group" in exc.fields
    else:
        raise AssertionError("another group than the project's was accepted")
    db.session.rollback()
    approved = _approve(world, db.session.get(LedgerEntry, entry.id))
    reversal = ledger.reverse_entry(acc, approved, "录错")
    assert reversal.group_id == world.group.id
    ledger.approve_entry(world.users["secretary"], reversal)
    assert _group_total(world.group.id) == 0 and rollups.verify() == []


def test_the_entry_form_offers_the_groups(app, world, auth):
    auth.login("acc")
    page = auth.client.get("/entries/new").get_data(as_text=True)
    assert "村民小组" in page and "中洞一组" in page
    resp = auth.client.post("/entries/new", data=entry_form(world, group=GROUP))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.rollback()
    entry = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc())).first()
    assert entry.group_id == world.group.id
    page = auth.client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "中洞一组" in page


def test_rollup_verify_and_rebuild_cover_the_group_summaries(app, world):
    _approve(world, ledger.create_entry(world.users["accountant"], entry_input(world.project, group=GROUP)))
    db.session.commit()
    row = db.session.scalars(select(GroupMonthlySummary)).one()
    row.amount_fen += 1
    db.session.commit()
    problems = rollups.verify()
    assert len(problems) == 1 and problems[0].startswith("group ")
    rollups.rebuild()
    db.session.commit()
    assert rollups.verify() == [] and _group_total(world.group.id) == 123_450


# ---- the group leader (村民小组长) ---------------------------------------------------------------


def _leader_world(app, world):
    """A group leader of 中洞一组, one approved entry of the group, one of the village, one of 中洞二组."""
    two, _foreign = _second_group(world)
    add_user("grp", "group_leader", world.group)
    db.session.commit()
    acc = world.users["accountant"]
    mine = _approve(world, ledger.create_entry(acc, entry_input(world.project, group=GROUP, amount_fen=10_000)))
    village = _approve(world, ledger.create_entry(acc, entry_input(world.project, amount_fen=20_000)))
    other = _approve(world, ledger.create_entry(acc, entry_input(world.project, group=two.code, amount_fen=40_000)))
    db.session.commit()
    return mine.id, village.id, other.id


def test_a_group_leader_reads_only_their_group(app, world, auth):
    mine, village, other = _leader_world(app, world)
    api = login(app, "grp")
    ids = {e["id"] for e in body(api.get("/api/v1/entries"))["items"]}
    assert ids == {mine}
    assert api.get(f"/api/v1/entries/{mine}").status_code == 200
    for entry_id in (village, other):
        assert api.get(f"/api/v1/entries/{entry_id}").status_code in (403, 404)
    auth.login("grp")
    page = auth.client.get("/entries").get_data(as_text=True)
    assert f"/entries/{mine}" in page and f"/entries/{village}" not in page and f"/entries/{other}" not in page
    assert auth.client.get(f"/entries/{mine}").status_code == 200
    assert auth.client.get(f"/entries/{other}").status_code in (403, 404)
    assert auth.client.get(f"/entries/{village}").status_code in (403, 404)
    # The menu: the group's books and notice, and 统计 opens the group's own page (not an empty comparison).
    home = auth.client.get("/").get_data(as_text=True)
    nav = home[home.index('<nav class="nav"') : home.index("</nav>")]
    assert 'href="/entries"' in nav and f"group={GROUP}" in nav
    stats = auth.client.get("/dashboard")
    assert stats.status_code == 302 and f"/villages/{world.village.code}?group={GROUP}" in stats.headers["Location"]


def test_a_group_leader_writes_nothing(app, world, auth):
    mine, _village, _other = _leader_world(app, world)
    api = login(app, "grp")
    before = counts()
    assert api.post("/api/v1/entries", json=entry_body(world, group=GROUP)).status_code == 403
    assert api.post(f"/api/v1/entries/{mine}/reverse", json={"reason": "x"}).status_code == 403
    auth.login("grp")
    assert auth.client.post("/entries/new", data=entry_form(world, group=GROUP)).status_code in (403, 404)
    assert counts()[0] == before[0]


def test_a_group_leader_is_given_a_group(app, world):
    admin = login(app, "admin")
    resp = admin.post("/api/v1/users", json={"username": "grp1", "role": "group_leader", "area": GROUP})
    assert resp.status_code == 201, resp.get_json()
    resp = admin.post("/api/v1/users", json={"username": "grp2", "role": "村民小组长", "area": world.village.code})
    assert resp.status_code == 422 and "area" in body(resp)["error"]["fields"]


def test_a_project_of_a_group_through_the_api(app, world):
    sec = login(app, "sec")
    resp = sec.post("/api/v1/projects", json={"name": "一组鱼塘", "type": "other", "group": GROUP})
    assert resp.status_code == 201, resp.get_json()
    project = body(resp)
    assert project["group"] == GROUP
    before = counts()
    resp = sec.post("/api/v1/projects", json={"name": "九组鱼塘", "type": "other", "group": "中洞九组"})
    assert resp.status_code == 422 and "group" in body(resp)["error"]["fields"]
    assert counts() == before
    # Its entries are the group's, whatever the accountant gives.
    entry = body(login(app, "acc").post("/api/v1/entries", json=entry_body(world, project_id=project["id"])))
    assert entry["group"] == GROUP
    add_user("grp", "group_leader", world.group)
    db.session.commit()
    listed = {p["id"] for p in body(login(app, "grp").get("/api/v1/projects"))}
    assert listed == {project["id"]}


# ---- a group's pages: the village page, the public page, the notice -------------------------------


def _shown(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def test_the_pages_of_one_group(app, world, auth):
    _mine, _village, _other = _leader_world(app, world)  # 100.00 in 一组, 200.00 village, 400.00 in 二组
    month = entry_input(world.project).period
    year = int(month[:4])
    code = world.village.code
    whole = _shown(auth.client.get(f"/p/{code}?year={year}"))
    assert "700.00" in whole and "中洞一组" in whole  # the village's total; the groups offered
    one = _shown(auth.client.get(f"/p/{code}?year={year}&group={GROUP}"))
    assert "100.00" in one and "700.00" not in one and "400.00" not in one
    assert auth.client.get(f"/p/{code}?group=441323107203001").status_code == 404
    auth.login("sec")
    notice = _shown(auth.client.get(f"/villages/{code}/notice?period={month}&group={GROUP}"))
    assert "中洞一组村务公开栏" in notice and "100.00" in notice and "700.00" not in notice
    assert "700.00" in _shown(auth.client.get(f"/villages/{code}/notice?period={month}"))
    board = _shown(auth.client.get(f"/villages/{code}?year={year}&group={GROUP}"))
    assert "中洞一组" in board and "100.00" in board and "700.00" not in board
    assert f"group={GROUP}" in _shown(auth.client.get(f"/villages/{code}?year={year}"))


def test_a_group_leader_sees_their_group_page_only(app, world, auth):
    _leader_world(app, world)
    month = entry_input(world.project).period
    code = world.village.code
    auth.login("grp")
    assert "100.00" in _shown(auth.client.get(f"/villages/{code}?year={month[:4]}&group={GROUP}"))
    assert "100.00" in _shown(auth.client.get(f"/villages/{code}/notice?period={month}&group={GROUP}"))
    assert auth.client.get(f"/villages/{code}?year={month[:4]}").status_code == 403
    assert auth.client.get(f"/villages/{code}?group=441323110201002").status_code == 403
    assert auth.client.get(f"/villages/{code}/notice?period={month}").status_code == 403
    home = _shown(auth.client.get("/"))
    assert "中洞一组" in home and f"group={GROUP}" in home


# ---- the ledger import and the export ------------------------------------------------------------

GROUP_HEADER = ["日期", "摘要", "类别", "数量(斤)", "金额（元）", "户主", "村民小组"]


def test_the_ledger_import_reads_the_group_column(app, world, tmp_path):
    from .builders import M, run_import, write_xlsx

    d = M.replace(day=5)
    bad = [[d, "九组", "销售收入", None, "100", None, "中洞九组"]]
    path = write_xlsx(tmp_path / "bad.xlsx", bad, header=GROUP_HEADER)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 1 and counts()[0] == 0
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [(5, "村民小组", "中洞九组")]
    rows = [
        [d, "一组（名）", "销售收入", None, "100", None, "中洞一组"],
        [d, "一组（码）", "销售收入", None, "200", None, GROUP],
        [d, "全村", "销售收入", None, "300", None, None],
    ]
    path = write_xlsx(tmp_path / "groups.xlsx", rows, header=GROUP_HEADER)
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    db.session.rollback()
    got = [(e.note, e.group_id) for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    assert got == [("一组（名）", world.group.id), ("一组（码）", world.group.id), ("全村", None)]
    assert audit.verify() is None  # the bulk writer's snapshots carry the group as the ORM's do


def test_the_export_writes_the_group_and_imports_again(app, world, auth, uploads):

    from .test_exports import _upload_ledger

    _approve(world, ledger.create_entry(world.users["accountant"], entry_input(world.project, group=GROUP)))
    _approve(world, ledger.create_entry(world.users["accountant"], entry_input(world.project, amount_fen=700)))
    copy = Project(name="中洞村光伏", type="photovoltaic", village_id=world.village.id)
    db.session.add(copy)
    db.session.commit()
    auth.login("acc")
    content = auth.client.get(f"/entries/export.csv?project={world.project.id}").data
    assert "村民小组" in content.decode("utf-8-sig") and "中洞一组" in content.decode("utf-8-sig")
    assert _upload_ledger(auth.client, copy.id, content, "导出.csv").status_code == 302
    db.session.rollback()
    imported = db.session.scalars(select(LedgerEntry).where(LedgerEntry.project_id == copy.id))
    assert sorted((e.amount_fen, e.group_id or 0) for e in imported) == [(700, 0), (123_450, world.group.id)]


def test_a_group_projects_plan_pays_in_the_groups_books(app, world):
    from .builders import publish

    project = db.session.get(Project, world.project.id)
    project.group_id = world.group.id
    db.session.commit()
    plan = publish(world)
    db.session.commit()
    posted = db.session.scalars(select(LedgerEntry).where(LedgerEntry.status == "approved"))
    assert {e.group_id for e in posted} == {world.group.id}
    assert _group_total(world.group.id) == int(plan.pool_fen)
    assert rollups.verify() == []
    result = app.test_cli_runner().invoke(args=["coop", "rollup", "verify"])
    assert result.exit_code == 0, result.output
    db.session.execute(GroupMonthlySummary.__table__.update().values(entry_count=GroupMonthlySummary.entry_count + 1))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["coop", "rollup", "verify"])
    assert result.exit_code != 0 and "group" in result.output + (result.stderr or "")


def test_a_retired_group_is_refused_on_a_new_entry_or_project_and_kept_where_it_is(app, world, auth):
    """A retired group (撤销) takes no new entry or project, as households refuse one; an entry it already
    has keeps it on edit, and the forms offer it only there."""
    acc, sec = login(app, "acc"), login(app, "sec")
    draft = body(acc.post("/api/v1/entries", json=entry_body(world, group=GROUP)))
    retire_area(world.users["admin"], world.group)
    db.session.commit()
    before = counts()
    resp = acc.post("/api/v1/entries", json=entry_body(world, group=GROUP))
    assert resp.status_code == 422 and "已撤销" in body(resp)["error"]["fields"]["group"]
    resp = sec.post("/api/v1/projects", json={"name": "一组鱼塘", "type": "other", "group": GROUP})
    assert resp.status_code == 422 and "已撤销" in body(resp)["error"]["fields"]["group"]
    assert counts() == before
    resp = acc.client.put(
        f"/api/v1/entries/{draft['id']}", json=entry_body(world, group=GROUP, amount="600"), headers=acc.headers
    )
    assert resp.status_code == 200 and body(resp)["group"] == GROUP
    auth.login("acc")
    assert "中洞一组" not in auth.client.get("/entries/new").get_data(as_text=True)
    assert "中洞一组" in auth.client.get(f"/entries/{draft['id']}/edit").get_data(as_text=True)
