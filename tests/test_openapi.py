"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that describes every API route."""

import copy
import re

import jsonschema_rs
import pytest
import schemathesis

from coopapp.api.openapi import document
from coopapp.core.vocabulary import KINDS
from coopapp.reporting.metric_table import COMPARE_METRICS

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _api_rules(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every /api/v1 rule: `/api/v1/entries/<int:entry_id>` → `/entries/{entry_id}`."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        out |= {(method.lower(), path) for method in rule.methods & METHODS}
    return out


def _documented(doc: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in doc["paths"].items() for method in ops}


def test_served_without_login_as_json(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.") and doc["servers"] == [{"url": "/api/v1"}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a token from POST /tokens",
    }


def test_every_api_route_is_documented_and_nothing_else(app):
    rules, documented = _api_rules(app), _documented(document())
    assert len(rules) >= 25
    assert rules - documented == set(), "routes missing from coopapp/api/openapi.py"
    assert documented - rules == set(), "documented operations without a route"


def test_the_check_catches_a_forgotten_route(app):
    """The coverage test above can fail: a document without one operation is caught."""
    doc = document()
    del doc["paths"]["/entries/{entry_id}/reverse"]
    assert _api_rules(app) - _documented(doc) == {("post", "/entries/{entry_id}/reverse")}


def test_path_parameters_match_the_view_arguments(app):
    for path, ops in document()["paths"].items():
        in_path = set(re.findall(r"{(\w+)}", path))
        for op in ops.values():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == in_path, (path, declared)


def test_document_is_valid_openapi(client):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
    schema.validate()  # raises on any violation of the OpenAPI 3.1 meta-schema


def test_an_invalid_document_is_refused():
    broken = copy.deepcopy(document())
    broken["paths"]["/areas"]["get"]["responses"] = "none"
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_security_errors_and_enums():
    doc = document()
    public = {"openapi", "create_token"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            if op["operationId"] in public:
                assert op["security"] == [], (method, path)
            else:
                assert "security" not in op and "401" in codes, (method, path)
            for code in codes - {"200", "201", "204"}:
                assert op["responses"][code] == {"$ref": f"#/components/responses/E{code}"}
            if method == "post" and op["operationId"] != "create_token":
                assert "415" in codes, (method, path)
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "fields"]
    schemas = doc["components"]["schemas"]
    assert schemas["EntryInput"]["properties"]["kind"]["enum"] == list(KINDS)
    compare = next(p for p in doc["paths"]["/compare"]["get"]["parameters"] if p["name"] == "metric")
    assert compare["schema"]["enum"] == list(COMPARE_METRICS)
    # money: the yuan string never a number, its fen twin an integer
    entry = schemas["Entry"]["properties"]
    assert entry["amount"]["type"] == "string" and entry["amount_fen"]["type"] == "integer"
