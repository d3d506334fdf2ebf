#!/usr/bin/env bash
# make demo: generate a département's workbooks, then check the shipped samples.
set -euo pipefail
BIN="${1:-.venv/bin}"
OUT=demo-out
rm -rf "$OUT"
echo "== budget-tool generate : Creuse (23), 2024, trois volets"
"$BIN/budget-tool" generate --departement 23 --year 2024 --plafond-volet1 150000 \
  --plafond-volet2 400000 --plafond-volet3 250000 -o "$OUT"
