"""One defensive loading path for every workbook sent back by a local authority.

Why: the .xlsx files come from outside and may be renamed, truncated or hostile (zip bombs,
XML entity expansion, external entities).  :func:`load_raw` (the checker's lean reader,
``xlsxread``) and :func:`load_workbook` (openpyxl, for annotated copies) read the file once
(read-only, size-capped), precheck those bytes *before* any parser sees them, then parse the
*same* bytes (always through defusedxml), turning any failure into
:class:`~budget_tool.errors.WorkbookRefused` with a French reason, never a traceback.
The pre-check itself (and its limits and French messages) lives in ``precheck``; its public
names are re-exported here so that callers have one module to import from.
openpyxl is imported inside the functions only, so that the CLI starts fast.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from budget_tool.errors import WorkbookRefused
from budget_tool.precheck import (
    DEFAULT_LIMITS,
    Limits,
    PathLike,
    Precheck,
    _check_bytes,
    _read_file,
    _reason_for,
    precheck,
    scanned_as_xml,
)

if TYPE_CHECKING:
    from openpyxl import Workbook

    from budget_tool.xlsxread import RawWorkbook

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Precheck",
    "assert_defused",
    "load_raw",
    "load_workbook",
    "precheck",
    "scanned_as_xml",
]


def assert_defused() -> None:
    """Fail at start-up unless openpyxl parses XML through defusedxml.

    ``openpyxl.xml`` sets ``DEFUSEDXML`` (re-exported as ``openpyxl.DEFUSEDXML``) to True when
    defusedxml is importable and ``OPENPYXL_DEFUSEDXML`` is not "False"; ``openpyxl.xml.functions``
    then binds defusedxml's ``iterparse`` and, without lxml, ``fromstring`` (with lxml it uses
    ``resolve_entities=False``).  Readers import those names at import time, so the bound
    functions are checked too, not only the flags.
    """
    import openpyxl
    import openpyxl.xml
    from openpyxl.reader import excel, strings
    from openpyxl.worksheet import _reader
    from openpyxl.xml import functions

    parsers = [functions.iterparse, _reader.iterparse, strings.iterparse]
    if not openpyxl.LXML:
        parsers += [functions.fromstring, excel.fromstring]
    bound_ok = all(getattr(p, "__module__", "").startswith("defusedxml") for p in parsers)
    if not (openpyxl.DEFUSEDXML is True and openpyxl.xml.DEFUSEDXML is True and bound_ok):
        raise RuntimeError(
            "openpyxl n'utilise pas defusedxml (paquet absent ou "
            "OPENPYXL_DEFUSEDXML=False) : lecture des classeurs désactivée"
        )


def load_workbook(
    path: PathLike,
    limits: Limits = DEFAULT_LIMITS,
    *,
    data_only: bool = False,
    keep_vba: bool = False,
) -> tuple[Workbook, Precheck]:
    """Precheck then load a workbook; any failure becomes WorkbookRefused (French reason).

    openpyxl receives the very bytes that were checked (io.BytesIO): the file cannot change
    between check and parse, and openpyxl's extension check does not apply (the kind of file is
    judged on its bytes).  ``read_only=True`` is never used: openpyxl's ReadOnlyWorksheet takes
    ``max_row`` from the sheet's ``<dimension ref>`` (``_get_size``) and ``_cells_by_row`` stops
    at ``idx > max_row``, so a stale or forged <dimension> silently drops the last rows.
    ``keep_vba=False`` by default: macros are not kept (never run in any case); an annotated copy
    of an .xlsm passes ``keep_vba=True`` so that it stays a valid macro workbook.
    ``keep_links=True``: links are kept and reported.
    """
    assert_defused()
    data, digest = _read_file(path, limits)
    checked = _check_bytes(path, data, digest, limits)
    return _openpyxl_load(path, data, data_only, keep_vba), checked


def load_raw(path: PathLike, limits: Limits = DEFAULT_LIMITS) -> tuple[RawWorkbook, Precheck]:
    """Precheck then read the workbook in one pass with the lean reader (``xlsxread``): the
    formulas and their cached results together, from the very bytes that were checked.

    This is what ``check`` and ``consolidate`` use; openpyxl is kept for writing annotated
    copies. Every failure becomes a French refusal, like ``load_workbook``'s.
    """
    from budget_tool.refs import CellRef
    from budget_tool.xlsxread import CellProblem, OutOfSheet, read_xlsx

    data, digest = _read_file(path, limits)
    checked = _check_bytes(path, data, digest, limits)
    try:
        return read_xlsx(data), checked
    except CellProblem as exc:
        raise WorkbookRefused(
            path,
            f"la cellule {CellRef(exc.sheet, exc.row, exc.col)} {exc.reason} : fichier fabriqué "
            "ou endommagé, demandez un nouvel envoi du classeur",
        ) from exc
    except OutOfSheet as exc:
        raise WorkbookRefused(
            path,
            f"{exc} ; la dernière est XFD1048576) : fichier fabriqué ou endommagé, demandez un "
            "nouvel envoi du classeur",
        ) from exc
    except Exception as exc:  # every failure on a hostile file must become a French refusal
        raise WorkbookRefused(path, _reason_for(exc)) from exc


def _openpyxl_load(
    path: PathLike, data: bytes, data_only: bool, keep_vba: bool = False
) -> Workbook:
    """Parse checked bytes; openpyxl's English warnings are not meant for finance officers."""
    import openpyxl

    from budget_tool.package import with_fixed_style_names

    try:
        data = with_fixed_style_names(data)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            return openpyxl.load_workbook(
                io.BytesIO(data),
                read_only=False,
                data_only=data_only,
                keep_vba=keep_vba,
                keep_links=True,
            )
    except Exception as exc:  # every failure on a hostile file must become a French refusal
        raise WorkbookRefused(path, _reason_for(exc)) from exc
