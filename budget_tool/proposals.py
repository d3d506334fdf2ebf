"""What the State owes or must recover, per département (art. 6 and 8), and the « propositions de
paiement » table.

Art. 6 speaks of one advance and one balance per convention: the proposal is the net of the
volets, each volet's contribution capped by its own ceiling (art. 4.1, the latest amendment's
when there is one, art. 9), less the advance actually paid (the follow-up file) or, when it is
not known, the 60 % the workbooks compute. The per-volet detail stands beside it; the advance is
split between volets in proportion to their ceilings (as 60 % of each ceiling would be), which
changes no total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from budget_tool.advance import computed, origin, split
from budget_tool.followup import IMPUTATION, FollowUp
from budget_tool.numbers import round_half_up
from budget_tool.pairing import template_of
from budget_tool.report import Report

PAY, RECOVER, NOTHING = "à verser", "à recouvrer", "rien à verser"


@dataclass(frozen=True)
class VoletSettlement:
    volet: int
    ceiling_initial: Decimal
    ceiling: Decimal  # in force: the latest amendment's, else the initial one
    eligible: Decimal
    rate: Decimal
    contribution: Decimal  # min(ceiling, eligible x rate), art. 4.1 and 8
    advance: Decimal  # this volet's share of the advance
    balance: Decimal  # contribution - advance: > 0 owed by the State, < 0 to recover


@dataclass(frozen=True)
class Settlement:
    code: str
    volets: tuple[VoletSettlement, ...]
    advance: Decimal
    advance_paid: bool  # True: the follow-up file gives the amount paid; False: 60 % computed
    advance_date: date | None

    @property
    def contribution(self) -> Decimal:
        return sum((v.contribution for v in self.volets), Decimal(0))

    @property
    def net(self) -> Decimal:
        return self.contribution - self.advance

    @property
    def direction(self) -> str:
        return PAY if self.net > 0 else (RECOVER if self.net < 0 else NOTHING)

    def advance_label(self) -> str:
        return origin(self.advance_date if self.advance_paid else None)


def settle(bilan: Report, followup: FollowUp | None) -> Settlement:
    """The settlement of one bilan (annexe 3), with the State's own figures when known."""
    checks = template_of(bilan, "annexe-3").checks
    base = checks.ceiling_base if checks else "eligibles"
    rate_key = checks.ceiling_rate if checks else "taux_etat"
    ceilings = {v.volet: v.ceiling for v in bilan.volets}
    initial = dict(ceilings)
    if followup is not None:
        ceilings = {**ceilings, **followup.ceilings}
        initial = {**initial, **followup.initial_ceilings}
    figures = {v.volet: v.figures for v in bilan.volets}
    numbers = sorted(ceilings)
    paid = followup.advance_paid if followup is not None else None
    advance = paid if paid is not None else sum(computed(ceilings).values(), Decimal(0))
    shares = split(advance, {n: ceilings[n] for n in numbers})
    volets = []
    for number in numbers:
        eligible = figures.get(number, {}).get(base, Decimal(0))
        rate = figures.get(number, {}).get(rate_key, Decimal(0))
        contribution = min(ceilings[number], round_half_up(eligible * rate))
        volets.append(
            VoletSettlement(
                number,
                initial.get(number, ceilings[number]),
                ceilings[number],
                eligible,
                rate,
                contribution,
                shares[number],
                contribution - shares[number],
            )
        )
    return Settlement(
        bilan.departement or "",
        tuple(volets),
        advance,
        paid is not None,
        followup.advance_date if followup is not None else None,
    )


PROPOSAL_HEADERS = {
    "departement": "Code",
    "nom": "Département",
    "proposition": "Proposition",
    "sens": "Sens",
    "montant": "Montant à verser ou à recouvrer",
    "contribution_due": "Contribution due (art. 4.1 et 8)",
    "avance": "Avance (art. 6)",
    "avance_origine": "Avance : versée ou calculée",
    "detail_volets": "Détail par volet (contribution - avance = solde)",
    **{f"solde_volet{n}": f"Solde volet {n}" for n in (1, 2, 3)},
    "cf": "CF",
    "df": "DF",
    "activite": "Activité",
    "gm": "GM action de la CV",
    "tiers_chorus": "N° tiers Chorus",
    "fichier_bilan": "Bilan (annexe 3)",
    "sha256_bilan": "Empreinte SHA-256 du bilan",
    "statut": "Statut du dossier",
}
PROPOSAL_MONEY = (
    "montant",
    "contribution_due",
    "avance",
    "solde_volet1",
    "solde_volet2",
    "solde_volet3",
)


def proposal_row(
    code: str,
    nom: str,
    status: str,
    bilan: Report | None,
    followup: FollowUp | None,
    blocked: str = "",
    settlement: Settlement | None = None,
) -> dict[str, object]:
    """One line of the « propositions de paiement »: amount, imputation, bilan reference.
    ``settlement`` is ``settle(bilan, followup)`` when the caller has already made it."""
    row: dict[str, object] = dict.fromkeys(PROPOSAL_HEADERS)
    row.update(departement=code, nom=nom, statut=status)
    if followup is not None:
        row.update({k: followup.imputation.get(k) for k in IMPUTATION})
    if bilan is None:
        row["proposition"] = "aucune : bilan final non reçu (art. 3.2)"
        return row
    if bilan.status() == "vide":  # nothing declared: its figures found no payment nor recovery
        row.update(fichier_bilan=bilan.path.name, sha256_bilan=bilan.sha256)
        row["proposition"] = (
            "aucune : bilan renvoyé vide (aucun montant déclaré), à redemander au département "
            "(art. 3.2)"
        )
        return row
    found = settlement or settle(bilan, followup)
    row.update(
        sens=found.direction,
        montant=abs(found.net),
        contribution_due=found.contribution,
        avance=found.advance,
        avance_origine=found.advance_label(),
        detail_volets=" ; ".join(
            f"volet {v.volet} : {_plain(v.contribution)} - {_plain(v.advance)} = {_plain(v.balance)}"
            for v in found.volets
        ),
        fichier_bilan=bilan.path.name,
        sha256_bilan=bilan.sha256,
    )
    for volet in found.volets:
        row[f"solde_volet{volet.volet}"] = volet.balance
    if blocked:
        row["proposition"] = f"suspendue : {blocked}"
    elif found.direction == PAY:
        row["proposition"] = "versement du solde (art. 6)"
    elif found.direction == RECOVER:
        row["proposition"] = "ordre de recouvrement du trop-perçu (art. 6 et 8)"
    else:
        row["proposition"] = "rien à verser ni à recouvrer"
    return row


def _plain(value: Decimal) -> str:
    """An amount in a sentence of the CSV: « 1 234,56 € »."""
    from budget_tool.numbers import format_euros

    return format_euros(value)
