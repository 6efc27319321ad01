"""The control plane's OpenAPI document: valid OpenAPI 3.1, and the server fuzzed from it answers no 5xx."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from mockidp.testing import MockIdP
from mockidp.web.openapi import openapi_document
from tests.helpers import LogRecorder

schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def server_log() -> Iterator[LogRecorder]:
    recorder = LogRecorder()
    logging.getLogger().addHandler(recorder)
    yield recorder
    logging.getLogger().removeHandler(recorder)


@pytest.fixture(scope="module")
def fuzzed(server_log: LogRecorder) -> Iterator[MockIdP]:
    """A server of its own: fuzzing replaces clients and users at random."""
    with MockIdP(log_level="info") as server:
        yield server


def test_the_served_document_is_valid_openapi_3_1(fuzzed: MockIdP) -> None:
    document = requests.get(fuzzed.control_url + "/openapi.json", timeout=10).json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/mockidp/v1"}]


def test_the_document_describes_every_control_route() -> None:
    from mockidp.web.control import ROUTES

    described = {
        (path, method.upper())
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    routed = {
        (route.path.replace(":path", ""), method)
        for route in ROUTES
        for method in route.methods - {"HEAD"}
        if route.path != "/openapi.json"
    }
    assert routed == described


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_fuzzing_the_control_plane_finds_no_server_error(case, fuzzed: MockIdP, server_log: LogRecorder) -> None:
    response = case.call(base_url=fuzzed.control_url, timeout=30)
    where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"
    assert response.status_code < 500, where
    assert "Traceback" not in response.text, where
    if response.status_code >= 400:  # the control plane's error shape, with a sentence saying what to fix
        error = response.json()
        assert {"error", "error_description"} <= set(error) <= {"error", "error_description", "problems", "ecid"}
        assert error["error_description"], where
    assert not server_log.failures(), f"{where}\nthe server logged {server_log.failures()}"
