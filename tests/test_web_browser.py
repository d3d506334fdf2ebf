"""End to end in a real browser (Debian's Chromium, driven by Selenium through Debian's
chromedriver): what an officer does. The real server (``budget-tool serve``) runs in its own
process. Skipped locally with its reason when Chromium is absent, fails under CI=true.

Screenshots of every page go to $BUDGET_TOOL_SCREENSHOTS (the README's comes from there), or
to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.workbooks import cells_found

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FAULTY = SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx"
_APRIL_15 = date(2025, 4, 15)
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--lang=fr-FR",
    "--window-size=1280,1000",
)


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    if missing:
        reason = f"navigateur absent ({', '.join(missing)}) : test de bout en bout ignoré en local."
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} En CI, .ci/run doit installer chromium et chromium-driver.")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``budget-tool serve`` in its own process, as an officer's service runs it."""
    _require_browser()
    port = _free_port()
    command = [sys.executable, "-m", "budget_tool", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("le serveur n'a pas démarré : " + process.communicate()[0].decode())
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("telechargements")


@pytest.fixture(scope="module")
def browser(server, downloads, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('profil')}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("BUDGET_TOOL_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("captures")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _screenshot(driver, folder: Path, name: str) -> None:
    """The whole page, as tall as it is."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 6000))
    driver.save_screenshot(str(folder / f"{name}.png"))
    driver.set_window_size(1280, 1000)


def _requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _submit(driver, form_action: str, field_id: str, paths: list[Path]) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, field_id).send_keys("\n".join(str(p) for p in paths))
    driver.find_element(
        By.CSS_SELECTOR, f"form[action='{form_action}'] button[type=submit]"
    ).click()
    _wait_for_page(driver, form_action)


def _wait_for_page(driver, path: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 120).until(
        lambda d: (
            d.current_url.endswith(path)
            and d.execute_script("return document.readyState") == "complete"
        )
    )


def _wait_for_file(folder: Path, name: str) -> Path:
    target = folder / name
    for _ in range(200):
        if target.exists() and not list(folder.glob("*.crdownload")):
            return target
        time.sleep(0.05)
    raise AssertionError(f"{name} n'a pas été téléchargé (trouvé : {os.listdir(folder)})")


def test_an_officer_checks_a_faulty_workbook_and_downloads_the_annotated_copy(
    server, browser, downloads, shots
):
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    cells = cells_found(FAULTY)  # where budget-tool check finds them: the page says the same
    browser.get(server + "/")
    assert "Contrôler un classeur" in browser.page_source
    _screenshot(browser, shots, "accueil")
    _submit(browser, "/controle", "fichiers-controle", [FAULTY])

    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "Résultat du contrôle"
    verdict = browser.find_element(By.CSS_SELECTOR, ".verdict").text
    assert "À corriger" in verdict
    rows = [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "tr.constat")
    ]
    found = {(row[0], row[4]) for row in rows}
    assert (cells["depense-ineligible"], "depense-ineligible") in found
    assert (cells["libelle-suspect"], "libelle-suspect") in found
    assert "Feuille « Volet 2 »" in browser.page_source
    _screenshot(browser, shots, "controle")

    browser.find_element(By.PARTIAL_LINK_TEXT, "Télécharger la copie annotée").click()
    annotated = _wait_for_file(downloads, FAULTY.stem + "-annote.xlsx")
    sheet = load_workbook(annotated)["Volet 2"]
    assert "depense-ineligible" in sheet[cells["depense-ineligible"]].comment.text
    assert "libelle-suspect" in sheet[cells["libelle-suspect"]].comment.text
    _no_request_left_the_machine(browser, server)


def test_an_officer_consolidates_a_region_and_sees_every_departement(server, browser, shots):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    files = sorted((SAMPLES / "region").glob("*.xlsx"))
    _submit(browser, "/consolidation", "fichiers-consolidation", files)

    assert "Consolidation régionale 2024" in browser.find_element(By.CSS_SELECTOR, "h1").text
    codes = {
        row.find_elements(By.TAG_NAME, "td")[0].text
        for row in browser.find_elements(By.CSS_SELECTOR, ".synthese tbody tr")
    }
    expected = {path.stem.rsplit("-", 2)[-2] for path in files}
    assert expected == {"19", "23", "24", "86", "87"}
    assert expected <= codes
    assert browser.find_element(By.CSS_SELECTOR, "svg.graphique")
    shown_files = browser.find_element(
        By.XPATH, "//h2[text()='Fichiers reçus']/following::table[1]"
    )
    for path in files:
        assert path.name in shown_files.text
    _screenshot(browser, shots, "consolidation")
    _no_request_left_the_machine(browser, server)


def test_an_officer_consolidates_with_the_follow_up_file_and_sees_every_status(
    server, browser, downloads, shots
):
    """The consolidation with the region's follow-up file, at a chosen date: every département
    of the file (Gironde sent nothing) has its status, and its report downloads."""
    from selenium.webdriver.common.by import By

    from budget_tool.consolidation import consolidate
    from budget_tool.followup import by_code, read_followup

    files = sorted((SAMPLES / "region").glob("*.xlsx"))
    followup = SAMPLES / "region" / "suivi-nouvelle-aquitaine-2024.csv"
    browser.get(server + "/")
    browser.find_element(By.ID, "allocations").send_keys(str(followup))
    # The order in which a date field is typed follows the browser's locale (headless Chromium
    # keeps en-US whatever --lang says): the field gets its value as a picked date leaves it.
    date_field = browser.find_element(By.ID, "date-suivi")
    assert date_field.get_attribute("type") == "date"
    browser.execute_script("arguments[0].value = '2025-04-15'", date_field)
    _submit(browser, "/consolidation", "fichiers-consolidation", files)

    heading = browser.find_element(By.ID, "suivi").text
    assert heading == "Suivi des départements au 15/04/2025"
    library = consolidate(files, followup=by_code(read_followup(followup, 2024)), today=_APRIL_15)
    rows = {
        cells[0].text: cells
        for cells in (
            row.find_elements(By.TAG_NAME, "td")
            for row in browser.find_elements(By.CSS_SELECTOR, ".suivi tbody tr")
        )
    }
    statuses = dict(zip(library.suivi["departement"], library.suivi["statut"], strict=True))
    assert set(rows) == set(statuses) == {"19", "23", "24", "33", "86", "87"}
    for code, status in statuses.items():
        assert rows[code][2].text == status
        assert rows[code][2].is_displayed()
    proposals = browser.find_elements(By.CSS_SELECTOR, ".propositions tbody tr")
    assert len(proposals) == len(statuses)
    _screenshot(browser, shots, "consolidation-suivi")

    rows["33"][-1].find_element(By.TAG_NAME, "a").click()
    report = _wait_for_file(downloads, "rapport-33-2024.pdf")
    assert report.read_bytes().startswith(b"%PDF-")
    _no_request_left_the_machine(browser, server)


def test_the_rules_and_an_error_page_read_in_french(server, browser, shots):
    from selenium.webdriver.common.by import By

    browser.get(server + "/regles")
    assert browser.find_element(By.ID, "plafond-depasse")
    _screenshot(browser, shots, "regles")
    browser.get(server + "/")
    browser.find_element(By.CSS_SELECTOR, "form[action='/controle'] button").click()
    _wait_for_page(browser, "/controle")
    assert "Envoi incomplet" in browser.page_source
    assert "choisissez au moins un fichier" in browser.page_source
    _screenshot(browser, shots, "erreur")
    _no_request_left_the_machine(browser, server)


def test_a_zip_of_the_region_is_consolidated_too(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    archive = tmp_path / "retours-region.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted((SAMPLES / "region").glob("*.xlsx")):
            handle.write(path, f"retours/{path.name}")
    browser.get(server + "/")
    _submit(browser, "/consolidation", "fichiers-consolidation", [archive])
    heading = browser.find_element(By.CSS_SELECTOR, ".verdict").text
    assert "5 département(s) consolidé(s) : 19, 23, 24, 86, 87" in heading


def _no_request_left_the_machine(driver, server: str) -> None:
    urls = _requested_urls(driver)
    assert urls, "aucune requête observée : le journal réseau du navigateur est vide"
    network = [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))]
    assert any(u.startswith(server + "/static/dsfr/") for u in network)
    elsewhere = [u for u in network if not u.startswith(server + "/")]
    assert elsewhere == []
