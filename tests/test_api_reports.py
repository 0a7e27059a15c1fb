"""Summaries and comparisons equal what was approved; households and projects; no floats anywhere."""

import json

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Household, Project

from .builders import body, counts, entry_body, id_number, login, shift_period

OWN, OTHER = "441323110201", "441323107203"


def _approved(acc, sec, payload: dict) -> dict:
    entry = body(acc.post("/api/v1/entries", json=payload))
    assert acc.post(f"/api/v1/entries/{entry['id']}/submit").status_code == 200
    assert sec.post(f"/api/v1/entries/{entry['id']}/approve").status_code == 200
    return entry


def _ledger(app, world):
    """Approve through the API: income, output and payouts in 中洞村; more income in 八维村."""
    acc, sec = login(app, "acc"), login(app, "sec")
    acc2, sec2 = login(app, "acc2"), login(app, "sec2")
    h1, h2 = world.households[0].id, world.households[1].id
    _approved(acc, sec, entry_body(world, kind="collective_income", amount="30000"))
    _approved(acc, sec, entry_body(world, kind="output", amount="150万", quantity="6000", unit="斤"))
    _approved(acc, sec, entry_body(world, kind="dividend", amount="500", household_id=h1))
    _approved(acc, sec, entry_body(world, kind="wage", amount="200.50", household_id=h2))
    _approved(acc, sec, entry_body(world, kind="wage", amount="100", household_id=h2))
    # not counted: a draft and a submitted entry
    acc.post("/api/v1/entries", json=entry_body(world, kind="collective_income", amount="99999"))
    pending = body(acc.post("/api/v1/entries", json=entry_body(world, kind="output", amount="88888")))
    acc.post(f"/api/v1/entries/{pending['id']}/submit")
    other = entry_body(world, project_id=world.other_project.id, kind="collective_income", amount="50000")
    _approved(acc2, sec2, other)


def test_summary_equals_what_was_approved(app, world):
    _ledger(app, world)
    year = int(shift_period(-1)[:4])
    resp = login(app, "county").get(f"/api/v1/villages/{OWN}/summary?year={year}")
    assert resp.status_code == 200
    s = body(resp)
    assert s["code"] == OWN and s["year"] == year
    assert s["collective_income_fen"] == 3_000_000 and s["collective_income"] == "30000.00"
    assert s["output_value_fen"] == 150_000_000 and s["output_value"] == "1500000.00"
    assert s["households"] == 3 and s["households_benefited"] == 2
    assert s["benefit_total_fen"] == 80_050 and s["benefit_total"] == "800.50"
    assert s["benefit_per_household_fen"] == 40_025 and s["benefit_per_household"] == "400.25"
    assert s["coverage"] == "0.666667"
    assert s["weak"] is True  # below 100,000 yuan of collective income
    assert s["collective_income_growth"] is None  # nothing last year
    (row,) = s["projects"]
    assert row["id"] == world.project.id and row["output_value_fen"] == 150_000_000
    assert row["output_quantity"] == "3000"  # 6000 斤 = 3000 kg
    assert row["capacity"] == "3000" and row["capacity_unit"] == "hive"
    assert row["yield_fen_per_unit"] == 50_000 and row["yield_per_unit"] == "500.00"
    assert row["output_attainment"] == "1" and row["target_output"] == "1500000.00"
    assert row["collective_income_attainment"] == "0.3"
    last_year = body(login(app, "county").get(f"/api/v1/villages/{OWN}/summary?year={year - 1}"))
    assert last_year["collective_income_fen"] == 0 and last_year["collective_income"] == "0.00"
    resp = login(app, "county").get(f"/api/v1/villages/{OWN}/summary?year=20x5")
    assert resp.status_code == 400 and "year" in body(resp)["error"]["fields"]


def test_compare_ranks_villages(app, world):
    _ledger(app, world)
    year = shift_period(-1)[:4]
    data = body(login(app, "county").get(f"/api/v1/compare?year={year}&metric=collective_income"))
    assert data["area"] == "441323" and data["metric"] == "collective_income" and data["year"] == int(year)
    ranked = [(r["rank"], r["code"], r["collective_income"]) for r in data["rows"]]
    assert ranked == [(1, OTHER, "50000.00"), (2, OWN, "30000.00"), (3, "441323110202", "0.00")]
    assert data["rows"][0]["name"] == "八维村"
    # the town reviewer's default area is their town: 八维村 is not in it
    town = body(login(app, "town").get(f"/api/v1/compare?year={year}&metric=households_benefited"))
    assert town["area"] == "441323110"
    assert [(r["code"], r["households_benefited"]) for r in town["rows"]] == [(OWN, 2), ("441323110202", 0)]
    resp = login(app, "county").get("/api/v1/compare?metric=happiness")
    assert resp.status_code == 400 and "metric" in body(resp)["error"]["fields"]


def _floats(value, path="$"):
    if isinstance(value, float):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _floats(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _floats(v, f"{path}[{i}]")


def test_no_float_anywhere(app, world):
    """Walk every response body of every endpoint: money and ratios are strings, never floats."""
    _ledger(app, world)
    county, acc, sec = login(app, "county"), login(app, "acc"), login(app, "sec")
    year = shift_period(-1)[:4]
    responses = [
        county.get("/api/v1/areas"),
        county.get("/api/v1/projects"),
        county.get("/api/v1/households"),
        county.get("/api/v1/entries?per_page=200"),
        county.get(f"/api/v1/villages/{OWN}/summary?year={year}"),
        county.get(f"/api/v1/villages/{OTHER}/summary?year={year}"),
        acc.post("/api/v1/entries", json=entry_body(world, amount=12.5, quantity=1.25, unit="kg")),
        sec.post(
            "/api/v1/projects",
            json={
                "name": "民宿",
                "type": "tourism",
                "capacity": 12.5,
                "capacity_unit": "room",
                "target_output": 10000.5,
            },
        ),
        acc.post("/api/v1/entries", json=entry_body(world, amount="x")),
    ]
    responses += [
        county.get(f"/api/v1/compare?year={year}&metric={m}")
        for m in ("collective_income", "coverage", "output_value_growth", "benefit_per_household")
    ]
    for resp in responses:
        assert resp.status_code < 500
        assert list(_floats(resp.get_json())) == [], resp.request.path
        body(resp)  # and the raw text has no float literal either


def test_households_masked_outside_the_village(app, world):
    sec = body(login(app, "sec").get(f"/api/v1/households?village={OWN}"))
    first = next(h for h in sec if h["id"] == world.households[0].id)
    assert first["head_name"] == "张三丰" and first["id_number"] == id_number(1) and first["masked"] is False
    assert first["phone"] == "13800000001" and first["group"] == "441323110201001"
    county = body(login(app, "county").get(f"/api/v1/households?village={OWN}"))
    first = next(h for h in county if h["id"] == world.households[0].id)
    assert first["head_name"] == "张*丰" and first["masked"] is True
    assert first["id_number"] == id_number(1)[:4] + "*" * 10 + id_number(1)[-4:]
    assert first["phone"] == "138****0001"
    assert body(login(app, "sec").get("/api/v1/households?q=李"))[0]["head_name"] == "李四"


def test_household_name_outside_the_bmp_round_trips(app, world):
    sec = login(app, "sec")
    payload = {
        "head_name": "𠮷田",
        "members": 4,
        "group_code": "441323110201001",
        "phone": "13912345678",
        "id_number": id_number(42),
        "formerly_poor": True,
    }
    resp = sec.post("/api/v1/households", json=payload)
    assert resp.status_code == 201, resp.get_json()
    created = body(resp)
    assert created["head_name"] == "𠮷田" and created["formerly_poor"] is True and created["monitored"] is False
    db.session.rollback()
    assert db.session.get(Household, created["id"]).head_name == "𠮷田"
    (found,) = body(sec.get("/api/v1/households?q=𠮷"))
    assert found["id"] == created["id"] and found["head_name"] == "𠮷田" and found["members"] == 4
    # A reviewer sees the name masked, and may not search by name (that would confirm it exists).
    rows = body(login(app, "county").get("/api/v1/households?q=𠮷"))
    assert len(rows) > 1 and "𠮷田" not in json.dumps(rows, ensure_ascii=False)
    (masked,) = [r for r in rows if r["id"] == created["id"]]
    assert masked["head_name"] == "𠮷*"


def test_bad_household_names_the_field(app, world):
    sec = login(app, "sec")
    cases = [
        ({"head_name": ""}, "head_name"),
        ({"head_name": "陈七", "id_number": "441323198001010000"}, "id_number"),  # bad checksum
        ({"head_name": "陈七", "id_number": id_number(1)}, "id_number"),  # already registered
        ({"head_name": "陈七", "members": 0}, "members"),
        ({"head_name": "陈七", "phone": "12ab"}, "phone"),
        ({"head_name": "陈七", "group_code": "441323999999001"}, "group_code"),
        ({"head_name": "陈七", "village": "441323999999"}, "village"),
    ]
    before = (counts(), db.session.query(Household).count())
    for payload, field in cases:
        resp = sec.post("/api/v1/households", json=payload)
        assert resp.status_code == 422, payload
        assert field in body(resp)["error"]["fields"], payload
    assert (counts(), db.session.query(Household).count()) == before


def test_secretary_creates_a_project(app, world):
    sec = login(app, "sec")
    resp = sec.post(
        "/api/v1/projects",
        json={
            "name": "红色旅游",
            "type": "tourism",
            "capacity": "20",
            "capacity_unit": "room",
            "target_collective_income": "5万",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    project = body(resp)
    assert project["village"] == OWN and project["active"] is True
    assert project["target_collective_income_fen"] == 5_000_000 and project["target_collective_income"] == "50000.00"
    assert project["target_output_fen"] is None and project["target_output"] is None
    db.session.rollback()
    assert db.session.get(Project, project["id"]).capacity == 20
    for payload, field in [
        ({"name": "x", "type": "casino"}, "type"),
        ({"name": "x", "type": "tourism", "capacity": "-1", "capacity_unit": "room"}, "capacity"),
        ({"name": "x", "type": "tourism", "target_output": "abc"}, "target_output"),
        ({"name": "x", "type": "tourism", "cooperative_id": 999}, "cooperative_id"),
    ]:
        resp = sec.post("/api/v1/projects", json=payload)
        assert resp.status_code == 422 and field in body(resp)["error"]["fields"], payload


def test_closed_month_correction_lands_in_an_open_month(app, world):
    acc, sec = login(app, "acc"), login(app, "sec")
    entry = _approved(acc, sec, entry_body(world, kind="sales", amount="10"))
    ledger.close_month(world.users["secretary"], world.village, entry["period"])
    reversal = body(acc.post(f"/api/v1/entries/{entry['id']}/reverse", json={"reason": "错账"}))
    assert reversal["period"] == ledger.current_period() != entry["period"]
