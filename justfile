# usher's front door. `just --list` shows the recipes.

# Run the service (migrates first) with config/ and USHER__* variables.
run:
    cargo run --release -p usher-app -- serve --migrate

# Run every test (starts PostgreSQL, installs Chromium and Schemathesis if missing).
test:
    scripts/test.sh

# Format, lints, the domain's dependency check, the import-circle check and
# the migration lint.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    scripts/check-domain-deps.sh
    scripts/check-module-cycles.py
    scripts/lint-migrations.sh

# Format the code.
fmt:
    cargo fmt --all

# Prove that crates/domain depends on no adapter library.
check-domain:
    scripts/check-domain-deps.sh

# Start PostgreSQL if it is down, then create and migrate the database.
db:
    scripts/ensure-postgres.sh
    cargo run -p usher-app -- migrate

# Run the fake Telegram Bot API on 127.0.0.1:8081.
sandbox:
    cargo run -p usher-sandbox --bin tg-sandbox -- --listen 127.0.0.1:8081

# What CI runs.
ci:
    bash .ci/run

# The benchmark (release build, its own database, ~10 minutes): see docs/benchmarks.md.
bench:
    python3 bench/bench.py

# A few seconds of the benchmark, checking zero errors and exactly-once (CI runs it).
bench-smoke:
    python3 bench/bench.py --smoke

# Fuzz a target for SECONDS (webhook_update or api_params). cargo-fuzz wants
# nightly; on stable, RUSTC_BOOTSTRAP=1 with --sanitizer none works.
fuzz target="webhook_update" seconds="60":
    cargo install cargo-fuzz --locked --quiet
    RUSTC_BOOTSTRAP=1 cargo fuzz run {{target}} --sanitizer none -- -max_total_time={{seconds}}
