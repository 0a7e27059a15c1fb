"""Fuzz every operation of /api/v1 against its OpenAPI document (schemathesis), on both databases.

Each operation is called by the world's user most likely to get past the scope check (the
accountant logs entries, the secretary reviews and distributes, the county reviewer compares),
with a Bearer token. Generated ids are often swapped for ids that exist, so the calls reach the
domain and not only the 404. Checks: no 5xx, and every status, content type and body as documented.
The fuzz is bounded: a few examples per operation, no shrinking, the whole run well under a minute.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coopapp.distributions import plans as distributions
from coopapp.ledger import operations as ledger
from coopapp.vouchers import operations as vouchers

from .builders import approved_entry, counts, entry_input, tiny_jpeg

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))
# Who calls each operation (by operationId); the rest are called by the secretary.
CALLER = {
    "create_entry": "acc",
    "update_entry": "acc",
    "submit_entry": "acc",
    "reverse_entry": "acc",
    "revoke_token": "acc2",  # its own token: revoking it must not log the others out
    "change_password": "acc2",  # wrong current passwords: it must not lock the others out
    "list_users": "admin",
    "create_user": "admin",
    "change_user": "admin",
    "reset_user_password": "admin",
    "list_areas": "county",
    "compare": "county",
    "village_summary": "town",
    "unlock_user": "admin",
    "put_settings": "admin",
    "get_settings": "county",
    "attach_voucher": "acc",
    "remove_voucher": "acc",
}
# Ids below this exist in the fuzz world (entries, plans, projects, households).
REAL_IDS = st.integers(min_value=1, max_value=8)


def _with_real_ids(value):
    """A strategy: `value` as generated, or with its `*_id` members replaced by ids that exist."""
    if not isinstance(value, dict):
        return st.just(value)
    ids = [k for k, v in value.items() if k.endswith("_id") and (v is None or isinstance(v, int | str))]
    if not ids:
        return st.just(value)
    return st.one_of(st.just(value), st.fixed_dictionaries({k: REAL_IDS for k in ids}).map(lambda r: {**value, **r}))


def _fuzz_world(world) -> None:
    """Entries in every state and plans at every step, so the ids the fuzz hits mean something."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    approved_entry(world)
    approved_entry(world, kind="dividend", household_id=world.households[0].id)
    draft = ledger.create_entry(acc, entry_input(world.project, note="草稿"))
    vouchers.attach_voucher(acc, draft, tiny_jpeg(), "发票.jpg")
    vouchers.attach_voucher(acc, draft, b"%PDF-1.4\n%%EOF\n", "发票.pdf")
    submitted = ledger.create_entry(acc, entry_input(world.project, kind="cost", amount_fen=5_000))
    ledger.submit_entry(acc, submitted)
    returned = ledger.create_entry(acc, entry_input(world.project, kind="output", amount_fen=9_900))
    ledger.submit_entry(acc, returned)
    ledger.return_entry(sec, returned, "金额不对")
    period = ledger.today().strftime("%Y-%m")
    for _ in range(3):
        plan = distributions.draft_plan(
            sec, distributions.PlanInput(project_id=world.project.id, period=period, pool_fen=300_000, basis="equal")
        )
    distributions.approve_plan(sec, plan)


@pytest.fixture()
def api_schema(app, world, tmp_path, monkeypatch):
    """The document as the app serves it, with hooks that steer generated ids to real records (the
    voucher files in the test's own directory: the fuzz removes some)."""
    monkeypatch.setitem(app.config, "VOUCHER_DIR", str(tmp_path / "vouchers"))
    _fuzz_world(world)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.hook("flatmap_path_parameters")(lambda _ctx, params: _with_real_ids(params))
    schema.hook("flatmap_body")(lambda _ctx, body: _with_real_ids(body))
    return schema


@pytest.fixture()
def tokens(api) -> dict[str, str]:
    """A Bearer header for each caller."""
    out = {}
    for name in {"sec", *CALLER.values()}:
        api.as_user(name)
        out[name] = api.headers["Authorization"]
    return out


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_document(case, tokens):
    """No operation answers 5xx or anything its document does not describe."""
    operation_id = case.operation.definition.raw.get("operationId")
    headers = {"Authorization": tokens[CALLER.get(operation_id, "sec")]}
    case.call_and_validate(headers=headers, checks=CHECKS)


# ---- regressions: what the fuzz found, as plain tests ----------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/distributions/2147483648"),
        ("delete", "/api/v1/distributions/2147483648"),
        ("post", "/api/v1/distributions/2147483648/approve"),
        ("get", f"/api/v1/entries/{2**63}"),
        ("post", f"/api/v1/entries/{2**63}/submit"),
        ("put", f"/api/v1/entries/{2**63}"),
    ],
)
def test_an_id_beyond_its_key_is_not_found(api, world, method, path):
    """Werkzeug's `int(max=…)` answered 405 to a DELETE or POST beyond the max: now 404 for every method."""
    api.as_user("sec")
    resp = getattr(api.client, method)(path, json={}, headers=api.headers)
    assert resp.status_code == 404, resp.get_json()
    assert resp.get_json()["error"]["code"] == "not_found"


NUL = "a\x00b"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/households?q={NUL}",
        f"/api/v1/areas?parent={NUL}",
        f"/api/v1/projects?village={NUL}",
        f"/api/v1/compare?area={NUL}",
        f"/api/v1/compare?town={NUL}",
        f"/api/v1/villages/{NUL}/summary",
    ],
)
def test_a_nul_character_in_the_url_is_a_bad_request(api, world, path):
    """PostgreSQL refuses NUL in text: a NUL in a query parameter or path is a 400, never a 500."""
    resp = api.as_user("county").get(path)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("username", "path", "payload"),
    [
        ("acc", "/api/v1/entries", {"project_id": 1, "period": "2025-01", "kind": "sales", "amount": "1", "note": NUL}),
        ("sec", "/api/v1/projects", {"name": NUL, "type": "other"}),
        ("sec", "/api/v1/households", {"head_name": NUL}),
        ("acc", "/api/v1/entries/1/reverse", {"reason": NUL}),
        ("sec", "/api/v1/distributions", {"project_id": 1, "period": "2025-01", "pool": "1", "basis": "equal",
                                          "deductions": [{"kind": NUL, "percent": "1"}]}),
    ],
)  # fmt: skip
def test_a_nul_character_in_the_body_is_refused_and_writes_nothing(api, world, username, path, payload):
    approved_entry(world)  # entry 1, for the reversal
    api.as_user(username)  # (issuing the token is an audit event of its own)
    before = counts()
    resp = api.post(path, json=payload)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "bad_request"
    assert counts() == before


def test_a_nul_character_in_the_login_name_is_a_bad_request(api, world):
    resp = api.client.post("/api/v1/tokens", json={"username": NUL, "password": "x"})
    assert resp.status_code == 400, resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw",
    [
        '{"a":' * 50_000 + "1" + "}" * 50_000,  # Python's parser recursed out: was a 500
        '{"note": ' + "[" * 900 + "]" * 900 + "}",  # parsed, then recursed out later: was a 500
        '{"project_id": 1, "deductions": [[[[[[[[[["deep"]]]]]]]]]]}',
    ],
)
def test_a_deeply_nested_body_is_a_bad_request(api, world, raw):
    api.as_user("acc")
    before = counts()
    for path in ("/api/v1/entries", "/api/v1/tokens"):
        resp = api.client.post(path, data=raw, headers={**api.headers, "Content-Type": "application/json"})
        assert resp.status_code == 400, resp.get_data(as_text=True)[:200]
        assert resp.get_json()["error"]["code"] == "bad_request"
    assert counts() == before
