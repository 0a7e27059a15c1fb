"""Every serializer's keys are its response schema's properties in the OpenAPI document: real
objects (tests/builders.py) serialized by the API's own functions, compared key for key."""

from coopapp.api.openapi import document
from coopapp.api.serializers import entry_json, household_json, jsonable, project_json
from coopapp.distributions import plans as distributions
from coopapp.distributions.rows import plan_list_rows, plan_view
from coopapp.ledger import operations as ledger
from coopapp.reporting import comparison, metrics
from coopapp.reporting.metric_table import METRICS
from coopapp.villages.privacy import MASKED, Privacy

from .builders import approved_entry, body, entry_input, login

SCHEMAS = document()["components"]["schemas"]


def _schema(ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return SCHEMAS[ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def assert_keys(schema: dict, serialized: dict, what: str) -> None:
    """The serialized keys are exactly the schema's properties."""
    properties = set(_schema(schema)["properties"])
    assert set(serialized) == properties, (
        what,
        sorted(set(serialized) - properties),
        sorted(properties - set(serialized)),
    )


def test_records(world, db):
    acc, sec = world.users["accountant"], world.users["secretary"]
    approved = approved_entry(world, kind="dividend", household_id=world.households[0].id, note="分红")
    reversal = ledger.reverse_entry(acc, approved, "重复")
    draft = ledger.create_entry(acc, entry_input(world.project, entry_date=None))
    for entry, reversed_by in ((approved, reversal.id), (reversal, None), (draft, None)):
        assert_keys(SCHEMAS["Entry"], entry_json(entry, reversed_by), f"entry {entry.status}")
    for project in (world.project, world.other_project):  # with and without a cooperative, targets
        assert_keys(SCHEMAS["Project"], project_json(project), project.name)
    full = Privacy(names=True, identity=True)
    for privacy in (full, Privacy(names=True, identity=False), MASKED):
        assert_keys(SCHEMAS["Household"], household_json(world.households[0], privacy), f"household {privacy}")
    assert_keys(SCHEMAS["Household"], household_json(world.other_household, full), "household without a group")

    plan_input = distributions.PlanInput(
        project_id=world.project.id,
        period=approved.period,
        pool_fen=300_000,
        basis="equal",
        deductions=[
            distributions.DeductionInput(kind="maintenance", percent_bp=1000, fixed_fen=None),
            distributions.DeductionInput(kind="collective", percent_bp=None, fixed_fen=5_000),
        ],
    )
    plan = distributions.draft_plan(sec, plan_input)
    for privacy in (full, MASKED):
        view = jsonable(plan_view(plan, privacy))
        assert_keys(SCHEMAS["Plan"], view, "plan")
        for row in view["deductions"]:
            assert_keys(SCHEMAS["Plan"]["properties"]["deductions"]["items"], row, "deduction")
        assert view["lines"]
        for row in view["lines"]:
            assert_keys(SCHEMAS["Plan"]["properties"]["lines"]["items"], row, "plan line")
    (summary,) = jsonable(plan_list_rows([plan]))
    assert_keys(SCHEMAS["PlanSummary"], summary, "plan summary")


def test_answers_the_routes_build(app, world):
    approved_entry(world)
    county, acc = login(app, "county"), login(app, "acc")
    token = body(app.test_client().post("/api/v1/tokens", json={"username": "acc", "password": "pass-word-1"}))
    assert_keys(SCHEMAS["Token"], token, "token")
    areas = body(county.get("/api/v1/areas"))
    assert areas and all(set(a) == set(SCHEMAS["Area"]["properties"]) for a in areas)
    page = body(acc.get("/api/v1/entries"))
    assert_keys(SCHEMAS["EntryPage"], page, "entry page")
    assert_keys(SCHEMAS["PlanList"], body(county.get("/api/v1/distributions")), "plan list")
    assert_keys(SCHEMAS["Comparison"], body(county.get("/api/v1/compare")), "comparison")


def test_metric_rows_carry_every_documented_figure(world, db):
    """The metric rows are open objects (patternProperties for the many figures): each documented
    property is there, and so is every figure of the metric table with its yuan twin."""
    entry = approved_entry(world, kind="output", amount_fen=1_000_000)
    year = int(entry.period[:4])
    summary = jsonable(metrics.village_summary(world.village, year))
    rows = jsonable(comparison.compare(world.users["county_reviewer"], world.county, year))
    for name, serialized in [("VillageSummary", summary), ("ProjectYear", summary["projects"][0])] + [
        ("CompareRow", row) for row in rows
    ]:
        missing = set(SCHEMAS[name]["properties"]) - set(serialized)
        assert not missing, (name, missing)
    for row in rows:
        for metric in METRICS.values():
            assert metric.key in row and (metric.twin is None or metric.twin in row), metric.name
