#!/bin/bash
# Runs once, when the primary's data directory is created: the replication role and the
# rule that lets the replica stream from it.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator LOGIN REPLICATION PASSWORD 'replicator';
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
