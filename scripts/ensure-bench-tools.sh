#!/usr/bin/env bash
# The bench's load tools, when missing: wrk (Debian's package) for the
# closed-loop steps, and oha (crates.io, pinned; about 4 minutes to build on
# 2 cores) for the open-loop reads and the forged flood. See bench/openloop.py
# for why these two.
set -euo pipefail
if ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if ! command -v oha >/dev/null && ! [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/oha" ]; then
  cargo install --locked --quiet oha --version 1.15.0
fi
