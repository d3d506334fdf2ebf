"""The web application: thin routes over the library, as ``cli.py`` is over the same functions.

Each route receives the files into a private folder (``uploads.py``), runs one job in a worker
process (``jobs.py``: the library's check, annotate, consolidate, report and summary writers),
deletes the folder, and renders one template. Nothing is kept: the downloads are embedded in the
page. Every error is a French page (or JSON for ``/api/``), never a stack trace.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from budget_tool import __version__
from budget_tool.report import to_json
from budget_tool.sanitize import clean_text
from budget_tool.web import jobs
from budget_tool.web.runner import Runner
from budget_tool.web.unzip import ArchiveRefused, unpack
from budget_tool.web.uploads import (
    BadUpload,
    Form,
    TooLarge,
    Upload,
    UploadLimits,
    private_folder,
    receive_form,
    size_text,
)

HERE = Path(__file__).parent
LOG = logging.getLogger("budget_tool.web")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class WebConfig:
    limits: UploadLimits = field(default_factory=UploadLimits)
    workers: int = 0  # 0: jobs in a thread of this process (tests); serve uses processes
    tmp_dir: str | None = None


class NoFile(Exception):
    """The form came without the file it needs (French message)."""


class BadDate(Exception):
    """The follow-up date of the form is not a date (French message)."""


def create_app(config: WebConfig | None = None) -> Starlette:
    config = config or WebConfig()
    pages = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
    )
    pages.filters["data_url"] = data_url
    pages.globals.update(version=__version__, limits=config.limits, size_text=size_text)
    handlers: dict[Any, Any] = {
        exc: problem
        for exc in (HTTPException, TooLarge, BadUpload, NoFile, ArchiveRefused, BadDate)
    }
    handlers[Exception] = problem  # the last resort: a French page, the detail in the log
    app = Starlette(routes=ROUTES, exception_handlers=handlers, lifespan=_lifespan)
    app.state.config, app.state.pages = config, pages
    app.state.runner = Runner(config.workers)
    return app


@asynccontextmanager
async def _lifespan(app: Starlette):
    app.state.runner.start()
    try:
        yield
    finally:
        app.state.runner.stop()


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = request.app.state.pages.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers=_headers())


async def receive(request: Request, folder: Path) -> Form:
    """The form, its files streamed into ``folder`` within the configured limits."""
    return await receive_form(
        request.headers.get("content-type", ""),
        request.headers.get("content-length"),
        request.stream(),
        folder,
        request.app.state.config.limits,
    )


async def index(request: Request) -> Response:
    return render(request, "index.html")


async def regles(request: Request) -> Response:
    from budget_tool.catalogue_doc import FAMILIES
    from budget_tool.findings import CATALOGUE

    families = [
        (title, [r for r in CATALOGUE.values() if r.family == family])
        for family, title in FAMILIES.items()
    ]
    return render(request, "regles.html", families=families)


async def controle(request: Request) -> Response:
    result = await _check(request, with_annotations=True)
    return render(request, "controle.html", **result)


async def api_check(request: Request) -> Response:
    result = await _check(request, with_annotations=False)
    return _json(result["json"])


async def _check(request: Request, with_annotations: bool) -> dict:
    """``budget-tool check`` of the files sent; the folder is gone before the answer leaves."""
    with private_folder(request.app.state.config.tmp_dir) as folder:
        uploads = (await receive(request, folder)).files("fichiers")
        if not uploads:
            raise NoFile("aucun classeur reçu : choisissez au moins un fichier .xlsx.")
        runner = request.app.state.runner
        done = await asyncio.gather(
            *(runner.run(jobs.check_one, (str(u.path), u.name), with_annotations) for u in uploads)
        )  # one job per file: several files use every worker
    return {"json": to_json([report for report, _ in done]), "reports": [v for _, v in done]}


async def consolidation(request: Request) -> Response:
    result = await _consolidate(request, api=False)
    if "error" in result:
        return render(request, "erreur.html", 422, **_problem_consolidation(result["error"]))
    return render(request, "consolidation.html", **result)


async def api_consolidate(request: Request) -> Response:
    result = await _consolidate(request, api=True)
    if "error" in result:
        return _json_error(422, result["error"])
    return _json(result["json"])


async def _consolidate(request: Request, api: bool) -> dict:
    """``budget-tool consolidate`` of the files sent (a .zip unpacked first)."""
    config: WebConfig = request.app.state.config
    with private_folder(config.tmp_dir) as folder:
        form = await receive(request, folder)
        uploads: list[Upload] = []
        for upload in form.files("fichiers"):
            if upload.path.suffix == ".zip":
                first = len(form.uploads) + len(uploads) + 1
                uploads += unpack(upload, first, config.limits.max_file_bytes)
            else:
                uploads.append(upload)
        if not uploads:
            raise NoFile("aucun classeur reçu : choisissez les fichiers .xlsx ou un .zip.")
        allocations = form.files("allocations")
        items = [(str(u.path), u.name) for u in uploads]
        official = (str(allocations[0].path), allocations[0].name) if allocations else None
        keep_going = api or form.fields.get("continuer") == "oui"
        today = follow_up_date(form.fields.get("date", ""))
        job = jobs.consolidate_files
        return await request.app.state.runner.run(job, items, official, keep_going, today)


def follow_up_date(text: str) -> date | None:
    """The date of the follow-up (``consolidate --date``): AAAA-MM-JJ as the form's date field
    sends it, or JJ/MM/AAAA typed where a browser shows a plain text field; empty: today."""
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise BadDate(
        f"« {clean_text(text)[:40]} » n'est pas une date : écrivez-la AAAA-MM-JJ "
        "(par exemple 2025-04-15) ou laissez le champ vide pour la date du jour."
    )


async def problem(request: Request, exc: Exception) -> Response:
    status, context = _problem(exc)
    if request.url.path.startswith("/api/"):
        return _json_error(status, context["message"])
    return render(request, "erreur.html", status, **context)


ROUTES = [
    Route("/", index),
    Route("/regles", regles),
    Route("/controle", controle, methods=["POST"]),
    Route("/consolidation", consolidation, methods=["POST"]),
    Route("/api/check", api_check, methods=["POST"]),
    Route("/api/consolidate", api_consolidate, methods=["POST"]),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
]


def _problem(exc: Exception) -> tuple[int, dict]:
    """The HTTP status and the French page for what went wrong."""
    back = "Revenez à la page d'accueil et recommencez."
    if isinstance(exc, TooLarge):
        return 413, {
            "title": "Envoi trop volumineux",
            "message": f"{exc} : rien n'a été contrôlé.",
            "advice": "Envoyez moins de fichiers à la fois (ou une archive .zip plus petite), "
            "ou demandez à l'administrateur du service de relever la limite "
            "(options --max-fichier-mo et --max-envoi-mo de budget-tool serve).",
        }
    if isinstance(exc, BadDate):
        return 400, {
            "title": "Date du suivi invalide",
            "message": f"{exc} Rien n'a été consolidé.",
            "advice": "Revenez à la page d'accueil, corrigez la date du suivi et recommencez.",
        }
    if isinstance(exc, NoFile | BadUpload | ArchiveRefused):
        return 400, {"title": "Envoi incomplet", "message": f"{exc}", "advice": back}
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return 404, {
                "title": "Page introuvable",
                "message": "cette adresse ne correspond à aucune page de l'outil.",
                "advice": back,
            }
        if exc.status_code == 405:
            return 405, {
                "title": "Page à ouvrir depuis le formulaire",
                "message": "cette adresse reçoit les fichiers envoyés par le formulaire.",
                "advice": back,
            }
        return exc.status_code, {"title": "Demande refusée", "message": "", "advice": back}
    LOG.exception("erreur interne", exc_info=exc)
    return 500, {
        "title": "Erreur interne",
        "message": "l'outil n'a pas pu terminer ce contrôle ; aucun fichier n'a été conservé.",
        "advice": "Réessayez ; si l'erreur se reproduit, transmettez le fichier et l'heure de "
        "l'envoi à l'administrateur du service (le détail est dans le journal du serveur).",
    }


def _problem_consolidation(message: str) -> dict:
    return {
        "title": "Consolidation impossible",
        "message": message,
        "advice": "Corrigez l'envoi (par exemple une seule année à la fois) puis recommencez.",
    }


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _json(text: str) -> Response:
    return Response(text, media_type="application/json", headers=_headers())


def _json_error(status: int, message: str) -> Response:
    import json

    body = json.dumps({"error": message}, ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json", headers=_headers())


def data_url(content: bytes | str, media_type: str = XLSX) -> str:
    """A download embedded in the page: nothing stays on the server to be fetched later."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return f"data:{media_type};base64,{base64.b64encode(raw).decode('ascii')}"
