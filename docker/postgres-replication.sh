#!/bin/sh
# Run once by the postgres image when the primary's volume is first initialised
# (/docker-entrypoint-initdb.d): lets the `postgres-replica` service stream from it, with the
# portal user's password (docs/operations.md, "A read replica"). An older volume needs the same
# line added by hand, then `SELECT pg_reload_conf()`.
set -e
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
