#!/usr/bin/env bash
# The fuzz campaigns of the committed suites on both oracle tiers, compared byte for byte and timed
# (scripts/oracle-tiers.ts; SOFTMAX_STABILITY_ORACLE in src/oracle/tier.ts): builds dist/ first, as the
# pool's workers run the built code.   bash scripts/fuzz-tiers.sh [--runs N] [--workers W] [SUITE ...]
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
exec npx tsx scripts/oracle-tiers.ts "$@"
