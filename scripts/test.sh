#!/usr/bin/env bash
# The test command of the README: makes sure PostgreSQL runs and the test
# tools are installed (Chromium, Schemathesis), then runs every test.
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
scripts/ensure-test-tools.sh
exec cargo test --workspace --locked "$@"
