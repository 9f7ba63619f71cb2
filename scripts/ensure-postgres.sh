#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for
# user postgres, the way the tests expect: starts the installed cluster if it
# is down, or installs Debian's PostgreSQL first if there is none.
set -euo pipefail

ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if command -v pg_isready >/dev/null && ready; then
  exit 0
fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "no PostgreSQL cluster: installing Debian's postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Trust local connections, as on the development machines.
  sed -i -E 's/^(local|host)(\s+all\s+all\s+.*)\s(peer|scram-sha-256|md5)$/\1\2 trust/' "$conf/pg_hba.conf"
  sed -i -E 's/^(local\s+all\s+postgres\s+)peer$/\1trust/' "$conf/pg_hba.conf"
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 60); do
  if ready; then
    exit 0
  fi
  sleep 0.5
done
echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 1
