"""Tests of the départements list and its lookup helpers."""

from __future__ import annotations

import pytest

from budget_tool.departements import (
    Departement,
    all_departements,
    by_region,
    lookup,
    normalize_code,
    regions,
)
from budget_tool.errors import UsageError

OVERSEAS = {"Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"}
MAINLAND = {
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire",
    "Corse", "Grand Est", "Hauts-de-France", "Île-de-France", "Normandie",
    "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire", "Provence-Alpes-Côte d'Azur",
}  # fmt: skip


def test_101_unique_codes() -> None:
    codes = [dep.code for dep in all_departements()]
    assert len(codes) == 101
    assert len(set(codes)) == 101


def test_expected_code_set() -> None:
    expected = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"}
    expected |= {"971", "972", "973", "974", "976"}
    assert {dep.code for dep in all_departements()} == expected


def test_corse_codes() -> None:
    codes = {dep.code for dep in all_departements()}
    assert "20" not in codes
    assert {"2A", "2B"} <= codes
    assert lookup("2A").nom == "Corse-du-Sud"
    assert lookup("2B").nom == "Haute-Corse"


def test_eighteen_regions() -> None:
    found = set(regions())
    assert len(found) == 18
    assert found == MAINLAND | OVERSEAS
    for region in OVERSEAS:
        assert len(by_region(region)) == 1


@pytest.mark.parametrize(
    ("region", "count"),
    [
        ("Nouvelle-Aquitaine", 12),
        ("Île-de-France", 8),
        ("Occitanie", 13),
        ("Auvergne-Rhône-Alpes", 12),
        ("Grand Est", 10),
        ("Hauts-de-France", 5),
        ("Bretagne", 4),
        ("Normandie", 5),
        ("Corse", 2),
        ("Bourgogne-Franche-Comté", 8),
        ("Centre-Val de Loire", 6),
        ("Pays de la Loire", 5),
        ("Provence-Alpes-Côte d'Azur", 6),
    ],
)
def test_count_per_region(region: str, count: int) -> None:
    assert len(by_region(region)) == count


@pytest.mark.parametrize(
    ("code", "nom", "region"),
    [
        ("23", "Creuse", "Nouvelle-Aquitaine"),
        ("69", "Rhône", "Auvergne-Rhône-Alpes"),
        ("75", "Paris", "Île-de-France"),
        ("22", "Côtes-d'Armor", "Bretagne"),
        ("63", "Puy-de-Dôme", "Auvergne-Rhône-Alpes"),
        ("90", "Territoire de Belfort", "Bourgogne-Franche-Comté"),
        ("93", "Seine-Saint-Denis", "Île-de-France"),
        ("974", "La Réunion", "La Réunion"),
    ],
)
def test_some_rows(code: str, nom: str, region: str) -> None:
    assert lookup(code) == Departement(code, nom, region)


def test_no_typographic_apostrophe() -> None:
    for dep in all_departements():
        assert "\u2019" not in dep.nom + dep.region


def test_label() -> None:
    assert lookup("23").label == "23 - Creuse"


def test_file_order_and_cache() -> None:
    deps = all_departements()
    assert deps is all_departements()
    assert [d.code for d in deps[:3]] == ["01", "02", "03"]
    assert deps[-1].code == "976"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", "01"),
        ("01", "01"),
        (" 9 ", "09"),
        ("2a", "2A"),
        (" 2b ", "2B"),
        ("971", "971"),
        ("20", "20"),
        ("xyz", "XYZ"),
        ("", ""),
    ],
)
def test_normalize_code(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected


def test_lookup_normalizes() -> None:
    assert lookup(" 2a ").code == "2A"
    assert lookup("1").nom == "Ain"


@pytest.mark.parametrize("code", ["20", "00", "96", "975", "977", "2C", "abc"])
def test_lookup_unknown(code: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        lookup(code)
    message = str(excinfo.value)
    assert f"« {code} »" in message
    assert message.startswith("Code département inconnu")
    assert "2A et 2B" in message


def test_by_region_unknown() -> None:
    with pytest.raises(UsageError, match="Région inconnue"):
        by_region("Ile-de-France")
