"""Numbers typed as text, amounts for people and for machines, text made safe for outputs."""

from decimal import Decimal

import pytest

from budget_tool.numbers import decimal_text, format_euros, parse_amount
from budget_tool.sanitize import clean_text, neutralised

D = Decimal


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("1 234,56 €", D("1234.56")),
        ("12,5", D("12.5")),
        ("1.234,56", D("1234.56")),
        ("1234.56", D("1234.56")),
        ("1,234.56", D("1234.56")),
        ("12\u00a0000\u202f€", D("12000")),
        ("12 000 EUR", D("12000")),
        ("1.234.567", D("1234567")),
        ("-12,5", D("-12.5")),
    ],
)
def test_reads_what_a_french_finance_officer_meant(text, meant):
    assert parse_amount(text) == meant


@pytest.mark.parametrize(
    "text", ["nan", "inf", "-inf", "1_000", "1e5", "", "douze", "１２３", "1,2,3.4.5"]
)
def test_never_accepts_what_is_not_plainly_a_number(text):
    assert parse_amount(text) is None


def test_amounts_for_people_use_french_typography():
    assert format_euros(D("1234567.5")) == "1\u202f234\u202f567,50\u00a0€"
    assert format_euros(D("-12")) == "-12,00\u00a0€"


def test_amounts_for_machines_are_exact_strings_even_when_huge():
    assert decimal_text(D("1234.5")) == "1234.50"
    assert decimal_text(D("0.125")) == "0.125"
    assert decimal_text(D("1e27")) == "1" + "0" * 27


def test_text_from_a_departement_loses_control_characters_only():
    assert clean_text("Ligne\x00 1\x1b\r\nsuite\ufffe") == "Ligne 1\nsuite"
    assert clean_text("Action « été » – 2024") == "Action « été » – 2024"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(start):
    assert neutralised(f"{start}SUM(A1)").startswith("'")
    assert neutralised("Montant 12") == "Montant 12"


def test_euros_are_rounded_half_up_everywhere():
    """The half cent goes up, as the spreadsheet's ROUND and the workbook's display do (never
    to the even cent): 136 111,065 € is shown 136 111,07 €, and written 136111.07."""
    from budget_tool.numbers import format_euros, money_text

    assert format_euros(Decimal("136111.065")) == "136\u202f111,07\u00a0€"
    assert format_euros(Decimal("0.125")) == "0,13\u00a0€"
    assert format_euros(Decimal("-0.125")) == "-0,13\u00a0€"
    assert format_euros(Decimal("30000.005"), exact=True) == "30\u202f000,005\u00a0€"
    assert money_text(Decimal("136111.065")) == "136111.07"
    assert money_text(Decimal("1000.333333333333333")) == "1000.33"
    assert money_text(Decimal("12")) == "12.00"
    assert money_text(Decimal("-0.001")) == "0.00"
