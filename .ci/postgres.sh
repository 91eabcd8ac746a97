#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster and ensures a test role, idempotently.
# Run as root after `apt-get install -y postgresql`. Prints the export line for
# the test suite on stdout (everything else goes to stderr), so CI can do:
#   eval "$(.ci/postgres.sh)"
set -euo pipefail

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$PGBIN" ] || { echo "PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }
VERSION=$(basename "$(dirname "$PGBIN")")

# Debian's `postgresql` package creates cluster <version>/main; create it if missing.
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' | grep -qx "$VERSION/main"; then
  pg_createcluster "$VERSION" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$VERSION" main start >&2
fi

# Wait until it accepts connections.
for _ in $(seq 1 50); do
  runuser -u postgres -- "$PGBIN/pg_isready" -q -h 127.0.0.1 -p 5432 && break
  sleep 0.2
done
runuser -u postgres -- "$PGBIN/pg_isready" -h 127.0.0.1 -p 5432 >&2

runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -d postgres >&2 <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xai') THEN
    CREATE ROLE xai LOGIN PASSWORD 'xai' CREATEDB;
  ELSE
    ALTER ROLE xai LOGIN PASSWORD 'xai' CREATEDB;
  END IF;
END
$$;
SQL

echo "export XAI_TEST_POSTGRES_URL=postgres://xai:xai@127.0.0.1:5432/postgres"
