#!/usr/bin/env bash
# The one command that runs all of metrodati's tests on a fresh machine:
#   scripts/test.sh
# It installs what the tests need (Python validators from PyPI, Debian tools), then runs
# formatting and lint checks and the whole Rust test suite in the debug profile.
set -euo pipefail
cd "$(dirname "$0")/.."

export METRODATI_SHARED="${METRODATI_SHARED:-$(cd .. && pwd)/shared}"
export METRODATI_SPECS="${METRODATI_SPECS:-$METRODATI_SHARED/specs}"
if [ ! -d "$METRODATI_SHARED/refdata" ]; then
  echo "error: shared reference folder not found at $METRODATI_SHARED (set METRODATI_SHARED)" >&2
  exit 2
fi

# Python validators used by the tests (independent conformance checkers).
py_missing=()
python3 -c "import pyshacl" 2>/dev/null || py_missing+=(pyshacl)
python3 -c "import rdflib" 2>/dev/null || py_missing+=(rdflib)
python3 -c "import frictionless" 2>/dev/null || py_missing+=(frictionless)
python3 -c "import openpyxl" 2>/dev/null || py_missing+=(openpyxl)
python3 -c "import schemathesis" 2>/dev/null || py_missing+=(schemathesis)
if [ ${#py_missing[@]} -gt 0 ]; then
  echo "installing Python packages: ${py_missing[*]}"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${py_missing[@]}"
fi

# Debian tools (xmllint for XSD validation).
if ! command -v xmllint >/dev/null 2>&1; then
  echo "installing libxml2-utils (xmllint)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils >/dev/null
  fi
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "== cargo test"
cargo test --workspace --locked 2>&1 | tee -a "$log"
echo "== cargo test (connectors over HTTP, against a local server)"
cargo test -p metrodati-connectors --features http --locked 2>&1 | tee -a "$log"

# One closing line for all the suites above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
