"""Shared fixtures: parameters of a fictional but realistic département, generated workbooks,
and the LibreOffice guard (skip locally with a visible reason, fail under CI=true)."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from budget_tool.generate import generate, write_workbook
from budget_tool.layout import build_plan
from budget_tool.libreoffice import soffice
from budget_tool.plan import Parameters
from budget_tool.templates import load_template
from tests.workbooks import Workbooks, clean_lines

CEILINGS = {1: Decimal("150000"), 2: Decimal("400000"), 3: Decimal("250000")}


@pytest.fixture(scope="session")
def params() -> Parameters:
    return Parameters("23", "Creuse", "Nouvelle-Aquitaine", 2024, "2024-23-001", CEILINGS)


@pytest.fixture(scope="session")
def plans(params):
    return {tid: build_plan(load_template(tid), params) for tid in ("annexe-2", "annexe-3")}


@pytest.fixture(scope="session")
def generated(tmp_path_factory, params) -> dict[str, Path]:
    """annexe-2 and annexe-3 of département 23, generated once for the session (read only!)."""
    out = tmp_path_factory.mktemp("generated")
    annexe2, annexe3 = generate(params, out)
    return {"annexe-2": annexe2, "annexe-3": annexe3}


@pytest.fixture(scope="session")
def clean_files(tmp_path_factory, plans) -> dict[str, Path]:
    """Both annexes filled with sampledata, written once for the session (read only!)."""
    folder = tmp_path_factory.mktemp("propres")
    files = {}
    for annexe, plan in plans.items():
        files[annexe] = folder / f"{annexe}-propre.xlsx"
        write_workbook(plan, files[annexe], clean_lines(plan))
    return files


@pytest.fixture
def wb(tmp_path, plans, clean_files) -> Workbooks:
    """Makes the test's workbooks in its own folder, from the clean ones (tests/workbooks.py)."""
    return Workbooks(tmp_path, plans, clean_files)


@pytest.fixture(scope="session")
def libreoffice() -> str:
    executable = soffice()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) est requis en CI : .ci/run doit l'installer.")
        pytest.skip("LibreOffice (soffice) absent : tests de recalcul réel ignorés en local.")
    return executable


@pytest.fixture
def uploads_dir(tmp_path) -> Path:
    """The web server's folder for its private per-request folders (test_web*.py)."""
    folder = tmp_path / "envois"
    folder.mkdir()
    return folder


@pytest.fixture
def client(uploads_dir):
    """A web client whose private folders are made in ``uploads_dir``: after each request, it
    must be empty again (nothing kept). Starlette is imported here, not above: the web tests
    skip themselves when the [web] extra is not installed."""
    from starlette.testclient import TestClient

    from budget_tool.web.app import WebConfig, create_app

    app = create_app(WebConfig(tmp_dir=str(uploads_dir)))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    assert list(uploads_dir.iterdir()) == []
