"""The consolidation page with a follow-up file (the DREETS follow-up, issue 10), through
Starlette's test client: the « Suivi » and « Propositions de paiement » tables right after the
verdict, the follow-up date of the form, and the per-département PDF reports as downloads.

The page must say what the library's tables say (``consolidate(followup=..., today=...)``), in
the officer's file names, and keep nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from html import unescape
from html.parser import HTMLParser

import pytest

pytest.importorskip("starlette", reason="les dépendances web ([web]) ne sont pas installées")

from budget_tool.consolidation import consolidate  # noqa: E402
from budget_tool.followup import by_code, read_followup  # noqa: E402
from tests.test_web import REGION, SAMPLES, _cli, _downloads, _files  # noqa: E402

SUIVI = SAMPLES / "region" / "suivi-nouvelle-aquitaine-2024.csv"
CODES = ["19", "23", "24", "33", "86", "87"]  # the follow-up file's; 33 sent nothing


def _with_followup(**data: str):
    files = _files(*REGION) + [("allocations", (SUIVI.name, SUIVI.read_bytes(), "text/csv"))]
    return {"files": files, "data": data}


class _Tables(HTMLParser):
    """The cells' texts of each table, by the class of its DSFR wrapper."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.wrapper = ""
        self.current: list[str] | None = None
        self.in_body = False
        self.in_cell = False

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "fr-table" in classes:
            self.wrapper = classes[-1]
            self.tables[self.wrapper] = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.tables[self.wrapper].append([])
        elif tag == "td" and self.in_body:
            self.tables[self.wrapper][-1].append("")
            self.in_cell = True
        elif tag == "br" and self.in_cell:
            self.tables[self.wrapper][-1][-1] += "\n"

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag == "td":
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.tables[self.wrapper][-1][-1] += data


def _tables(html: str) -> dict[str, dict[str, list[str]]]:
    """Each table's rows by their first cell (the département code)."""
    parser = _Tables()
    parser.feed(html)
    return {
        name: {row[0]: [" ".join(c.split()) for c in row] for row in rows if row}
        for name, rows in parser.tables.items()
    }


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _library(today: date):
    """The library's own tables for the same files (read, not recomputed, by the page)."""
    followup = by_code(read_followup(SUIVI, 2024))
    return consolidate(REGION, followup=followup, today=today)


def test_the_consolidation_form_has_the_follow_up_date_field(client):
    html = client.get("/").text
    form = html[html.index('action="/consolidation"') :]
    form = form[: form.index("</form>")]
    assert '<input class="fr-input" type="date" id="date-suivi" name="date">' in form
    assert 'name="allocations"' in form


def test_followup_tables_come_right_after_the_verdict_with_every_departement(client):
    html = unescape(client.post("/consolidation", **_with_followup(date="2025-05-15")).text)
    verdict = html.index('class="fr-alert fr-alert--info')
    suivi, propositions = (
        html.index("Suivi des départements"),
        html.index("Propositions de paiement"),
    )
    assert verdict < suivi < propositions < html.index("Synthèse par département")
    assert "Suivi des départements au 15/05/2025" in html
    tables = _tables(html)
    assert list(tables["suivi"]) == CODES
    library = _library(date(2025, 5, 15))
    for record in library.suivi.to_dict("records"):
        row = tables["suivi"][record["departement"]]
        assert row[1] == record["nom"] and row[2] == record["statut"]  # the library's status
    assert tables["suivi"]["33"][2].startswith("aucune annexe reçue ; bilan en retard")
    assert tables["suivi"]["33"][3] == "31/03/2025 45 jour(s) de retard"
    assert tables["suivi"]["23"][3:6] == [
        "31/03/2025 42 jour(s) de retard",
        "reçu le 25/01/2024",
        "reçu le 12/05/2025",
    ]
    assert tables["suivi"]["19"][6] == "Avenant n° 1 du 15/09/2024"
    assert tables["suivi"]["86"][5] == "non reçu"
    # « À regarder », in the follow-up's order, says the follow-up statuses too: the
    # département that sent nothing, the late bilans; not the bilans received in time.
    look = html[html.index("À regarder") : suivi]
    assert [line.split(" : ")[0] for line in re.findall(r"<li>([^<]*)</li>", look)] == [
        "23 - Creuse",
        "24 - Dordogne",
        "33 - Gironde",
        "86 - Vienne",
    ]
    gironde = library.suivi.set_index("departement").loc["33", "statut"]
    assert f"<li>33 - Gironde : {gironde}</li>" in look
    assert "86 - Vienne : incomplet : annexe 3 non reçue" in look
    assert "dépassée de 45 jour(s)" in look.split("86 - Vienne")[1]
    assert "envoi-0" not in html


def test_payment_proposals_say_direction_amount_advance_imputation_and_bilan(client):
    html = unescape(client.post("/consolidation", **_with_followup(date="2025-04-15")).text)
    rows = _tables(html)["propositions"]
    assert list(rows) == CODES
    assert rows["19"][2:7] == [
        "ordre de recouvrement du trop-perçu (art. 6 et 8)",
        "à recouvrer",
        "51 000,00 €",
        "207 000,00 €",
        "258 000,00 € versée le 12/02/2024",
    ]
    assert rows["23"][3:5] == ["à verser", "199 999,46 €"]
    assert rows["24"][2].startswith("suspendue : 1 erreur(s) dans le bilan")
    assert rows["33"][2] == "aucune : bilan final non reçu (art. 3.2)" and rows["33"][4] == ""
    # The imputation every département shares is said once; each row shows what differs.
    assert rows["19"][7] == "N° tiers Chorus : 1000012319"
    assert (
        "Imputation commune à tous les départements : CF 0102-DR75-DR75 · DF 0102-02 · "
        "Activité 010202020101 · GM action de la CV GM-CDIE-2024." in _text(html)
    )
    library = _library(date(2025, 4, 15)).propositions.set_index("departement")
    bilan = rows["87"][8]
    assert bilan.startswith("annexe3-bilan-financier-87-2024.xlsx")  # the officer's name
    sha256 = library.loc["87", "sha256_bilan"]  # its reference: the start shown, all in the title
    assert bilan.endswith(f"SHA-256 {sha256[:12]}…") and f'title="SHA-256 {sha256}"' in html


def test_an_imputation_that_differs_is_shown_on_its_row(client):
    lines = SUIVI.read_text(encoding="utf-8").splitlines()
    assert lines[2].startswith("23;")
    lines[2] = lines[2].replace("0102-DR75-DR75", "0102-DR23-DR23")  # Creuse's own CF
    request = _with_followup(date="2025-04-15")
    request["files"][-1] = ("allocations", (SUIVI.name, "\n".join(lines).encode(), "text/csv"))
    html = unescape(client.post("/consolidation", **request).text)
    rows = _tables(html)["propositions"]
    assert rows["23"][7] == "CF : 0102-DR23-DR23 N° tiers Chorus : 1000012323"
    assert rows["19"][7] == "CF : 0102-DR75-DR75 N° tiers Chorus : 1000012319"
    assert "Imputation commune à tous les départements : DF 0102-02 · " in _text(html)


def test_without_followup_file_the_page_stays_as_before(client):
    html = client.post("/consolidation", files=_files(*REGION)).text
    assert "Suivi des départements" not in html and "Propositions de paiement" not in html
    assert not [name for name in _downloads(html) if name.endswith(".pdf")]
    assert 'class="fr-table fr-table--no-caption fr-table--bordered synthese"' in html


def test_the_follow_up_date_dates_the_statuses(client):
    before = unescape(client.post("/consolidation", **_with_followup(date="2025-03-01")).text)
    assert "Suivi des départements au 01/03/2025" in before
    assert _tables(before)["suivi"]["33"][2].startswith(
        "aucune annexe reçue ; bilan attendu au plus tard le 31/03/2025"
    )
    typed = unescape(client.post("/consolidation", **_with_followup(date="15/04/2025")).text)
    assert "dépassée de 15 jour(s)" in _tables(typed)["suivi"]["33"][2]


def test_no_date_means_today(client):
    html = unescape(client.post("/consolidation", **_with_followup(date="")).text)
    assert f"Suivi des départements au {date.today():%d/%m/%Y}" in html


@pytest.mark.parametrize("wrong", ["2025-02-30", "demain", "2025/04/15", "15-04-2025"])
def test_a_wrong_date_is_a_400_french_page(client, wrong):
    response = client.post("/consolidation", **_with_followup(date=wrong))
    assert response.status_code == 400
    html = unescape(response.text)
    assert "Date du suivi invalide" in html
    assert f"« {wrong} » n'est pas une date : écrivez-la AAAA-MM-JJ" in html
    assert "Traceback" not in html
    api = client.post("/api/consolidate", **_with_followup(date=wrong))
    assert api.status_code == 400 and "n'est pas une date" in api.json()["error"]


def test_api_consolidate_with_followup_and_date_is_the_json_of_the_cli(
    client, monkeypatch, tmp_path
):
    response = client.post("/api/consolidate", **_with_followup(date="2025-04-15"))
    assert response.status_code == 200
    target = tmp_path / "consolidation.json"
    names = [p.name for p in REGION]
    _cli(
        ["consolidate", *names, "-o", str(tmp_path / "s.xlsx"), "--json", str(target), "-q"]
        + ["--allocations", SUIVI.name, "--date", "2025-04-15"],
        SAMPLES / "region",
        monkeypatch,
    )
    assert response.text == target.read_text(encoding="utf-8")
    assert '"suivi"' in response.text


def test_each_departement_report_is_a_download(client, tmp_path):
    html = client.post("/consolidation", **_with_followup(date="2025-04-15")).text
    downloads = _downloads(html)
    reports = sorted(name for name in downloads if name.endswith(".pdf"))
    assert reports == [f"rapport-{code}-2024.pdf" for code in CODES]
    assert all(downloads[name].startswith(b"%PDF-") for name in reports)
    assert {"suivi.csv", "propositions.csv", "actions.csv"} <= set(downloads)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent : texte du PDF non relu")
    source = tmp_path / "r.pdf"
    source.write_bytes(downloads["rapport-19-2024.pdf"])
    text = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "19 - Corrèze" in text and re.search(r"Situation au\s+15/04/2025", text)
    assert "annexe3-bilan-financier-19-2024.xlsx" in text and "envoi-0" not in text


def test_no_report_while_a_refused_file_stops_the_summary(client):
    request = _with_followup(date="2025-04-15")
    request["files"].append(("fichiers", ("retour-33.xlsx", b"pas un classeur", "text/plain")))
    html = client.post("/consolidation", **request).text
    assert "1 fichier(s) refusé(s)" in html
    assert not [name for name in _downloads(html) if name.endswith(".pdf")]
    assert "Elles ne sont pas établies tant qu'un fichier est refusé" in unescape(html)
    assert "propositions" not in _tables(html)  # as the CLI, which writes none
    assert list(_tables(html)["suivi"]) == CODES  # the statuses are still said
    request["data"]["continuer"] = "oui"
    html = client.post("/consolidation", **request).text
    assert "rapport-19-2024.pdf" in _downloads(html)
    assert list(_tables(html)["propositions"]) == CODES
