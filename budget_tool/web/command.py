"""The ``budget-tool serve`` command (its options; cli.py registers it). Only click is imported here: the web framework is loaded
when the command runs, so that ``budget-tool --help`` stays fast."""

from __future__ import annotations

import os

import click

from budget_tool.errors import UsageError

NO_LOGIN_WARNING = (
    "Attention : la page n'a pas d'authentification. Écoutée sur {host}, elle est ouverte à "
    "toute machine qui peut joindre ce port : placez-la derrière le proxy du service (avec "
    "authentification) ou limitez l'accès par pare-feu."
)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port d'écoute.")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Processus de contrôle en parallèle (par défaut : un par cœur).",
)
@click.option(
    "--max-fichier-mo",
    "max_file_mb",
    type=float,
    default=10,
    show_default=True,
    help="Taille maximale d'un fichier envoyé, en Mo.",
)
@click.option(
    "--max-envoi-mo",
    "max_request_mb",
    type=float,
    default=60,
    show_default=True,
    help="Taille maximale d'un envoi (tous les fichiers, ou l'archive .zip), en Mo.",
)
def serve(host, port, workers, max_file_mb, max_request_mb) -> None:  # registered by cli.py
    """Sert les contrôles et la consolidation sur une page web (sans JavaScript, sans
    connexion à Internet). Les fichiers envoyés sont effacés dès la réponse envoyée.

    \b
    Exemple :
      budget-tool serve
      budget-tool serve --host 0.0.0.0 --port 8080 --max-envoi-mo 100
    """
    try:
        import uvicorn

        from budget_tool.web.app import WebConfig, create_app
        from budget_tool.web.uploads import MB, UploadLimits
    except ImportError as exc:
        raise UsageError(
            "les dépendances web ne sont pas installées : pip install 'budget-tool[web]'."
        ) from exc
    if min(max_file_mb, max_request_mb) <= 0 or (workers is not None and workers < 1):
        raise UsageError("les tailles maximales et --workers doivent être positives.")
    if not is_loopback(host):
        click.echo(NO_LOGIN_WARNING.format(host=host), err=True)
    limits = UploadLimits(int(max_file_mb * MB), int(max_request_mb * MB))
    config = WebConfig(limits=limits, workers=workers or os.cpu_count() or 1)
    click.echo(
        f"budget-tool : page servie sur http://{host}:{port}/ (Ctrl+C pour arrêter)", err=True
    )
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
    )
