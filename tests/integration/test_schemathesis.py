"""Schemathesis against civicgrid's own OpenAPI: no answer is a 5xx, every refusal is in the documented shape.

Every operation gets valid and invalid examples, once anonymously and once with an operator's bearer token,
on one app per module. A few cases are filed first and path parameters are often taken from them, so the
case, tracking and Open311 routes meet real rows and not only 404s. The JSON API refuses with
``{"error": {"code", "message", "fields"}}``; Open311 with ``errors[error{code, description}]``.

The operations are looped over by hand, one subtest each: schemathesis's own ``from_fixture`` loader does not
run under pytest 9.
"""

from __future__ import annotations

import gc
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode, Response
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from civicgrid.bootstrap import App, bootstrap
from civicgrid.config import Settings
from civicgrid.demo.people import WorkerKind, WorkerSpec
from civicgrid.entrypoints.api.app import create_app
from civicgrid.services import accounts, sign_in
from civicgrid.services.grids import import_areas
from civicgrid.services.reference import seed_reference_data
from conftest import ACCOUNTS, FAST, PASSWORD, START, Clock
from support import tiny_map

pytestmark = pytest.mark.slow

EXAMPLES = 15
INSIDE = {"lon": 116.6025, "lat": 35.4025}  # micro-grid D1111 of grid D111
# Put into generated bodies and queries, so that some reports get filed and some look-ups find something.
FILEABLE: dict[str, Any] = {**INSIDE, "category_code": "C0101", "category": "C0101"}
# Values a fuzzer seldom draws, each tried on every operation that reads it: the ends of the calendar and a
# digit that is not a number.
CALENDAR_ENDS = ["0001-01-01", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"]
EDGES = {
    **dict.fromkeys(["from", "to", "start_date", "end_date"], CALENDAR_ENDS),
    "page": ["²"],
    "page_size": ["²"],
}


@dataclass
class Target:
    """The loaded schema, a header set per caller and real values for path parameters."""

    schema: BaseSchema
    headers: dict[str, dict[str, str]]
    known: dict[str, list[str]]


def start(tmp: Path, template: Path) -> tuple[App, dict[str, str]]:
    """A civicgrid with the tiny map, the catalogue, workers on every grid and an operator's token header."""
    shutil.copy(template, tmp / "civicgrid.db")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'civicgrid.db'}",
        upload_dir=tmp / "uploads",
        public_reports_per_minute=0,
        uploads_per_minute=0,
        sign_ins_per_minute=0,
        sweep_interval_seconds=0,  # no sweep racing the examples
    )
    clock = Clock(START)
    app = bootstrap(settings, clock=clock)
    seed_reference_data(uow=app.uow)
    admin = accounts.command_line_actor()
    import_areas(uow=app.uow, areas=tiny_map(), actor=admin, now=clock())
    grids = ["D111", "D112", "D211", "D212"]
    people = [
        WorkerSpec(f"F000{i + 1}", f"网格员{i + 1}", f"1380000000{i}", WorkerKind.FULLTIME, None, (g,))
        for i, g in enumerate(grids)
    ] + [WorkerSpec("P0001", "城管队员", "13900000000", WorkerKind.PROFESSIONAL, "chengguan", tuple(grids))]
    with app.uow() as u:
        u.reference.save_workers(people)
        u.commit()
    user = accounts.create_user(
        uow=app.uow, actor=admin, spec=ACCOUNTS["operator"], password=PASSWORD, now=clock(), passwords=FAST
    )
    token = sign_in.issue_token(uow=app.uow, user=user, name="test", now=clock(), ttl=timedelta(days=400))
    return app, {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Target]:
    app, operator = start(tmp_path_factory.mktemp("schemathesis"), sqlite_template)
    api = create_app(app)
    known: dict[str, list[str]] = {
        "fmt": ["xml", "json"],
        "service_code": ["C0101"],
        "number": [],
        "token": [],
    }
    client = TestClient(api)
    for n in range(3):
        body = {"category_code": "C0101", "description": f"东苑小区{n}号楼下井盖缺失", **INSIDE}
        filed = client.post("/api/v1/cases", json=body).json()
        known["number"].append(filed["number"])
        known["token"].append(filed["tracking_token"])
    client.post(f"/api/v1/cases/{known['number'][1]}/register", json={}, headers=operator)
    known["service_request_id"] = known["number"]
    # Loading the schema starts the app's lifespan, which tunes the garbage collector for a server process.
    threshold = gc.get_threshold()
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    yield Target(schema=schema, headers={"anonymous": {}, "operator": operator}, known=known)
    asgi.shutdown_lifespans()
    gc.unfreeze()
    gc.set_threshold(*threshold)
    app.close()


def cases_for(operation: APIOperation, known: dict[str, list[str]]) -> st.SearchStrategy[Case]:
    """Valid and invalid examples, on generated paths and on paths to existing rows, half of them fileable."""
    modes = [GenerationMode.POSITIVE]
    if list(operation.iter_parameters()) or list(operation.body):
        modes.append(GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    names = sorted({p.name for p in operation.path_parameters} & known.keys())
    for i in range(max((len(known[name]) for name in names), default=0)):
        fixed = {name: known[name][i % len(known[name])] for name in names}
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=fixed) for mode in modes]
    query = {p.name for p in operation.query}
    strategies += [s.map(lambda case: fileable(case, query)) for s in strategies]
    return st.one_of(strategies)


def fileable(case: Case, query: set[str]) -> Case:
    """The case with its category and location (in its body or its query) set to ones the server knows."""
    if isinstance(case.body, dict):
        case.body.update({k: v for k, v in FILEABLE.items() if k in case.body})
    if query & FILEABLE.keys():
        case.query = {**(case.query or {}), **{k: v for k, v in FILEABLE.items() if k in query}}
    return case


def edge_cases(operation: APIOperation, known: dict[str, list[str]]) -> list[Case]:
    """One case per edge value of each query parameter in EDGES, on a path that exists."""
    path = {p.name: known[p.name][0] for p in operation.path_parameters if p.name in known}
    if len(path) < len(list(operation.path_parameters)):
        return []
    return [
        operation.Case(path_parameters=path, query={p.name: value})
        for p in operation.query
        for value in EDGES.get(p.name, [])
    ]


def header(response: Response, name: str) -> str:
    return next((v[0] for k, v in response.headers.items() if k.lower() == name and v), "")


def assert_json_error(body: Any, response: Response) -> None:
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), response.text
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], response.text
    assert isinstance(error.get("message"), str) and error["message"], response.text
    assert isinstance(error.get("fields"), list), response.text
    for field in error["fields"]:
        assert {"field", "code", "message"} <= field.keys(), response.text


def assert_open311_error(response: Response) -> None:
    kind = header(response, "content-type")
    if kind.startswith("application/json"):
        errors = json.loads(response.content)
        assert isinstance(errors, list) and errors, response.text
        pairs = [(e.get("code"), e.get("description")) for e in errors]
    else:
        assert kind.startswith("text/xml"), (kind, response.text)
        root = ET.fromstring(response.content)
        assert root.tag == "errors" and len(root) > 0 and {e.tag for e in root} == {"error"}, response.text
        pairs = [(e.findtext("code"), e.findtext("description")) for e in root]
    assert all(code and description for code, description in pairs), response.text


def assert_well_answered(case: Case, response: Response) -> None:
    """No 5xx; refusals (and any JSON answer carrying an error) in the shape the OpenAPI documents."""
    # An unhandled exception does not even get here: the ASGI transport raises it.
    assert response.status_code < 500, f"{case.method} {response.request.url}: {response.text[:2000]}"
    refused = 400 <= response.status_code < 500
    if refused:
        case.validate_response(response, checks=[content_type_conformance, response_schema_conformance])
    if case.operation.path.startswith("/open311/"):
        if refused:
            assert_open311_error(response)
        return
    is_json = header(response, "content-type").startswith("application/json")
    assert is_json or not refused, response.text
    if is_json:
        body = json.loads(response.content)
        if refused or (isinstance(body, dict) and "error" in body):
            assert_json_error(body, response)


def test_every_operation_documents_its_refusals(target: Target) -> None:
    for path, methods in target.schema.raw_schema["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)  # FastAPI's own validation body is never sent
            content = responses["4XX"]["content"]
            if path.startswith("/open311/"):
                assert content.keys() == {"application/json", "text/xml"}, (method, path)
                assert content["application/json"]["schema"]["items"]["$ref"].endswith("/Open311Error")
            else:
                assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


@pytest.mark.parametrize("who", ["anonymous", "operator"])
def test_every_operation_answers_without_5xx_and_refuses_in_the_documented_shape(
    target: Target, who: str, subtests: pytest.Subtests
) -> None:
    headers = target.headers[who]
    for result in target.schema.get_all_operations():
        operation = result.ok()
        with subtests.test(operation=operation.label):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            )
            @given(case=cases_for(operation, target.known))
            def answers_well(case: Case) -> None:
                assert_well_answered(case, case.call(headers=headers))

            for case in edge_cases(operation, target.known):
                answers_well = example(case=case)(answers_well)
            answers_well()
