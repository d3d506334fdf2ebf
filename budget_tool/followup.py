"""The follow-up file of the DREETS: one row per département, from allocation to payment.

It is the allocations CSV of ``generate --allocations`` grown with optional columns that the
State's own spreadsheets can produce (names kept to the letter, see the README):

- ``departement``, ``plafond_volet1``, ``plafond_volet2``, ``plafond_volet3`` (initial ceilings,
  art. 4.1), ``convention``, ``annee``;
- ``avance_versee``, ``date_avance``: the advance actually paid (art. 6);
- ``avenant``, ``date_avenant``, ``plafond_volet1_avenant`` ... ``plafond_volet3_avenant``: the
  latest amendment (art. 9) and its ceilings, which prevail; the initial ceilings stay in
  ``plafond_voletN``;
- ``date_reception_annexe2``, ``date_reception_annexe3``: when each annexe was received (art. 3.2);
- ``cf``, ``df``, ``activite``, ``gm``, ``tiers_chorus``: the Chorus imputation (art. 6).

Separator ``;`` or ``,``, decimal comma or point, dates ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``, UTF-8 (with
or without BOM) or Windows-1252 (Excel's « CSV »). Every problem is a ``UsageError`` naming the
file, the line and the column; nothing is returned (so nothing written) until all rows are valid.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from budget_tool.advance import computed
from budget_tool.errors import UsageError
from budget_tool.numbers import parse_amount
from budget_tool.params import Allocation, build_parameters, parse_ceiling
from budget_tool.plan import Parameters

REQUIRED = ("departement", "plafond_volet1", "plafond_volet2")
VOLETS = (1, 2, 3)
IMPUTATION = ("cf", "df", "activite", "gm", "tiers_chorus")
IMPUTATION_LABELS = {
    "cf": "CF",
    "df": "DF",
    "activite": "Activité",
    "gm": "GM action de la CV",
    "tiers_chorus": "N° tiers Chorus",
}
OPTIONAL = (
    "plafond_volet3",
    "convention",
    "annee",
    "avance_versee",
    "date_avance",
    "avenant",
    "date_avenant",
    *(f"plafond_volet{n}_avenant" for n in VOLETS),
    "date_reception_annexe2",
    "date_reception_annexe3",
    *IMPUTATION,
)
IGNORED = ("nom", "region", "commentaire", "commentaires")  # kept for people, not read

_DATE_FR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z .\-_/]{0,39}")
_REFERENCE = re.compile(r"[^\W_][\w .,\-/°'’()]{0,59}")  # « Avenant n° 1 », never « =... »


@dataclass(frozen=True)
class Amendment:
    """The latest amendment (art. 9): its reference, date and the ceilings it sets."""

    reference: str
    date: date
    ceilings: Mapping[int, Decimal]


@dataclass(frozen=True)
class FollowUp:
    """One département's row, validated. ``params.ceilings`` are the ceilings in force."""

    params: Parameters
    line: int
    initial_ceilings: Mapping[int, Decimal]
    amendment: Amendment | None = None
    received: Mapping[str, date] = field(default_factory=dict)  # "annexe-2"/"annexe-3" -> date
    imputation: Mapping[str, str] = field(default_factory=dict)  # IMPUTATION keys, given ones

    @property
    def code(self) -> str:
        return self.params.code

    @property
    def ceilings(self) -> Mapping[int, Decimal]:
        return self.params.ceilings

    @property
    def advance_paid(self) -> Decimal | None:
        """The advance actually paid (art. 6), when the file gives it."""
        return self.params.advance

    @property
    def advance_date(self) -> date | None:
        return self.params.advance_date

    def computed_advance(self) -> Decimal:
        """60 % of the ceilings in force, volet by volet (art. 6), as the workbooks compute it."""
        return sum(computed(self.ceilings).values(), Decimal(0))

    def advance(self) -> Decimal:
        """The advance actually paid when known, else the computed one."""
        return self.advance_paid if self.advance_paid is not None else self.computed_advance()

    def deadline(self) -> date:
        """Art. 3.2: the final bilan at the latest three months after the end (art. 2)."""
        return bilan_deadline(self.params.year)


def bilan_deadline(year: int) -> date:
    """Art. 3.2 and 2: the convention ends on 31 December; the bilan is due three months on."""
    return date(year + 1, 3, 31)


def read_followup(path: Path, year: int) -> list[FollowUp]:
    """Every row of a follow-up (or plain allocations) file, validated."""
    rows, header = _rows(Path(path))
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise UsageError(
            f"{path} : colonne(s) manquante(s) : {', '.join(missing)} "
            f"(attendues au moins : {', '.join(REQUIRED)})."
        )
    unknown = [name for name in header if name and name not in REQUIRED + OPTIONAL + IGNORED]
    if unknown:
        raise UsageError(
            f"{path} : colonne(s) inconnue(s) : {', '.join(unknown)} "
            f"(colonnes possibles : {', '.join(REQUIRED + OPTIONAL)})."
        )
    result: list[FollowUp] = []
    seen: set[str] = set()
    for number, row in rows:
        item = _row(path, number, row, year)
        if item.code in seen:
            raise UsageError(f"{path}, ligne {number} : département {item.code} présent deux fois.")
        seen.add(item.code)
        result.append(item)
    if not result:
        raise UsageError(f"{path} : aucune ligne d'allocation.")
    return result


def by_code(items: list[FollowUp]) -> dict[str, FollowUp]:
    return {item.code: item for item in items}


def load_followup(path: Path | None, year: int | None = None) -> dict[str, FollowUp] | None:
    """The follow-up file by département code (None when not given), its rows without a year of
    their own being of ``year``, by default the newest template's: what ``check`` and
    ``consolidate --allocations`` and the web page read, the same way."""
    if path is None:
        return None
    from budget_tool.templates import templates_dir
    from budget_tool.versions import default_year

    return by_code(read_followup(Path(path), year or default_year(templates_dir())))


def _rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    text = _text(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UsageError(
            f"{path} : fichier vide (attendu : une ligne d'en-tête {', '.join(REQUIRED)}...)."
        )
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = header
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row:  # more cells than the header has columns
            raise UsageError(
                f"{path}, ligne {number} : plus de cellules que de colonnes dans l'en-tête "
                f"(séparateur « {delimiter} » ; une virgule décimale dans un fichier séparé "
                "par des virgules ? Mettez le montant entre guillemets ou utilisez « ; »)."
            )
        cleaned = {k: (v or "").strip() for k, v in row.items() if k}
        if any(cleaned.values()):  # blank lines of a spreadsheet export are skipped
            rows.append((number, cleaned))
    return rows, header


_MAX_CSV_BYTES = 10 * 1024 * 1024  # 101 départements take a few kilobytes


def _text(path: Path) -> str:
    """The file's text; a FIFO or device (which could block or never end), a huge or unreadable
    file is refused in French, naming the file."""
    import stat

    from budget_tool.names import shown
    from budget_tool.output import os_reason

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_CSV_BYTES:
            raise UsageError(
                f"{shown(path)} : ce n'est pas un fichier CSV ordinaire (dossier, périphérique, "
                "tube, ou plus de 10 Mo)."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{shown(path)} : fichier illisible ({os_reason(exc)[0]}).") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's « CSV (séparateur ; ) »


def _row(path: Path, number: int, row: dict[str, str], year: int) -> FollowUp:
    where = f"{path}, ligne {number}"

    def at(column: str) -> str:
        return f"{where}, colonne {column}"

    allocation = Allocation(
        row["departement"],
        row["plafond_volet1"],
        row["plafond_volet2"],
        row.get("plafond_volet3") or None,
        row.get("convention") or None,
    )
    try:
        row_year = int(row.get("annee") or year)
    except ValueError as exc:
        raise UsageError(f"{at('annee')} : année invalide « {row.get('annee')} ».") from exc
    try:
        params = build_parameters(allocation, row_year)
    except UsageError as exc:
        raise UsageError(f"{where} : {exc}") from exc
    initial = dict(params.ceilings)
    amendment = _amendment(row, at)
    if amendment is not None:
        params = replace(params, ceilings={**initial, **amendment.ceilings})
    params = _with_advance(row, at, params)
    received = {}
    for annexe in ("annexe2", "annexe3"):
        found = parse_date_or_amount(row, f"date_reception_{annexe}", at)
        if isinstance(found, date):
            received[f"annexe-{annexe[-1]}"] = found
    return FollowUp(
        params=params,
        line=number,
        initial_ceilings=initial,
        amendment=amendment,
        received=received,
        imputation=_imputation(row, at),
    )


def _with_advance(row: dict[str, str], at, params: Parameters) -> Parameters:
    """The advance paid and its date (art. 6), both or neither, at most the amount allocated."""
    advance = parse_date_or_amount(row, "avance_versee", at, amount=True)
    advance_date = parse_date_or_amount(row, "date_avance", at)
    if (advance is None) != (advance_date is None):
        missing = "date_avance" if advance_date is None else "avance_versee"
        raise UsageError(
            f"{at(missing)} : manquant (avance_versee et date_avance vont ensemble : "
            "le montant versé et sa date)."
        )
    if not isinstance(advance, Decimal) or not isinstance(advance_date, date):
        return params
    if advance > sum(params.ceilings.values(), Decimal(0)):
        raise UsageError(
            f"{at('avance_versee')} : l'avance versée ({row['avance_versee']}) dépasse le "
            "montant total alloué (art. 4.1)."
        )
    return replace(params, advance=advance, advance_date=advance_date)


def _amendment(row: dict[str, str], at) -> Amendment | None:
    reference = row.get("avenant", "")
    when = parse_date_or_amount(row, "date_avenant", at)
    ceilings: dict[int, Decimal] = {}
    for number in VOLETS:
        column = f"plafond_volet{number}_avenant"
        value = parse_ceiling(row.get(column) or None, at(column), optional=True)
        if value is not None:
            ceilings[number] = value
    if not reference and when is None and not ceilings:
        return None
    if not reference or not isinstance(when, date) or not ceilings:
        missing = [
            name
            for name, present in (
                ("avenant", bool(reference)),
                ("date_avenant", when is not None),
                ("plafond_volet1_avenant (ou 2, 3)", bool(ceilings)),
            )
            if not present
        ]
        raise UsageError(
            f"{at(missing[0])} : manquant (un avenant se donne par sa référence, sa date et "
            "au moins un plafond modifié)."
        )
    if _REFERENCE.fullmatch(reference) is None:
        raise UsageError(
            f"{at('avenant')} : référence invalide « {reference} » (lettres, chiffres, espaces "
            "et . , - / ° ' ( ), 60 caractères au plus, ex. « Avenant n° 1 »)."
        )
    return Amendment(reference, when, ceilings)


def parse_date_or_amount(row: dict[str, str], column: str, at, amount: bool = False):
    """A date (``JJ/MM/AAAA`` or ``AAAA-MM-JJ``) or, with ``amount``, euros; None when empty."""
    raw = row.get(column, "")
    if not raw:
        return None
    if amount:
        value = parse_amount(raw)
        if value is None or value < 0 or value != value.quantize(Decimal("0.01")):
            raise UsageError(
                f"{at(column)} : « {raw} » n'est pas un montant en euros positif avec au plus "
                "deux décimales (ex. 90000 ou 90 000,00)."
            )
        return value
    return parse_date(raw, at(column))


def parse_date(raw: str, where: str) -> date:
    text = raw.strip().split(" ")[0]  # "15/03/2024 00:00:00" from a spreadsheet
    match = _DATE_FR.fullmatch(text)
    parts = (match.group(3), match.group(2), match.group(1)) if match else None
    match = match or _DATE_ISO.fullmatch(text)
    if parts is None and match:
        parts = (match.group(1), match.group(2), match.group(3))
    try:
        if parts is None:
            raise ValueError
        found = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError as exc:
        raise UsageError(
            f"{where} : « {raw} » n'est pas une date (JJ/MM/AAAA ou AAAA-MM-JJ)."
        ) from exc
    if not 2000 <= found.year <= 2100:
        raise UsageError(f"{where} : date invraisemblable « {raw} ».")
    return found


def _imputation(row: dict[str, str], at) -> dict[str, str]:
    found = {}
    for column in IMPUTATION:
        value = row.get(column, "")
        if not value:
            continue
        if _CODE.fullmatch(value) is None:
            raise UsageError(
                f"{at(column)} : « {value} » n'est pas un code Chorus (lettres, chiffres, "
                "espaces, - _ . /, 40 caractères au plus)."
            )
        found[column] = value
    return found
