#!/usr/bin/env bash
# Proves that the domain crate depends on no adapter library: its normal and
# build dependency tree holds none of diesel, actix-web, teloxide-core or
# tokio-postgres (architecture.md, "The shape").
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree -p usher-domain -e normal,build --prefix none --format '{p}')
found=0
for forbidden in diesel diesel-async actix-web actix-http teloxide-core tokio-postgres reqwest; do
  if grep -qE "^${forbidden} v" <<<"$tree"; then
    echo "usher-domain depends on ${forbidden}:" >&2
    cargo tree -p usher-domain -e normal,build -i "${forbidden}" >&2 || true
    found=1
  fi
done
if [ "$found" -ne 0 ]; then
  exit 1
fi
echo "usher-domain depends on no adapter library ($(wc -l <<<"$tree") crates checked)"
