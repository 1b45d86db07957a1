"""Odd input never answers 5xx and changes nothing."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize("path", [
    "/api/v1/tasks/99999999999999999999999", "/api/v1/dispatches/99999999999999999999999",
    "/api/v1/tasks?dispatch=99999999999999999999999", "/api/v1/dispatches/99999999999999999999999-CV/TU",
    "/api/v1/tasks?unit=a%00b", "/api/v1/tasks?q=%00", "/api/v1/tasks?page=99999999999999999999",
    "/api/v1/overdue?as_of=2026-13-45",
    "/api/v1/register?year=%C2%B3",  # "³": a digit for str.isdigit, not for int() (was a 500)
    "/api/v1/tasks?dispatch=%C2%B9", "/api/v1/tasks?dispatch=%C2%B2%C2%B3",  # the same in the task list (was a 500)
    "/api/v1/tasks?page=%C2%B9", "/api/v1/holidays?year=%C2%B9", "/api/v1/tasks.xlsx?dispatch=%C2%B9",
])
def test_odd_urls_are_4xx(api, path):
    response = api.get(path, "office")
    assert 400 <= response.status_code < 500 and "error" in response.get_json()


def test_nul_in_json_is_refused(api):
    response = api.post("/api/v1/tasks", "office", json={"dispatch": "1775-CV/TU", "title": "a\x00b",
                                                         "lead_unit": "so-tai-chinh", "deadline": "2026-12-01"})
    assert response.status_code == 400


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda children: st.lists(children, max_size=3) |
                           st.dictionaries(st.text(max_size=10), children, max_size=3), max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.dictionaries(st.sampled_from(["event", "version", "note", "evidence", "deadline", "title",
                                             "dispatch", "lead_unit", "deadline_text", "coordinating_units"]),
                            json_values, max_size=6))
def test_random_bodies_never_5xx(api, body):
    for path in ["/api/v1/tasks", "/api/v1/tasks/1/events"]:
        response = api.post(path, "office", json=body)
        assert response.status_code < 500, (path, body, response.get_json())


@pytest.mark.parametrize("path", ["/api/v1/documents/2147483648", "/api/v1/jobs/2147483648",
                                  "/api/v1/tasks/2147483648/events", "/api/v1/indicator-reports/2147483648"])
def test_ids_beyond_32_bits_are_404_on_every_route(api, path):
    response = api.get(path, "office") if not path.endswith("events") else api.post(path, "office", json={})
    assert response.status_code == 404 and "error" in response.get_json()
