#!/usr/bin/env bash
# Installs what the tests use beyond Rust and PostgreSQL, if it is missing:
# - Debian's Chromium, for the reference page test (tests/tests/docs_page.rs);
# - Schemathesis and openapi-spec-validator from PyPI, in a virtualenv at
#   target/tools/venv, for the tests that run them against the live service
#   (tests/tests/schemathesis.rs, tests/tests/openapi.rs);
# - aiogram from PyPI, in the same virtualenv, a real Bot API client library
#   that drives tg-sandbox (crates/sandbox/tests/real_client.rs);
# - openapi-python-client from PyPI (same virtualenv), and openapi-typescript,
#   openapi-fetch, TypeScript and @redocly/cli from npm (in target/tools/node),
#   for the generated-client sessions and the lint (tests/tests/generated_clients.rs);
# - openapi-generator (its PyPI wheel holds the official jar; it runs on the
#   machine's Java, Debian's JRE if there is none) with what its Python
#   client needs (pydantic, urllib3, python-dateutil), same virtualenv.
# Idempotent and quick when both are there.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
AIOGRAM_VERSION=3.31.0
OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
OPENAPI_GENERATOR_VERSION=7.26.0
# Squawk lints the migrations for locks a live instance would wait on
# (scripts/lint-migrations.sh).
SQUAWK_VERSION=2.70.0
NPM_PACKAGES="openapi-typescript@7.13.0 openapi-fetch@0.17.0 typescript@5.9.3 @redocly/cli@2.77.0"

if ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

venv=target/tools/venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION" ||
   ! "$venv/bin/pip" show openapi-spec-validator 2>/dev/null | grep -q "^Version: $VALIDATOR_VERSION$" ||
   ! "$venv/bin/pip" show aiogram 2>/dev/null | grep -q "^Version: $AIOGRAM_VERSION$" ||
   ! "$venv/bin/pip" show openapi-python-client 2>/dev/null | grep -q "^Version: $OPENAPI_PYTHON_CLIENT_VERSION$" ||
   ! "$venv/bin/pip" show openapi-generator-cli 2>/dev/null | grep -q "^Version: $OPENAPI_GENERATOR_VERSION$" ||
   ! "$venv/bin/pip" show squawk-cli 2>/dev/null | grep -q "^Version: $SQUAWK_VERSION$"; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION, openapi-spec-validator $VALIDATOR_VERSION, aiogram $AIOGRAM_VERSION, openapi-python-client $OPENAPI_PYTHON_CLIENT_VERSION, openapi-generator-cli $OPENAPI_GENERATOR_VERSION, squawk-cli $SQUAWK_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION" \
    "aiogram==$AIOGRAM_VERSION" "openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION" \
    "openapi-generator-cli==$OPENAPI_GENERATOR_VERSION" "squawk-cli==$SQUAWK_VERSION" pydantic urllib3 python-dateutil typing-extensions
fi

if ! command -v java >/dev/null; then
  echo "installing Debian's JRE for openapi-generator" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
fi

node=target/tools/node
if [ "$(cat "$node/.installed" 2>/dev/null)" != "$NPM_PACKAGES" ]; then
  echo "installing $NPM_PACKAGES into $node" >&2
  mkdir -p "$node"
  [ -f "$node/package.json" ] || echo '{"name":"usher-test-tools","private":true}' > "$node/package.json"
  # shellcheck disable=SC2086
  (cd "$node" && npm install --silent --no-audit --no-fund $NPM_PACKAGES)
  echo "$NPM_PACKAGES" > "$node/.installed"
fi
