"""Drive a real headless LibreOffice: recalculate and re-save workbooks, or print them to PDF.

LibreOffice recalculates an .xlsx on loading only when its profile says so (``OOXMLRecalcMode``
0 = always); otherwise it shows the cached values. Each call gets its own throw-away profile, so
runs never share state and never depend on the user's settings.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(
    files: Sequence[Path],
    out_dir: Path,
    target: str = "xlsx",
    *,
    recalc: bool = True,
    timeout: float = 300,
    infilter: str | None = None,
) -> list[Path]:
    """Convert ``files`` with one LibreOffice process; returns the converted paths.

    ``target`` is a ``--convert-to`` filter such as ``xlsx``, ``pdf`` or ``csv``. With ``recalc``
    every formula is recalculated on loading, as a user who presses Ctrl+Shift+F9 would.
    ``infilter`` opens the files with an import filter, e.g. a CSV as a French user would.
    """
    executable = soffice()
    if executable is None:
        raise FileNotFoundError("LibreOffice (soffice) est introuvable sur cette machine.")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="budget-tool-lo-") as profile:
        if recalc:
            user = Path(profile) / "user"
            user.mkdir(parents=True)
            (user / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
        command = [
            executable,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            *map(str, files),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)
    extension = target.split(":")[0]
    converted = [out_dir / f"{Path(f).stem}.{extension}" for f in files]
    missing = [str(p) for p in converted if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice n'a pas produit : {', '.join(missing)}")
    return converted
