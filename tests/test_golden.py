"""Generated workbooks match the reviewed golden files, entry by entry, after normalising dates."""

from __future__ import annotations

import pytest

from budget_tool.generate import generate
from tests.golden import GOLDEN_DIR, golden_params, normalised_entries


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    return generate(golden_params(), tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("index", [0, 1], ids=["annexe-2", "annexe-3"])
def test_generated_workbook_matches_golden_files(fresh, index):
    workbook = fresh[index]
    golden = GOLDEN_DIR / workbook.stem
    assert golden.is_dir(), f"pas de référence pour {workbook.stem} : lancez make golden"
    expected = {
        p.relative_to(golden).as_posix(): p.read_bytes() for p in golden.rglob("*") if p.is_file()
    }
    actual = normalised_entries(workbook)
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name] == expected[name], (
            f"{name} differs from tests/golden (make golden, then review)"
        )
