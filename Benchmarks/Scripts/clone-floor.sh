#!/usr/bin/env bash
# The clone floor without PGFast: two psql sessions making N clones of TEMPLATE with
# CREATE DATABASE … STRATEGY FILE_COPY, each dropping its clone from KEEP creates earlier
# (2 × KEEP clones alive at most, as a byte budget allows). Prints the wall time.
#
#   PGHOST=/dev/shm/pgfast-0/pg15/socket PGPORT=5432 PGUSER=postgres \
#       Benchmarks/Scripts/clone-floor.sh workload_template 1000 45
set -euo pipefail
template=$1 count=$2 keep=${3:-1000000}
per=$((count / 2))
started=$(date +%s.%N)
for stream in 1 2; do
    (
        for i in $(seq 1 "$per"); do
            echo "CREATE DATABASE floor_${stream}_$i TEMPLATE \"$template\" STRATEGY FILE_COPY;"
            old=$((i - keep))
            if [ "$old" -ge 1 ]; then echo "DROP DATABASE floor_${stream}_$old;"; fi
        done | psql -q -v ON_ERROR_STOP=1 postgres
    ) &
done
wait
ended=$(date +%s.%N)
echo "$count clones, at most $((2 * keep)) kept: $(echo "$ended - $started" | bc) s"
for stream in 1 2; do
    (for i in $(seq 1 "$per"); do echo "DROP DATABASE IF EXISTS floor_${stream}_$i;"; done | psql -q postgres) &
done
wait
