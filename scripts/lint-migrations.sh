#!/usr/bin/env bash
# Lints every migration from number 14 on with Squawk (pinned, installed by
# scripts/ensure-test-tools.sh) for what would stall a live older instance
# during a rolling deploy: an index built without CONCURRENTLY, a
# constraint added without NOT VALID, a column rewrite, a LOCK TABLE.
#
# Migrations 1 to 13 were written when `serve` migrated at start; they are
# applied on every database there is and are never run again, so they are
# not linted (README, "Migrations that do not lock").
#
# Diesel wraps each migration in a transaction unless its metadata.toml says
# run_in_transaction = false, and runs a file as one simple query (several
# statements in it are one implicit transaction). So the script refuses
# CONCURRENTLY in a migration that runs in a transaction, and more than one
# statement in one that does not: PostgreSQL would refuse both at deploy
# time. Squawk does not check either.
#
# Before linting, the script checks that Squawk still refuses a planted bad
# migration and passes a good one, so a broken install cannot pass.
set -euo pipefail
cd "$(dirname "$0")/.."

squawk=target/tools/venv/bin/squawk
[ -x "$squawk" ] || scripts/ensure-test-tools.sh
FIRST_LINTED=14
# The runner sets lock_timeout and statement_timeout on its session
# (crates/store/src/migrate.rs); integer widths and identity columns are
# matters of taste, not of locks.
EXCLUDED=require-lock-timeout,require-statement-timeout,prefer-bigint-over-int,prefer-bigint-over-smallint,prefer-identity

lint() { # lint FILE IN_TRANSACTION
  local args=(--pg-version 15 --exclude "$EXCLUDED")
  [ "$2" = yes ] && args+=(--assume-in-transaction)
  NO_COLOR=1 "$squawk" "${args[@]}" "$1"
}

lint_dir() { # lint_dir DIR: every migration of DIR from FIRST_LINTED on
  local status=0 linted=0 dir name number in_transaction statements
  for dir in "$1"/*/; do
    name=$(basename "$dir")
    number=$((10#${name:11:6}))
    [ "$number" -ge "$FIRST_LINTED" ] || continue
    in_transaction=yes
    if grep -Eq '^\s*run_in_transaction\s*=\s*false' "$dir/metadata.toml" 2>/dev/null; then
      in_transaction=no
    fi
    linted=$((linted + 1))
    lint "$dir/up.sql" "$in_transaction" || status=1
    # Statements: semicolons outside comments (migrations hold no literals
    # with semicolons).
    statements=$(sed 's/--.*//' "$dir/up.sql" | tr -cd ';' | wc -c)
    if [ "$in_transaction" = yes ] && sed 's/--.*//' "$dir/up.sql" | grep -qi 'concurrently'; then
      echo "$dir/up.sql: CONCURRENTLY needs run_in_transaction = false in metadata.toml" >&2
      status=1
    fi
    if [ "$in_transaction" = no ] && [ "$statements" -gt 1 ]; then
      echo "$dir/up.sql: a migration outside a transaction holds one statement ($statements here)" >&2
      status=1
    fi
  done
  echo "lint-migrations: $linted migration(s) of $1 from number $FIRST_LINTED on checked"
  return "$status"
}

plant=$(mktemp -d)
trap 'rm -rf "$plant"' EXIT
planted() { # planted SQL [METADATA]: a directory holding one migration 14
  rm -rf "$plant/m" && mkdir -p "$plant/m/2026-01-01-000014_planted"
  echo "$1" > "$plant/m/2026-01-01-000014_planted/up.sql"
  [ -z "${2:-}" ] || echo "$2" > "$plant/m/2026-01-01-000014_planted/metadata.toml"
}
outside='run_in_transaction = false'
good='CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_planted ON leads (click);'
planted 'CREATE INDEX leads_planted ON leads (click);' "$outside"
if lint_dir "$plant/m" >/dev/null 2>&1; then
  echo "lint-migrations: passed an index built without CONCURRENTLY" >&2; exit 1
fi
planted "$good"
if lint_dir "$plant/m" >/dev/null 2>&1; then
  echo "lint-migrations: passed CONCURRENTLY inside a transaction" >&2; exit 1
fi
planted "$good $good" "$outside"
if lint_dir "$plant/m" >/dev/null 2>&1; then
  echo "lint-migrations: passed two statements outside a transaction" >&2; exit 1
fi
planted "$good" "$outside"
if ! lint_dir "$plant/m" >/dev/null; then
  echo "lint-migrations: refused a good migration" >&2; exit 1
fi

lint_dir migrations
