#!/usr/bin/env bash
# Three Switchboard nodes (the fat jar, three JVMs) as one cluster on the local PostgreSQL, traffic spread
# over all three, and either one node killed with -9 mid-run and started again ("kill"), or a rolling
# restart ("rolling": each node in turn SIGTERM, started again, waited for until ready). Builds the modules
# first (mvn package, tests skipped), then runs io.switchboard.loadtest.ClusterBenchmark and prints its
# CLUSTER summary line (and the machine's load average before and after).
#
# Usage: load-tests/cluster.sh [kill|rolling|both] [VICTIM]
#   VICTIM   the node killed in "kill" mode: 1 (the oldest: singletons, shard coordinators) .. 3; default 2
# Settings (environment): MESSAGES (3000), CUSTOMERS (6), SWITCHBOARD_TEST_PG_URL
#   (jdbc:postgresql://127.0.0.1:5432/switchboard_test; a fresh schema per run, dropped at the end),
#   SKIP_BUILD=1 to reuse the last build, BENCH_OPTS (e.g. -Dbench.restart-seeds-last=true) for the benchmark JVM. Node logs: load-tests/target/cluster/<mode>-<id>/node-N-M.log
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-kill}"
VICTIM="${2:-2}"
case "$MODE" in kill|rolling|both) ;; -h|--help) sed -n 2,12p "$0"; exit 0 ;; *) echo "unknown mode $MODE" >&2; exit 2 ;; esac
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f load-tests/target/cluster-classpath.txt ]; then
  echo "building (mvn -q -DskipTests package) ..." >&2
  mvn -q -B -DskipTests -pl load-tests -am package dependency:build-classpath \
    -Dmdep.outputFile=target/cluster-classpath.txt -Dmdep.includeScope=runtime >&2
fi
CP="load-tests/target/classes:$(cat load-tests/target/cluster-classpath.txt)"
run() {
  echo "load average before $1: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  # shellcheck disable=SC2086
  java -Xmx1g ${BENCH_OPTS:-} -cp "$CP" -Dbench.messages="${MESSAGES:-3000}" -Dbench.customers="${CUSTOMERS:-6}" \
    -Dbench.victim="$VICTIM" io.switchboard.loadtest.ClusterBenchmark "$1"
  local rc=$?
  echo "load average after $1: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  return $rc
}
status=0
if [ "$MODE" = both ]; then
  run kill || status=1
  run rolling || status=1
else
  run "$MODE" || status=1
fi
exit $status
