"""Find the parts of an .xlsx the way Excel and LibreOffice do: from the relationships.

An .xlsx is an Open Packaging Conventions zip. Its parts may have any name: the package's
relationships (``_rels/.rels``) name the workbook part, the workbook's relationships name its
sheets, shared strings and styles; ``[Content_Types].xml`` says what each part is. A part that no
relationship reaches is never read (a spreadsheet would not show it), one that a relationship
reaches is read wherever it lies: what the tool checks is what a spreadsheet displays.

Only small XML parts are parsed here, always after the pre-check scanned them (no DOCTYPE, no
ENTITY), and with defusedxml. Strict Open XML (ISO 29500 Strict, Excel's « Classeur Strict Open
XML ») is recognised by its namespaces, so that it can be refused with advice.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field

CONTENT_TYPES, PACKAGE_RELS = "[Content_Types].xml", "_rels/.rels"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_TRANSITIONAL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
# The workbook part's content types: .xlsx, .xlsm, and their templates .xltx, .xltm.
WORKBOOK_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "application/vnd.ms-excel.template.macroEnabled.main+xml",
    }
)


class PackageProblem(ValueError):
    """The package cannot be read as a workbook: ``key`` names a French message of precheck."""

    def __init__(self, key: str, name: str = "") -> None:
        super().__init__(key)
        self.key, self.name = key, name


@dataclass
class Package:
    """Where the workbook's parts are (names inside the zip)."""

    workbook: str
    sheets: list[tuple[str, str, str, bool]] = field(
        default_factory=list
    )  # name, state, part, chart
    shared_strings: str | None = None
    styles: str | None = None
    date1904: bool = False
    external_links: list[str] = field(default_factory=list)  # links to other workbooks
    macros: bool = False  # a VBA project is related to the workbook


def _xml(archive: zipfile.ZipFile, name: str):
    from defusedxml.ElementTree import fromstring

    return fromstring(archive.read(name), forbid_dtd=True)


def rels_name(part: str) -> str:
    """The relationships part of ``part``: xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"


def relationships(
    archive: zipfile.ZipFile, names: set[str], part: str
) -> list[tuple[str, str, str]]:
    """(id, type, target part) of the internal relationships of ``part`` (source "" = package)."""
    name = PACKAGE_RELS if part == "" else rels_name(part)
    if name not in names:
        return []
    folder = posixpath.dirname(part)
    found = []
    for rel in _xml(archive, name).iter(f"{PKG_REL}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        resolved = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found.append((rel.get("Id") or "", rel.get("Type") or "", posixpath.normpath(resolved)))
    return found


def content_type(archive: zipfile.ZipFile, part: str) -> str:
    """The content type of a part: its Override, else the Default of its extension."""
    root = _xml(archive, CONTENT_TYPES)
    for override in root.iter(f"{CT}Override"):
        if (override.get("PartName") or "").lstrip("/").casefold() == part.casefold():
            return override.get("ContentType") or ""
    extension = part.rpartition(".")[2].casefold()
    for default in root.iter(f"{CT}Default"):
        if (default.get("Extension") or "").casefold() == extension:
            return default.get("ContentType") or ""
    return ""


def _kind(rel_type: str) -> str:
    return rel_type.removeprefix(_TRANSITIONAL)


def locate(archive: zipfile.ZipFile) -> Package:
    """The workbook part and what it refers to, by relationships; PackageProblem otherwise."""
    names = set(archive.namelist())
    package_rels = relationships(archive, names, "")
    if any(kind.startswith(_STRICT) for _i, kind, _t in package_rels):  # Strict Open XML
        raise PackageProblem("strict")
    office = [t for _i, k, t in package_rels if _kind(k) == "officeDocument"]
    if not office:
        raise PackageProblem(
            "part", PACKAGE_RELS if PACKAGE_RELS not in names else "xl/workbook.xml"
        )
    workbook = office[0]
    if workbook not in names:
        raise PackageProblem("part", workbook)
    if content_type(archive, workbook) not in WORKBOOK_TYPES:
        raise PackageProblem("unknown")
    package = Package(workbook)
    rels = relationships(archive, names, workbook)
    by_id = {rel_id: (_kind(kind), target) for rel_id, kind, target in rels}
    for _rel_id, kind, target in rels:
        if _kind(kind) == "sharedStrings" and package.shared_strings is None:
            package.shared_strings = target if target in names else None
        elif _kind(kind) == "styles" and package.styles is None:
            package.styles = target if target in names else None
        elif _kind(kind) == "externalLink":
            package.external_links.append(target)
        elif kind.endswith("/vbaProject"):
            package.macros = True
    _sheets(archive, names, package, by_id)
    return package


def _sheets(archive, names: set[str], package: Package, by_id: dict[str, tuple[str, str]]) -> None:
    root = _xml(archive, package.workbook)
    main = root.tag.partition("}")[0] + "}"
    properties = root.find(f"{main}workbookPr")
    if properties is not None:
        package.date1904 = properties.get("date1904") in ("1", "true")
    r_id = f"{{{_TRANSITIONAL.rstrip('/')}}}id"
    for sheet in root.iter(f"{main}sheet"):
        kind, target = by_id.get(sheet.get(r_id) or "", ("", ""))
        if kind not in ("worksheet", "chartsheet"):
            continue
        if target not in names:
            raise PackageProblem("sheet", target)
        name, state = sheet.get("name", ""), sheet.get("state", "visible")
        package.sheets.append((name, state, target, kind == "chartsheet"))


def with_fixed_style_names(data: bytes) -> bytes:
    """The same package, its related styles part also stored as « xl/styles.xml »: openpyxl
    (used for annotated copies) reads styles only from that name, whatever the relationships
    say. Only parts the pre-check scanned are copied; unchanged bytes when nothing is to do."""
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            styles = locate(archive).styles
        except (PackageProblem, KeyError, SyntaxError):
            return data
        if styles is None or styles == "xl/styles.xml":
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for info in archive.infolist():
                if info.filename != "xl/styles.xml":
                    copy.writestr(info, archive.read(info))
            copy.writestr("xl/styles.xml", archive.read(styles))
    return out.getvalue()
