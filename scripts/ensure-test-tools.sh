#!/usr/bin/env bash
# Installs what the tests use beyond Rust and PostgreSQL, if it is missing:
# - Debian's Chromium, for the reference page test (tests/tests/docs_page.rs);
# - Schemathesis from PyPI, in a virtualenv at target/tools/venv, for the
#   test that runs it against the live service (tests/tests/schemathesis.rs).
# Idempotent and quick when both are there.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5

if ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

venv=target/tools/venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
