"""The web pages and API, through Starlette's test client: every endpoint, limit and error.

The pages must say what the CLI says (same library, same JSON), keep nothing, and never show a
stack trace."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="les dépendances web ([web]) ne sont pas installées")

from click.testing import CliRunner  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from budget_tool.cli import main  # noqa: E402
from budget_tool.findings import CATALOGUE  # noqa: E402
from budget_tool.web import jobs  # noqa: E402
from budget_tool.web.app import WebConfig, create_app  # noqa: E402
from budget_tool.web.uploads import UploadLimits  # noqa: E402
from tests.hostile_files import zip_bytes  # noqa: E402
from tests.workbooks import cells_found  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
FAULTY = SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx"
CONFORME = SAMPLES / "annexe3-23-2024-conforme.xlsx"
REGION = sorted((SAMPLES / "region").glob("*.xlsx"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _files(*paths: Path, field: str = "fichiers") -> list:
    return [(field, (p.name, p.read_bytes(), XLSX)) for p in paths]


def _downloads(html: str) -> dict[str, bytes]:
    """The downloads embedded in a page: file name -> content."""
    found = {}
    for url, name in re.findall(r'href="data:[^;]+;base64,([^"]+)" download="([^"]+)"', html):
        found[name] = base64.b64decode(url)
    return found


def _cli(args: list[str], cwd: Path, monkeypatch) -> str:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, args)
    return result.stdout


# --- pages -------------------------------------------------------------------------------------


def test_home_page_offers_both_forms_and_says_nothing_is_kept(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="fr"' in html
    assert 'name="fichiers" multiple' in html
    assert 'action="/controle"' in html and 'action="/consolidation"' in html
    assert 'name="allocations"' in html
    assert "Rien n'est conservé" in html
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assets = re.findall(r'(?:href|src)="([^"#]+)"', html)
    assert assets and all(a.startswith("/") for a in assets)  # every asset served by the tool


def test_dsfr_assets_are_served_by_the_tool(client):
    css = client.get("/static/dsfr/dsfr.min.css")
    assert css.status_code == 200
    for font in re.findall(r"url\((fonts/Marianne-[A-Za-z_]+\.woff2)\)", css.text):
        assert client.get("/static/dsfr/" + font).status_code == 200
    assert client.get("/static/dsfr/icons/system/download-line.svg").status_code == 200
    assert client.get("/static/dsfr/LICENSE.md").status_code == 200


def test_rules_page_lists_every_code_of_the_catalogue(client):
    html = client.get("/regles").text
    for code in CATALOGUE:
        assert f'id="{code}"' in html


def test_check_page_gives_the_verdict_figures_findings_and_annotated_copy(client):
    response = client.post("/controle", files=_files(FAULTY))
    assert response.status_code == 200
    cells = cells_found(FAULTY)  # where budget-tool check finds them: the page says the same
    html = response.text
    assert "À corriger" in html
    assert "Feuille « Volet 2 »" in html
    assert re.search(
        rf'<td class="cellule">{cells["depense-ineligible"]}</td>.*?depense-ineligible', html, re.S
    )
    assert re.search(
        rf'<td class="cellule">{cells["libelle-suspect"]}</td>.*?libelle-suspect', html, re.S
    )
    assert "56\u202f666,67\u00a0€" in html  # the ineligible amount, recomputed
    downloads = _downloads(html)
    annotated = downloads["annexe3-23-2024-depenses-ineligibles-annote.xlsx"]
    sheet = load_workbook(io.BytesIO(annotated))["Volet 2"]
    assert "depense-ineligible" in sheet[cells["depense-ineligible"]].comment.text
    report = json.loads(downloads["controle.json"])
    assert report["reports"][0]["file"] == FAULTY.name


def test_check_page_of_a_conforming_workbook(client):
    html = client.post("/controle", files=_files(CONFORME)).text
    assert "fr-alert--success" in html and "Conforme" in html
    assert "À corriger" not in html


def test_check_page_of_a_file_that_is_not_a_workbook_says_refused_and_why(client):
    files = [("fichiers", ("budget.xlsx", b"departement;montant\n23;100\n", XLSX))]
    html = client.post("/controle", files=files).text
    assert "Refusé" in html
    assert "fichier texte (CSV ou HTML) renommé" in html
    assert "copie annotée" not in html


def test_several_files_are_each_reported(client):
    html = client.post("/controle", files=_files(FAULTY, CONFORME)).text
    assert html.count('class="fr-mt-5w fichier"') == 2
    assert f'href="#fichier-2">{CONFORME.name}' in html


def test_client_file_names_are_shown_escaped_and_never_used_as_paths(client, uploads_dir):
    name = "..\\..\\<img src=x onerror=alert(1)>.xlsx"
    files = [("fichiers", (name, FAULTY.read_bytes(), XLSX))]
    html = client.post("/controle", files=files).text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.xlsx" in html
    assert not (uploads_dir.parent / "<img src=x onerror=alert(1)>.xlsx").exists()


# --- API: the CLI's JSON -------------------------------------------------------------------------


def test_api_check_returns_exactly_the_json_of_the_cli(client, monkeypatch):
    response = client.post("/api/check", files=_files(FAULTY, CONFORME))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    cli = _cli(["check", "--format", "json", FAULTY.name, CONFORME.name], SAMPLES, monkeypatch)
    assert response.text == cli.rstrip("\n")


def test_api_consolidate_returns_the_json_of_the_cli(client, monkeypatch, tmp_path):
    response = client.post("/api/consolidate", files=_files(*REGION))
    assert response.status_code == 200
    target = tmp_path / "consolidation.json"
    names = [p.name for p in REGION]
    _cli(
        ["consolidate", *names, "-o", str(tmp_path / "s.xlsx"), "--json", str(target), "-q"],
        SAMPLES / "region",
        monkeypatch,
    )
    assert response.text == target.read_text(encoding="utf-8")


def test_api_errors_are_json_in_french(client):
    response = client.post("/api/check", files={"autre": ("a.txt", b"x")})
    assert response.status_code == 400
    assert response.json() == {
        "error": "aucun classeur reçu : choisissez au moins un fichier .xlsx."
    }


# --- consolidation ------------------------------------------------------------------------------


def test_consolidation_page_shows_every_departement_chart_and_downloads(client):
    response = client.post("/consolidation", files=_files(*REGION))
    assert response.status_code == 200
    html = response.text
    for code, name in [("19", "Corrèze"), ("23", "Creuse"), ("24", "Dordogne"), ("86", "Vienne")]:
        assert f'<td class="departement">{code}</td><td class="nom">{name}</td>' in html
    assert "86 - Vienne : incomplet : annexe 3 non reçue" in html
    assert "<svg" in html and "<title>19 : Plafond (art. 4.1)" in html
    for path in REGION:
        assert f"<td>{path.name}</td>" in html  # the officer's names, not ours
    assert "envoi-0" not in html
    downloads = _downloads(html)
    assert {"synthese.csv", "anomalies.csv", "lignes.csv", "fichiers.csv"} <= set(downloads)
    book = load_workbook(io.BytesIO(downloads["consolidation-2024.xlsx"]))
    assert book.sheetnames[:4] == ["Synthèse", "Anomalies", "Lignes", "Fichiers"]
    assert "annexe2-plan-de-financement-19-2024.xlsx" in downloads["fichiers.csv"].decode()


def test_a_zip_of_the_region_is_unpacked_and_consolidated(client):
    archive = zip_bytes({f"retours/{p.name}": p.read_bytes() for p in REGION})
    files = [("fichiers", ("region.zip", archive, "application/zip"))]
    html = client.post("/consolidation", files=files).text
    assert "5 département(s) consolidé(s) : 19, 23, 24, 86, 87" in html
    assert f"<td>retours/{REGION[0].name}</td>" in html


def test_zip_entry_names_never_escape_the_private_folder(client, uploads_dir):
    archive = zip_bytes(
        {
            "../../evasion.xlsx": FAULTY.read_bytes(),
            "/etc/evasion2.xlsx": CONFORME.read_bytes(),
            "__MACOSX/._x.xlsx": b"resource fork",
        }
    )
    files = [("fichiers", ("region.zip", archive, "application/zip"))]
    response = client.post("/consolidation", files=files)
    assert response.status_code == 200
    assert "evasion.xlsx" in response.text and "fichier caché" in response.text
    assert not (uploads_dir.parent / "evasion.xlsx").exists()
    assert not Path("/etc/evasion2.xlsx").exists()


def test_a_zip_bomb_is_refused_with_a_french_page(client):
    archive = zip_bytes({"bombe.xlsx": b"\0" * (30 * 1024 * 1024)})
    files = [("fichiers", ("region.zip", archive, "application/zip"))]
    response = client.post("/consolidation", files=files)
    assert response.status_code == 400
    assert "bombe zip probable" in response.text or "dépasse 10 Mo" in response.text


def test_a_damaged_zip_is_refused_with_a_french_page(client):
    files = [("fichiers", ("region.zip", b"PK\x03\x04 not a zip", "application/zip"))]
    response = client.post("/consolidation", files=files)
    assert response.status_code == 400
    assert "n'est pas une archive .zip lisible" in unescape(response.text)


def test_a_refused_file_stops_the_summary_unless_asked(client):
    bad = [("fichiers", ("retour-19.xlsx", b"pas un classeur", XLSX))]
    html = client.post("/consolidation", files=_files(*REGION) + bad).text
    assert "1 fichier(s) refusé(s)" in html and "retour-19.xlsx" in html
    assert "consolidation-2024.xlsx" not in _downloads(html)
    html = client.post(
        "/consolidation", files=_files(*REGION) + bad, data={"continuer": "oui"}
    ).text
    assert "consolidation-2024.xlsx" in _downloads(html)


def test_allocations_csv_is_compared(client):
    csv = "departement;plafond_volet1;plafond_volet2;plafond_volet3\n33;100000;200000;\n"
    files = _files(*REGION) + [("allocations", ("allocations.csv", csv.encode(), "text/csv"))]
    html = client.post("/consolidation", files=files).text
    assert "annexe-manquante" in html  # Gironde was allocated and sent nothing


def test_two_years_at_once_is_a_french_error_naming_the_officers_files(client, tmp_path):
    from budget_tool.generate import generate
    from budget_tool.params import Allocation, build_parameters

    params = build_parameters(Allocation("19", "100000", "200000", None, None), 2025)
    later = generate(params, tmp_path)[1]
    response = client.post("/consolidation", files=_files(REGION[0], later))
    assert response.status_code == 422
    assert "plusieurs années" in response.text
    assert later.name in response.text and "envoi-" not in response.text


# --- limits and errors --------------------------------------------------------------------------


@pytest.fixture
def small_client(uploads_dir):
    limits = UploadLimits(max_file_bytes=50_000, max_request_bytes=400_000, max_files=3)
    app = create_app(WebConfig(limits=limits, tmp_dir=str(uploads_dir)))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    assert list(uploads_dir.iterdir()) == []


def test_a_file_over_the_limit_is_a_413_page_in_french(small_client):
    files = [("fichiers", ("gros.xlsx", b"x" * 60_000, XLSX))]
    response = small_client.post("/controle", files=files)
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.text
    assert "Le fichier « gros.xlsx » dépasse 48 Ko" in response.text


def test_a_request_over_the_limit_is_a_413_before_reading(small_client):
    files = [("fichiers", (f"f{i}.zip", b"x" * 150_000, "application/zip")) for i in range(3)]
    response = small_client.post("/consolidation", files=files)
    assert response.status_code == 413
    assert "L'envoi dépasse" in unescape(response.text)


def test_too_many_files_is_a_413(small_client):
    files = [("fichiers", (f"f{i}.xlsx", b"x", XLSX)) for i in range(4)]
    response = small_client.post("/api/check", files=files)
    assert response.status_code == 413
    assert "trop de fichiers" in response.json()["error"]


def test_a_form_without_file_is_a_400_page(client):
    response = client.post("/controle", data={"rien": "x"})
    assert response.status_code == 400
    assert "Envoi incomplet" in response.text


def test_a_body_that_is_not_a_form_is_a_400_page(client):
    response = client.post("/controle", content=b"{}", headers={"content-type": "text/json"})
    assert response.status_code == 400
    assert "n'est pas un formulaire de fichiers" in unescape(response.text)


def test_unknown_page_and_wrong_method_are_french_pages(client):
    missing = client.get("/nulle-part")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    wrong = client.get("/controle")
    assert wrong.status_code == 405 and "depuis le formulaire" in wrong.text


def test_an_internal_error_shows_no_stack_trace(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("détail interne /secret/chemin")

    monkeypatch.setattr(jobs, "check_one", broken)
    response = client.post("/controle", files=_files(FAULTY))
    assert response.status_code == 500
    assert "Erreur interne" in response.text
    assert "secret" not in response.text and "Traceback" not in response.text
    api = client.post("/api/check", files=_files(FAULTY))
    assert api.status_code == 500 and "secret" not in api.text


# --- the real worker processes, and the command -------------------------------------------------


def test_checks_run_in_worker_processes(uploads_dir, monkeypatch):
    app = create_app(WebConfig(workers=1, tmp_dir=str(uploads_dir)))
    with TestClient(app) as test_client:
        response = test_client.post("/api/check", files=_files(FAULTY))
    cli = _cli(["check", "--format", "json", FAULTY.name], SAMPLES, monkeypatch)
    assert response.text == cli.rstrip("\n")
    assert list(uploads_dir.iterdir()) == []


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_serve_warns_that_the_page_has_no_login_off_loopback(monkeypatch, host, warned):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    result = CliRunner().invoke(main, ["serve", "--host", host, "--port", "8123"])
    assert result.exit_code == 0
    assert calls and calls[0]["host"] == host and calls[0]["port"] == 8123
    assert ("n'a pas d'authentification" in result.stderr) is warned


def test_serve_refuses_a_nonsense_limit(monkeypatch):
    result = CliRunner().invoke(main, ["serve", "--max-fichier-mo", "0"])
    assert result.exit_code == 2
    assert "positives" in result.stderr


def test_the_cli_does_not_load_the_web_framework():
    code = "import sys, budget_tool.cli; print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_worker_pool_is_renewed_and_keeps_answering():
    """After its quota of jobs the pool is replaced (the memory of a long-running service does
    not grow); the jobs after it are answered by new processes."""
    import asyncio
    import os

    from budget_tool.web.runner import Runner

    runner = Runner(1, tasks_per_pool=2)

    async def five_jobs() -> list[int]:
        runner.start()
        try:
            return [await runner.run(os.getpid) for _ in range(5)]
        finally:
            runner.stop()

    pids = asyncio.run(five_jobs())
    assert len(pids) == 5
    assert pids[0] == pids[1] and pids[2] == pids[3] and pids[4] not in pids[:4]
    assert len(set(pids)) == 3


def test_uploads_go_to_a_folder_only_the_service_can_read(tmp_path):
    from budget_tool.web.uploads import private_folder

    with private_folder(str(tmp_path)) as folder:
        assert folder.parent == tmp_path
        assert folder.stat().st_mode & 0o777 == 0o700
        (folder / "envoi-001.xlsx").write_bytes(b"x")
    assert not folder.exists()


def test_a_worker_that_dies_fails_one_request_not_the_service():
    """A worker killed (out of memory, by an administrator) fails its own job; the next job
    gets a fresh pool."""
    import asyncio
    import os
    from concurrent.futures.process import BrokenProcessPool

    from budget_tool.web.runner import Runner

    runner = Runner(1)

    async def die_then_work() -> int:
        runner.start()
        try:
            with pytest.raises(BrokenProcessPool):
                await runner.run(os._exit, 1)
            return await runner.run(os.getpid)
        finally:
            runner.stop()

    assert asyncio.run(die_then_work()) != os.getpid()


def test_an_empty_bilan_is_said_empty_never_conforme(client):
    """A bilan sent back as generated: « vide » as in ``budget-tool check`` (never « conforme »,
    never « aucune erreur »), on the page and in the API."""
    empty = SAMPLES / "annexe3-23-2024-vide.xlsx"
    api = client.post("/api/check", files=_files(empty))
    assert api.status_code == 200
    assert api.json()["reports"][0]["status"] == "vide"
    page = client.post("/controle", files=_files(empty))
    assert page.status_code == 200
    html = unescape(page.text)
    assert "Rien n'est déclaré" in html and "Aucun montant n'est déclaré" in html
    assert "Conforme" not in html and "Aucune erreur" not in html
