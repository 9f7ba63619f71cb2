#!/usr/bin/env bash
# Installs what the tests use beyond Rust and PostgreSQL, if it is missing:
# - Debian's Chromium, for the reference page test (tests/tests/docs_page.rs);
# - Schemathesis and openapi-spec-validator from PyPI, in a virtualenv at
#   target/tools/venv, for the tests that run them against the live service
#   (tests/tests/schemathesis.rs, tests/tests/openapi.rs);
# - aiogram from PyPI, in the same virtualenv, a real Bot API client library
#   that drives tg-sandbox (crates/sandbox/tests/real_client.rs).
# Idempotent and quick when both are there.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
AIOGRAM_VERSION=3.31.0

if ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

venv=target/tools/venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION" ||
   ! "$venv/bin/pip" show openapi-spec-validator 2>/dev/null | grep -q "^Version: $VALIDATOR_VERSION$" ||
   ! "$venv/bin/pip" show aiogram 2>/dev/null | grep -q "^Version: $AIOGRAM_VERSION$"; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION, openapi-spec-validator $VALIDATOR_VERSION, aiogram $AIOGRAM_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION" \
    "aiogram==$AIOGRAM_VERSION"
fi
