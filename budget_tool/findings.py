"""Findings are data: a stable code, a severity, a place, the value found, a French message.

The catalogue below lists every code with its severity, French title, message template and the
article of the convention it enforces; ``budget-tool rules`` prints it and ``docs/regles.md`` is
generated from it, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from budget_tool.refs import CellRef


class Severity(StrEnum):
    ERREUR = "erreur"
    AVERTISSEMENT = "avertissement"
    INFORMATION = "information"

    @property
    def rank(self) -> int:
        return {"erreur": 0, "avertissement": 1, "information": 2}[self.value]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str
    template: str  # message, str.format fields given by the rule that reports it
    article: str = ""
    family: str = ""


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    where: CellRef | None
    message: str
    value: str = ""  # the value found, as text
    article: str = ""

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "sheet": self.where.sheet if self.where else None,
            "cell": self.where.address or None if self.where else None,
            "location": str(self.where) if self.where else None,
            "value": self.value,
            "message": self.message,
            "article": self.article or None,
        }


E, A, INFO = Severity.ERREUR, Severity.AVERTISSEMENT, Severity.INFORMATION
_RULES = [
    # structure
    Rule("fichier-refuse", E, "Fichier refusé ou illisible", "{found}", family="structure"),
    Rule(
        "classeur-non-reconnu",
        E,
        "Classeur non reconnu",
        "Ce classeur n'a pas été produit par budget-tool (aucun modèle d'annexe 2 ou 3 reconnu) : utilisez le classeur transmis par les services de l'État.",
        family="structure",
    ),
    Rule(
        "version-inconnue",
        E,
        "Version de modèle inconnue",
        "Modèle « {found} » inconnu (versions connues : {known}).",
        family="structure",
    ),
    Rule(
        "feuille-manquante",
        E,
        "Feuille manquante ou renommée",
        "La feuille « {sheet} » est absente (supprimée ou renommée) : les chiffres de ce volet ne peuvent pas être contrôlés.",
        family="structure",
    ),
    Rule(
        "feuille-inattendue",
        A,
        "Feuille ajoutée",
        "La feuille « {sheet} » ne fait pas partie du modèle : elle n'est pas prise en compte.",
        family="structure",
    ),
    Rule(
        "feuille-masquee",
        A,
        "Feuille masquée",
        "La feuille « {sheet} » est masquée ({state}) : affichez-la avant l'envoi.",
        family="structure",
    ),
    Rule(
        "libelle-deplace",
        E,
        "Lignes insérées ou supprimées",
        "Le libellé attendu ici est « {expected} », trouvé « {found} » : {detail} ; les contrôles de cette feuille s'arrêtent là.",
        family="structure",
    ),
    Rule(
        "protection-retiree",
        A,
        "Protection retirée",
        "La protection de la feuille a été retirée : les formules ont pu être modifiées.",
        family="structure",
    ),
    Rule(
        "valeur-fixe-modifiee",
        E,
        "Donnée pré-remplie modifiée",
        "Cette cellule pré-remplie par l'État devait contenir « {expected} », elle contient « {found} ».",
        family="structure",
    ),
    Rule(
        "donnee-hors-modele",
        A,
        "Donnée hors du modèle",
        "Une donnée a été saisie hors des cellules prévues (« {found} ») : elle n'est pas prise en compte.",
        family="structure",
    ),
    Rule(
        "lien-externe",
        E,
        "Lien vers un autre classeur",
        "Le classeur contient un lien vers un fichier extérieur ({found}) : ses valeurs ne peuvent pas être vérifiées.",
        family="structure",
    ),
    Rule(
        "macros-ignorees",
        A,
        "Classeur avec macros",
        "Le classeur contient des macros : elles ne sont ni exécutées ni conservées.",
        family="structure",
    ),
    # formulas
    Rule(
        "formule-remplacee",
        E,
        "Formule remplacée par une valeur",
        "La formule {expected} a été remplacée par la valeur « {found} ».",
        family="formules",
    ),
    Rule(
        "formule-modifiee",
        E,
        "Formule modifiée",
        "La formule attendue est {expected}, trouvé {found}.",
        family="formules",
    ),
    Rule(
        "total-incoherent",
        E,
        "Valeur affichée incohérente",
        "Le classeur affiche {found} alors que le calcul à partir des saisies donne {expected} (fichier modifié sans recalcul, ou falsifié).",
        family="recalcul",
    ),
    Rule(
        "valeurs-non-recalculees",
        INFO,
        "Classeur non recalculé",
        "{count} formule(s) sans résultat enregistré (classeur écrit par un programme qui ne calcule pas) : les chiffres ont été recalculés par budget-tool.",
        family="recalcul",
    ),
    # inputs
    Rule(
        "nombre-en-texte",
        E,
        "Nombre saisi comme texte",
        "« {found} » est du texte, pas un nombre : le tableur l'ignore dans les totaux. {hint}",
        family="saisies",
    ),
    Rule(
        "type-inattendu",
        E,
        "Valeur d'un autre type",
        "Un {expected} est attendu ici, trouvé {found}.",
        family="saisies",
    ),
    Rule(
        "montant-negatif",
        E,
        "Montant négatif",
        "Montant négatif ({found}) : saisissez des montants positifs.",
        family="saisies",
    ),
    Rule(
        "valeur-erreur",
        E,
        "Valeur d'erreur",
        "La cellule contient l'erreur {found}.",
        family="saisies",
    ),
    Rule(
        "montant-sans-categorie",
        E,
        "Montant sans catégorie",
        "Un montant de {found} est saisi sans catégorie de dépense : choisissez-la dans la liste (art. 4.2).",
        "4.2",
        "saisies",
    ),
    Rule(
        "categorie-sans-montant",
        A,
        "Catégorie sans montant",
        "Une catégorie est choisie (« {found} ») mais la ligne n'a pas de montant.",
        family="saisies",
    ),
    Rule(
        "categorie-inconnue",
        E,
        "Catégorie hors liste",
        "La catégorie « {found} » n'est pas dans la liste de l'article 4.2 : choisissez-la dans la liste déroulante.",
        "4.2",
        "saisies",
    ),
    Rule(
        "date-hors-periode",
        E,
        "Date hors de la période",
        "La date {found} est hors de la période de la convention (du {start} au {end}).",
        "2",
        "saisies",
    ),
    Rule(
        "date-invalide",
        E,
        "Date illisible",
        "« {found} » n'est pas une date (attendu : jj/mm/aaaa).",
        family="saisies",
    ),
    Rule(
        "periode-inversee",
        E,
        "Période inversée",
        "La fin de période ({found}) précède son début ({expected}).",
        family="saisies",
    ),
    Rule(
        "cellules-fusionnees",
        E,
        "Cellules de saisie fusionnées",
        "Les cellules {found} ont été fusionnées : seule la première est lue.",
        family="saisies",
    ),
    Rule(
        "montant-double-saisie",
        A,
        "Deux montants pour une ligne",
        "Nombre d'unités × coût unitaire et montant forfaitaire ({found}) sont tous deux saisis : seul le produit est compté.",
        family="saisies",
    ),
    Rule(
        "unites-incompletes",
        A,
        "Unités incomplètes",
        "{found} est saisi sans {expected} : le montant retenu est le montant forfaitaire.",
        family="saisies",
    ),
    Rule(
        "libelle-a-completer",
        A,
        "Libellé du modèle à compléter",
        "Le libellé « {found} » du modèle est resté tel quel sur une ligne de dépense : précisez-le.",
        family="saisies",
    ),
    Rule(
        "pour-info-non-compte",
        INFO,
        "Ligne « Pour info » non comptée",
        "Les montants des lignes « Pour info » (moyens de France Travail) sont affichés mais jamais comptés dans les besoins du département ni contre son plafond.",
        family="saisies",
    ),
    Rule(
        "montant-delta-superieur",
        A,
        "Montant delta supérieur au delta",
        "Le montant demandé ({found}) dépasse le delta entre la cible et l'existant ({expected}).",
        family="saisies",
    ),
    # convention articles
    Rule(
        "plafond-depasse",
        E,
        "Plafond du volet dépassé",
        "{what} du volet {volet} ({found}) dépasse le plafond de l'article 4.1 ({expected}) de {gap}.",
        "4.1",
        "plafonds",
    ),
    Rule(
        "allocation-totale-depassee",
        E,
        "Allocation totale dépassée",
        "La part État demandée pour l'ensemble des volets ({found}) dépasse le montant total alloué ({expected}).",
        "4.1",
        "plafonds",
    ),
    Rule(
        "contribution-plafonnee",
        INFO,
        "Contribution plafonnée",
        "Les dépenses éligibles du volet {volet} appellent {found} de l'État, au-delà du plafond de {expected} : la contribution est limitée au plafond (art. 4.1 et 8).",
        "4.1",
        "plafonds",
    ),
    Rule(
        "cofinancement-volet2",
        E,
        "Cofinancement du volet 2",
        "La part État du volet 2 ({found}) dépasse sa limite de {expected} : {rate} du coût éligible de {cost} (art. 3.3) ; le département finance le reste des actions du volet 2.",
        "3.3",
        "plafonds",
    ),
    Rule(
        "depense-ineligible",
        E,
        "Dépense inéligible",
        "Catégorie « {found} » : dépense non éligible au financement de l'État (art. 4.2), montant {amount}.",
        "4.2",
        "eligibilite",
    ),
    Rule(
        "libelle-suspect",
        A,
        "Libellé évoquant une dépense inéligible",
        "Le libellé « {found} » évoque {what}, non éligible (art. 4.2), alors que la catégorie choisie est éligible : vérifiez.",
        "4.2",
        "eligibilite",
    ),
]
_RULES += [
    # allocations: the State's own list of ceilings, given with --allocations
    Rule(
        "plafond-modifie",
        E,
        "Plafond différent de l'allocation",
        "Plafond du volet {volet} dans le classeur : {found} ; allocation de l'État : {expected}.",
        "4.1",
        "plafonds",
    ),
    Rule(
        "departement-hors-allocations",
        A,
        "Département absent des allocations",
        "Le département {found} n'est pas dans le fichier des allocations : ses plafonds n'ont pas pu être vérifiés.",
        "4.1",
        "plafonds",
    ),
    Rule(
        "avance-differente",
        A,
        "Avance différente de l'avance versée",
        "Le classeur indique une avance de {found}, alors que l'État a versé {expected} le {date} (fichier de suivi) : le solde sera calculé sur l'avance versée.",
        "6",
        "plafonds",
    ),
    # consolidation: said of a set of files, not of one file
    Rule(
        "doublon-departement",
        A,
        "Département présent deux fois",
        "Deux fichiers pour le département {departement} et l'{annexe} : {found} est retenu (le plus récent), {other} est écarté.",
        family="consolidation",
    ),
    Rule(
        "plafonds-differents",
        E,
        "Plafonds différents entre annexes",
        "Le plafond du volet {volet} diffère entre l'annexe 2 ({expected}) et l'annexe 3 ({found}).",
        "4.1",
        "consolidation",
    ),
    Rule(
        "bilan-en-retard",
        A,
        "Bilan final en retard",
        "Le bilan final du département {departement} n'est pas reçu : l'échéance du {deadline} (trois mois après la fin de la convention) est dépassée de {found}.",
        "3.2",
        family="consolidation",
    ),
    Rule(
        "annexe-manquante",
        INFO,
        "Annexe manquante",
        "Aucune {annexe} reçue pour le département {departement}.",
        family="consolidation",
    ),
]
_RULES += [
    # formulas typed into input cells: computed by budget-tool, never taken at their saved result
    Rule(
        "formule-saisie-incoherente",
        E,
        "Formule saisie : résultat enregistré faux ou absent",
        "La formule saisie {found} donne {expected}, mais {saved} (fichier falsifié, ou écrit par un programme qui ne calcule pas) : budget-tool compte {expected}.",
        family="formules",
    ),
    Rule(
        "formule-saisie-non-calculee",
        E,
        "Formule saisie non calculable",
        "La formule saisie {found} utilise {what}, que budget-tool ne calcule pas : sa valeur enregistrée ({saved}) n'est pas comptée. Saisissez le montant, ou une formule faite d'opérations, de SOMME, ARRONDI, MIN, MAX, ABS et de références aux cellules du classeur.",
        family="formules",
    ),
    Rule(
        "formule-saisie-interdite",
        E,
        "Formule saisie interdite",
        "La formule saisie {found} utilise {what}, qui va chercher une valeur hors du classeur ou en cache l'origine : interdit dans une annexe, sa valeur enregistrée ({saved}) n'est pas comptée. Saisissez le montant lui-même.",
        family="formules",
    ),
    # amounts to the cent, and a workbook with nothing declared
    Rule(
        "montant-centimes",
        E,
        "Montant au-delà du centime",
        "Le montant {found} a plus de deux décimales : saisissez-le au centime près. budget-tool compte la ligne arrondie au centime ({expected}), comme les formules du classeur.",
        family="saisies",
    ),
    Rule(
        "classeur-vide",
        E,
        "Classeur vide",
        "{detail} : aucun montant n'est déclaré dans les lignes des volets, le classeur n'est pas contrôlable ; {consequence}",
        family="saisies",
    ),
]
CATALOGUE: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def finding(code: str, where: CellRef | None, value: object = "", **fields: object) -> Finding:
    """Build the finding of ``code`` with its French message; ``found`` defaults to ``value``."""
    rule = CATALOGUE[code]
    fields.setdefault("found", value)
    message = rule.template.format(**{k: _text(v) for k, v in fields.items()})
    return Finding(code, rule.severity, where, message, _text(value), rule.article)


def _text(value: object) -> str:
    from decimal import Decimal

    from budget_tool.numbers import format_euros

    if isinstance(value, Decimal):
        return format_euros(value)
    return "" if value is None else str(value)
