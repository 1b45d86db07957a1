"""The OpenAPI description covers every API route, and schemathesis finds no 5xx against it."""
from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from workflow.api.openapi import spec

NOT_JSON_ROUTES = {  # binary downloads and job plumbing, tested in test_documents_api
    "/api/v1/documents/<int:document_id>.<any(docx, pdf):fmt>", "/api/v1/jobs/<int:job_id>",
    "/api/v1/jobs/<int:job_id>/result", "/api/v1/documents/indicator-forms", "/api/v1/register/<int:entry_id>/void",
}


def openapi_path(rule: str) -> str:
    rule = rule.replace("<path:ref>", "{ref}")
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_every_api_route_is_described(app):
    described = spec()["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.rule in NOT_JSON_ROUTES:
            continue
        path = openapi_path(rule.rule)
        methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
        if path not in described or not methods <= set(described[path]):
            missing.append(f"{sorted(methods)} {rule.rule}")
    assert not missing, f"routes missing from workflow/api/openapi.yaml: {missing}"


def test_the_description_is_served(client):
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"].startswith("3.") and "/api/v1/tasks" in body["paths"]


@pytest.fixture()
def fuzz_schema(app, db):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.exclude(path="/api/v1/documents", method="POST").parametrize()  # a real render per example: too slow
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_on_any_generated_request(case, tokens, frozen_now):
    response = case.call(headers={"Authorization": f"Bearer {tokens['office']}"})
    assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text[:300])
    if response.status_code >= 400:
        assert "error" in response.json()
