#!/usr/bin/env bash
# Runs TextSSL's test suite on a fresh machine: set-up (idempotent), restore, build, test.
# Usage: tools/test.sh [extra dotnet test arguments]
# Tests that fetch corpora over the network are in the "Network" category and excluded;
# run them with: tools/test.sh --filter TestCategory=Network
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
results="${TEXTSSL_TEST_RESULTS:-$PWD/artifacts/test-results}"
rm -rf "$results"
filter=(--filter "TestCategory!=Network")
for a in "$@"; do [ "$a" = "--filter" ] && filter=(); done
dotnet test TextSSL.sln -c Release "${filter[@]}" \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
