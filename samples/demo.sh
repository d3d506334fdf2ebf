#!/usr/bin/env bash
# make demo: generate a département's workbooks, then check the shipped samples.
set -euo pipefail
BIN="${1:-.venv/bin}"
OUT=demo-out
rm -rf "$OUT"
echo "== budget-tool generate : Creuse (23), 2024, trois volets"
"$BIN/budget-tool" generate --departement 23 --year 2024 --plafond-volet1 150000 \
  --plafond-volet2 400000 --plafond-volet3 250000 -o "$OUT"

echo
echo "== budget-tool check : un bilan conforme"
"$BIN/budget-tool" check samples/annexe3-23-2024-conforme.xlsx || true
echo
echo "== budget-tool check : un bilan avec des dépenses inéligibles (code de sortie 1 attendu)"
"$BIN/budget-tool" check samples/annexe3-23-2024-depenses-ineligibles.xlsx || echo "(code de sortie $?)"
echo
echo "== budget-tool check : un plan de financement qui dépasse le plafond du volet 1"
"$BIN/budget-tool" check samples/annexe2-23-2024-plafond-depasse.xlsx || echo "(code de sortie $?)"

echo
echo "== budget-tool consolidate : les retours de Nouvelle-Aquitaine, avec le fichier de suivi de la DREETS"
echo "   (situation au 15/05/2025 : un avenant, une avance versée tard et plus basse, un bilan en retard,"
echo "   un département qui n'a rien envoyé, un autre seulement son plan)"
"$BIN/budget-tool" consolidate samples/region -o "$OUT/consolidation-nouvelle-aquitaine-2024.xlsx" \
  --csv "$OUT/tables" --json "$OUT/consolidation.json" \
  --allocations samples/region/suivi-nouvelle-aquitaine-2024.csv --date 2025-05-15 \
  --reports "$OUT/rapports"
echo
echo "Synthèse par département et par volet ($OUT/tables/synthese.csv) :"
"$BIN/python" samples/show_table.py "$OUT/tables/synthese.csv"
echo
echo "Suivi : un statut par département ($OUT/tables/suivi.csv) :"
"$BIN/python" samples/show_table.py "$OUT/tables/suivi.csv" departement nom statut
echo
echo "Propositions de paiement ($OUT/tables/propositions.csv) :"
"$BIN/python" samples/show_table.py "$OUT/tables/propositions.csv" departement nom sens montant \
  avance avance_origine proposition
echo
echo "Rapports à envoyer, un PDF A4 par département ($OUT/rapports/) :"
ls "$OUT/rapports"

echo
echo "== Et maintenant ?"
echo "Tous les fichiers de la démonstration sont dans $OUT/ (les CSV s'ouvrent dans Excel ou"
echo "LibreOffice en français : séparateur « ; », virgule décimale)."
echo "Pour lancer budget-tool vous-même :"
echo "  $BIN/budget-tool --help"
echo "ou, pour taper simplement « budget-tool » dans ce terminal :"
echo "  source $BIN/activate"
echo "  budget-tool check $OUT/annexe3-bilan-financier-23-2024.xlsx"
