#!/usr/bin/env bash
# One load run of a Switchboard node with Gatling: builds the jar if missing, starts a stub channel
# connector and the gateway on a fresh store, bootstraps a load tenant, warms the server up, runs
# one simulation, and prints ONE summary line. Everything it starts is stopped on exit.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: load-tests/run.sh [STORE] [SIMULATION] [RATE] [DURATION]
       load-tests/run.sh -h | --help

Arguments (positional, all optional):
  STORE       h2 (default): a fresh H2 directory under the run directory in /tmp/switchboard-load/;
              postgres: database switchboard_load on 127.0.0.1:5432 (user postgres, trust auth;
              created if missing), schema $PG_SCHEMA (default "load") dropped and created anew.
  SIMULATION  InboundStormSimulation (default; also "storm"), MixedDaySimulation ("mixed") or
              SilenceSimulation ("silence"), classes of load-tests/src/test/java/io/switchboard/loadtest;
              or "saturate": no Gatling, but wrk with CONNS connections in a closed loop, the way
              shared/limits measures its ceilings, each request the opening message of a new
              conversation (load-tests/wrk/new-conversations.lua) spread over TEAMS teams t01..; the
              agents are split among those teams. After the run it waits until every accepted
              conversation is assigned (assigned_within) and shown by the read models (read_models_lag:
              the read models' catch-up lag), each counted from the end of the load; on postgres, the rows
              written per conversation (journal/read models; per table in the run's table-rows.md).
              "paced": the same, each connection pausing so that about RATE/s are offered (the
              latency at a given rate, with a client far lighter than Gatling on a shared machine).
  RATE        new conversations per second offered (open model), default 50; may be fractional
              (ignored by saturate: it offers as much as the node answers; about RATE with paced).
  DURATION    seconds of measured load, default 20.

Before measuring, the same simulation runs as a warm-up (other contacts, no report) until the
server's JIT compiler threads used less than WARMUP_JIT_PCT % of a core in the last WARMUP_SLICE
seconds of load, after at least WARMUP_MIN and at most WARMUP_MAX seconds of load (the rule of
shared/limits, with shorter bounds). /metrics is read right before and after the measured run.

Output: progress on stderr; on stdout ONE line:
  SUMMARY store=.. sim=.. offered=R/s achieved=R/s http_p50/p95/p99=..ms assign_p50/p99=..ms
          (server histogram, inbound->assigned) errors=ko/total ... report=<Gatling index.html>
          saturate and paced also: stw_pauses=<count>/<sum>ms/max<longest>ms, the JVM's stop-the-world
          pauses during the measured run (GC and other safepoints, from -Xlog:safepoint)
Exit status: Gatling's (non-zero when an assertion failed), or 1 when the setup failed.

Environment (defaults in brackets):
  AGENTS [40; saturate, paced: 400]  regular agents a001..aNNN (teams support, sales, pool), all ONLINE
  SILENT_AGENTS [AGENTS/4, at least 2]  agents s001.. of team "silent" (they never answer)
  CAPACITY [1000]       conversations each agent may hold (the storm never resolves any)
  BATCH [5]             messages per WhatsApp webhook POST in the storm
  TEAMS [10] CONNS [64] THREADS [2]   saturate: teams, wrk connections and threads
  CEILING [none]        saturate/paced: the stack's ceiling in requests/s measured in the same session
                        (../shared/limits ./run.sh ingest-pg or ingest-h2); the SUMMARY then gives the ratio to it
  PROFILE [0]           saturate/paced: 1 records the measured run with Java Flight Recorder and prints
                        the server's CPU per routed conversation by part (CpuBreakdown; docs/PERFORMANCE.md)
  WEBHOOKS [on; saturate: off]  whether the tenant has an outbound webhook (to the stub receiver)
  WARMUP_MIN [30]  WARMUP_MAX [60]  WARMUP_SLICE [10]  WARMUP_JIT_PCT [5]   (seconds, %)
                        WARMUP_MAX=0 skips the warm-up
  PORT [free port]      the gateway's HTTP port; STUB_PORT [free port] the stub connector's
  PG_URL [jdbc:postgresql://127.0.0.1:5432/switchboard_load]  PG_SCHEMA [load]
  SERVER_JVM [bin/switchboard's settings (bin/switchboard --jvm) -Djava.util.concurrent.ForkJoinPool.common.parallelism=2]
  GATLING_HEAP [-Xmx1g] the Gatling JVM's heap flag
  MVN [mvn]             the Maven command
Every file of the run (server.log, bootstrap.json, gatling logs, metrics before/after) is kept in
/tmp/switchboard-load/<time>-<store>-<simulation>/; the report in load-tests/target/gatling/.
EOF
}

case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[[ $# -le 4 ]] || { usage >&2; exit 2; }

STORE=${1:-h2}
SIM=${2:-InboundStormSimulation}
RATE=${3:-50}
DURATION=${4:-20}
case "$STORE" in h2|postgres) ;; *) echo "run.sh: STORE must be h2 or postgres, not '$STORE' (see --help)" >&2; exit 2 ;; esac
case "$SIM" in
  storm|InboundStorm|InboundStormSimulation) SIM=InboundStormSimulation ;;
  mixed|MixedDay|MixedDaySimulation) SIM=MixedDaySimulation ;;
  silence|Silence|SilenceSimulation) SIM=SilenceSimulation ;;
  saturate|wrk) SIM=saturate ;;
  paced) SIM=paced ;;
  *) echo "run.sh: unknown simulation '$SIM' (see --help)" >&2; exit 2 ;;
esac
[[ $RATE =~ ^[0-9]+([.][0-9]+)?$ ]] && [[ $RATE != 0 ]] || { echo "run.sh: RATE must be a positive number, not '$RATE'" >&2; exit 2; }
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: DURATION must be whole seconds, not '$DURATION'" >&2; exit 2; }

# saturate and paced never resolve what they route: 400 x 1000 slots hold the warm-up and a minute at a few
# thousand a second (40 agents filled up at today's rate within the warm-up, and the rest queued)
if [[ $SIM == saturate || $SIM == paced ]]; then AGENTS=${AGENTS:-400}; else AGENTS=${AGENTS:-40}; fi
SILENT_AGENTS=${SILENT_AGENTS:-$(( AGENTS / 4 > 2 ? AGENTS / 4 : 2 ))}
CAPACITY=${CAPACITY:-1000}
BATCH=${BATCH:-5}
WARMUP_MIN=${WARMUP_MIN:-30}
WARMUP_MAX=${WARMUP_MAX:-60}
WARMUP_SLICE=${WARMUP_SLICE:-10}
WARMUP_JIT_PCT=${WARMUP_JIT_PCT:-5}
PG_URL=${PG_URL:-jdbc:postgresql://127.0.0.1:5432/switchboard_load}
PG_SCHEMA=${PG_SCHEMA:-load}
SERVER_JVM=${SERVER_JVM:-"$("$(dirname "${BASH_SOURCE[0]}")/../bin/switchboard" --jvm) -Djava.util.concurrent.ForkJoinPool.common.parallelism=2"}
GATLING_HEAP=${GATLING_HEAP:--Xmx1g}
MVN=${MVN:-mvn}
TEAMS=${TEAMS:-10}
CONNS=${CONNS:-64}
PROFILE=${PROFILE:-0}
CEILING=${CEILING:-}
[[ -z $CEILING || $CEILING =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: CEILING must be requests per second" >&2; exit 2; }
JFR_SETTINGS=${JFR_SETTINGS:-default}
# Flight Recorder runs from the JVM's start: started later, it instruments the JDK's socket and file classes
# then, and the recompilation that follows halved the throughput of the measured minute
[[ $PROFILE == 1 ]] && EXTRA_JVM="-XX:FlightRecorderOptions:stackdepth=256 -XX:StartFlightRecording=name=warm,settings=$JFR_SETTINGS" || EXTRA_JVM=""
THREADS=${THREADS:-2}
if [[ $SIM == saturate || $SIM == paced ]]; then WEBHOOKS=${WEBHOOKS:-off}; else WEBHOOKS=${WEBHOOKS:-on}; fi
TENANT=load
(( AGENTS >= 1 && AGENTS <= 999 )) || { echo "run.sh: AGENTS must be 1..999" >&2; exit 2; }
(( SILENT_AGENTS >= 1 && SILENT_AGENTS <= 999 )) || { echo "run.sh: SILENT_AGENTS must be 1..999" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=http-gateway/target/switchboard.jar
RUN_DIR=/tmp/switchboard-load/$(date +%Y%m%d-%H%M%S)-$STORE-$SIM
mkdir -p "$RUN_DIR"
RESULTS=load-tests/target/gatling

LOG_NAME=run.sh
# shellcheck source=load-tests/common.sh
. "$ROOT/load-tests/common.sh"  # log, die, free_port, the bootstrap file, the stub, the store, measuring

SERVER_PID=""
STUB_PID=""
WARMUP_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $WARMUP_PID ]] && kill -0 "$WARMUP_PID" 2>/dev/null; then
    kill -TERM -- "-$WARMUP_PID" 2>/dev/null || kill -TERM "$WARMUP_PID" 2>/dev/null || true
  fi
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n $STUB_PID ]]; then kill -TERM "$STUB_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=${PORT:-$(free_port)}
STUB_PORT=${STUB_PORT:-$(free_port)}
BASE=http://127.0.0.1:$PORT

# ---- the jar --------------------------------------------------------------------------------
if [[ ! -f $JAR ]]; then
  log "building $JAR (mvn -q -DskipTests package) ..."
  $MVN -q -DskipTests package > "$RUN_DIR/build.log" 2>&1 || die "build failed, see $RUN_DIR/build.log"
fi

# ---- secrets and the bootstrap file -----------------------------------------------------------
read -r API_KEY APP_SECRET WEBHOOK_SECRET < <(new_secrets "$TENANT")
BOOTSTRAP=$RUN_DIR/bootstrap.json
write_bootstrap "$BOOTSTRAP" "$TENANT" "$API_KEY" "$APP_SECRET" "$WEBHOOK_SECRET" "$STUB_PORT" "$AGENTS" "$SILENT_AGENTS" "$CAPACITY" "$SIM" "$TEAMS" "$WEBHOOKS"

# ---- stub channel connector (POST /messages) and webhook receiver (POST /events) -------------
start_stub "$RUN_DIR" "$STUB_PORT"

# ---- the store ----------------------------------------------------------------------------------
declare -a STORE_ENV
if [[ $STORE == h2 ]]; then
  STORE_ENV=(SWITCHBOARD_STORE=h2 "SWITCHBOARD_H2_DIR=$RUN_DIR/h2")
else
  reset_pg_schema "$PG_URL" "$PG_SCHEMA"
  STORE_ENV=(SWITCHBOARD_STORE=postgres "SWITCHBOARD_PG_URL=$PG_URL" SWITCHBOARD_PG_USER=postgres
    "SWITCHBOARD_PG_SCHEMA=$PG_SCHEMA" "SWITCHBOARD_SECRETS_KEY=$(new_secrets_key)")
fi

# ---- the gateway -------------------------------------------------------------------------------
log "starting the gateway on $BASE ($STORE), stub connector on :$STUB_PORT; files in $RUN_DIR"
# shellcheck disable=SC2086  # SERVER_JVM is a list of flags
env "${STORE_ENV[@]}" SWITCHBOARD_PORT="$PORT" SWITCHBOARD_HOST=127.0.0.1 SWITCHBOARD_CLUSTER_PORT=0 SWITCHBOARD_MANAGEMENT_PORT=0 \
  SWITCHBOARD_ADMIN_KEY= SWITCHBOARD_BOOTSTRAP="$BOOTSTRAP" \
  SWITCHBOARD_CONNECTOR_URL="http://127.0.0.1:$STUB_PORT" \
  java $SERVER_JVM $EXTRA_JVM "-Xlog:safepoint:file=$RUN_DIR/safepoint.log:uptime" -jar "$JAR" > "$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
await_ready "$SERVER_PID" "$BASE" "$RUN_DIR/server.log"
curl -sf -o /dev/null -X POST "http://127.0.0.1:$STUB_PORT/messages" || die "the stub connector does not answer"
log "gateway ready (pid $SERVER_PID)"

# ---- measuring helpers ---------------------------------------------------------------------------
# CPU ticks (user + system) of the server's JIT compiler threads, and of the whole server
cpu_ticks() { proc_ticks "$SERVER_PID"; }
messages_in() {
  { curl -sf -m 10 "$BASE/metrics" || true; } | awk '/^switchboard_messages_in_total/ { n += $NF } END { printf "%d\n", n }'
}
gatling() { # RUN_ID DURATION [more -D...]
  local run_id=$1 seconds=$2
  shift 2
  $MVN -B -pl load-tests gatling:test "-Dgatling.simulationClass=io.switchboard.loadtest.$SIM" \
    "-DbaseUrl=$BASE" "-Dtenant=$TENANT" "-DapiKey=$API_KEY" "-DappSecret=$APP_SECRET" \
    "-Drate=$RATE" "-Dduration=$seconds" "-Dagents=$AGENTS" "-Dbatch=$BATCH" "-DrunId=$run_id" \
    "-Dgatling.jvmHeap=$GATLING_HEAP" "$@"
}

# ---- saturate: wrk in a closed loop ---------------------------------------------------------------
if [[ $SIM == saturate || $SIM == paced ]]; then
  command -v wrk >/dev/null || die "$SIM needs wrk (apt-get install wrk)"
  PACE=0; [[ $SIM == paced ]] && PACE=$RATE
  wrk_run() { # RUN_ID SECONDS
    wrk_new_conversations "$BASE" "$TENANT" "$API_KEY" "$TEAMS" "$1" "$2" "$CONNS" "$THREADS" "$PACE"
  }
  WARMED=0; JIT_PCT=na
  if (( WARMUP_MAX > 0 )); then
    log "warm-up: wrk -c$CONNS in ${WARMUP_SLICE} s slices until the JIT is quiet (${WARMUP_MIN}-${WARMUP_MAX} s)"
    while (( WARMED < WARMUP_MAX )); do
      jit0=$(jit_ticks "$SERVER_PID")
      wrk_run "w$WARMED" "$WARMUP_SLICE" > "$RUN_DIR/warmup-$WARMED.txt" 2>&1 || true
      kill -0 "$SERVER_PID" 2>/dev/null || die "the gateway died during the warm-up, see $RUN_DIR/server.log"
      JIT_PCT=$(( ($(jit_ticks "$SERVER_PID") - jit0) * 100 / CLK_TCK / WARMUP_SLICE ))
      WARMED=$(( WARMED + WARMUP_SLICE ))
      log "warm-up: ${WARMED} s, JIT ${JIT_PCT} % of a core, $(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$RUN_DIR/warmup-$((WARMED - WARMUP_SLICE)).txt") req/s"
      if (( WARMED >= WARMUP_MIN && JIT_PCT < WARMUP_JIT_PCT )); then break; fi
    done
    for _ in $(seq 1 120); do  # let the warm-up's routing and read models settle
      a=$(assigned_total "$BASE"); sleep 1; [[ $(assigned_total "$BASE") == "$a" ]] && break
    done
  fi
  curl -sf -m 30 "$BASE/metrics" > "$RUN_DIR/metrics-before.txt" || die "cannot read /metrics"
  shown0=$(counts_total "$BASE" "$API_KEY" "$TENANT"); assigned0=$(assigned_total "$BASE")
  pg0=$(pg_ticks); m0=$(machine_ticks)
  if [[ $PROFILE == 1 ]]; then
    { jcmd "$SERVER_PID" JFR.start name=profile "settings=$JFR_SETTINGS" "filename=$RUN_DIR/server.jfr" \
        && jcmd "$SERVER_PID" JFR.stop name=warm; } > "$RUN_DIR/jfr.txt" 2>&1 || die "cannot start Flight Recorder, see $RUN_DIR/jfr.txt"
    thread_ticks "$SERVER_PID" > "$RUN_DIR/threads-before.txt"
  fi
  cpu0=$(cpu_ticks); t0=$(date +%s.%N); sp0=$(wc -l < "$RUN_DIR/safepoint.log")
  log "measuring: wrk -t$THREADS -c$CONNS for $DURATION s, new conversations over $TEAMS teams$([[ $PACE != 0 ]] && echo ", about $PACE/s")"
  wrk_run m "$DURATION" > "$RUN_DIR/wrk.txt" 2>&1 || die "wrk failed, see $RUN_DIR/wrk.txt"
  t1=$(date +%s.%N); cpu1=$(cpu_ticks); pg1=$(pg_ticks); m1=$(machine_ticks); sp1=$(wc -l < "$RUN_DIR/safepoint.log")
  # the JVM's stop-the-world pauses in the measured run (GC or not; any collector): count/sum/longest
  STW=$(sed -n "$((sp0 + 1)),${sp1}p" "$RUN_DIR/safepoint.log" | awk '/Total: [0-9]+ ns/ {
      t = $0; sub(/.*Total: /, "", t); t = t / 1e6; n++; sum += t; if (t > max) max = t }
    END { printf "%d/%.0fms/max%.1fms", n, sum, max }')
  if [[ $PROFILE == 1 ]]; then
    thread_ticks "$SERVER_PID" > "$RUN_DIR/threads-after.txt"
    jcmd "$SERVER_PID" JFR.stop name=profile >> "$RUN_DIR/jfr.txt" 2>&1 || die "cannot stop Flight Recorder, see $RUN_DIR/jfr.txt"
  fi
  RESULT=$(grep '^RESULT' "$RUN_DIR/wrk.txt") || die "no RESULT line from wrk, see $RUN_DIR/wrk.txt"
  kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $RESULT"; }
  accepted=$(( $(kv requests) - $(kv non2xx) - $(kv errors) ))
  log "wrk: $RESULT; waiting until every accepted conversation is assigned and shown by the read models"
  assigned_since() { echo $(( $(assigned_total "$BASE") - assigned0 )); }
  shown_since() { echo $(( $(counts_total "$BASE" "$API_KEY" "$TENANT") - shown0 )); }
  # from the end of the load (t1): assigned_within, and the read models' catch-up lag (every accepted one shown)
  read -r assigned_after shown_after assigned_within rm_lag < <(await_caught_up "$accepted" 300 "$t1" assigned_since shown_since)
  ROWS=na
  if [[ $STORE == postgres ]]; then  # rows written per conversation, journal/read models (the whole run's)
    sleep 11  # the statistics collector's counts of idle connections arrive up to 10 s late
    pg_table_rows "$PG_URL" "$PG_SCHEMA" > "$RUN_DIR/table-rows.txt"
    conversations=$(psql -h 127.0.0.1 -U postgres -qAt -d "${PG_URL##*/}" -c "SELECT count(*) FROM $PG_SCHEMA.sb_conversation")
    ROWS=$(rows_per_conversation "$RUN_DIR/table-rows.txt" "$conversations" 2> "$RUN_DIR/table-rows.md")
    log "rows written per conversation ($conversations, warm-up included): $RUN_DIR/table-rows.md"
  fi
  curl -sf -m 30 "$BASE/metrics" > "$RUN_DIR/metrics-after.txt" || die "cannot read /metrics after the run"
  SERVER_CPU=$(python3 -c "print('%d/%d/%d' % tuple(round(x * 100 / $CLK_TCK / ($t1 - $t0)) for x in ($cpu1 - $cpu0, $pg1 - $pg0, $m1 - $m0)))")
  read -r ASSIGN_P50 ASSIGN_P99 < <(routing_quantiles "$RUN_DIR/metrics-before.txt" "$RUN_DIR/metrics-after.txt")
  python3 - "$ASSIGN_P50" "$ASSIGN_P99" "$RESULT" "$STORE" "$DURATION" "$accepted" \
    "$assigned_after" "$shown_after" "$assigned_within" "$rm_lag" "$SERVER_CPU" "$WARMED" "$JIT_PCT" "$CONNS" "$TEAMS" \
    "$WEBHOOKS" "$SIM" "$PACE" "$CEILING" "$ROWS" "$STW" <<'EOF'
import sys
(p50, p99, result, store, duration, accepted, assigned, shown, assigned_within, rm_lag, cpu, warmed, jit, conns,
 teams, webhooks, sim, pace, ceiling, rows, stw) = sys.argv[1:]
secs = lambda v: v if v == "never" else v + "s"
kv = dict(p.split("=", 1) for p in result.split()[1:])
ok = int(accepted)
print(" ".join([
    "SUMMARY store=%s sim=%s%s conns=%s teams=%s webhooks=%s" % (store, sim, "" if pace == "0" else "(offered %s/s)" % pace,
                                                             conns, teams, webhooks),
    "achieved=%.1f/s (%d accepted in %ss)%s" % (ok / float(duration), ok, duration,
        "" if ceiling == "" else " ratio_to_ceiling=%.3f(of_%s/s)" % (ok / float(duration) / float(ceiling), ceiling)),
    "http_p50/p90/p99=%.1f/%.1f/%.1fms" % (int(kv["p50_us"]) / 1000, int(kv["p90_us"]) / 1000, int(kv["p99_us"]) / 1000),
    "assign_p50/p99=%s/%s(server)" % (p50, p99),
    "errors=%s+%s/%s" % (kv["non2xx"], kv["errors"], kv["requests"]),
    "assigned=%s/%d shown=%s/%d assigned_within=%s read_models_lag=%s" % (assigned, ok, shown, ok,
        secs(assigned_within), secs(rm_lag)),
    "rows_per_conv_journal/read_models=%s" % rows,
    "stw_pauses=%s" % stw,
    "cpu_server/postgres/machine=%s%% warmup=%ss(jit %s%%)" % (cpu, warmed, jit)]))
EOF
  if [[ $PROFILE == 1 ]]; then
    # the server's CPU per routed conversation by part (docs/PERFORMANCE.md); the JDK alone runs it
    java "$ROOT/load-tests/src/main/java/io/switchboard/loadtest/CpuBreakdown.java" "$RUN_DIR/server.jfr" \
      "$RUN_DIR/threads-before.txt" "$RUN_DIR/threads-after.txt" "$accepted" "$CLK_TCK" \
      | tee "$RUN_DIR/cpu-breakdown.md" >&2
    log "profile: $RUN_DIR/server.jfr, breakdown in $RUN_DIR/cpu-breakdown.md"
  fi
  exit 0
fi

# ---- warm-up -------------------------------------------------------------------------------------
WARMED=0
JIT_PCT=na
if (( WARMUP_MAX > 0 )); then
  STOP_FILE=$RUN_DIR/warmup.stop
  log "warm-up: $SIM at $RATE/s until the JIT is quiet (< $WARMUP_JIT_PCT % of a core over ${WARMUP_SLICE} s, ${WARMUP_MIN}-${WARMUP_MAX} s of load)"
  set -m  # own process group, so that cleanup can stop Maven and Gatling's forked JVM together
  gatling w "$WARMUP_MAX" "-DstopFile=$STOP_FILE" -Dgatling.noReports=true -Dgatling.failOnError=false \
    "-Dgatling.resultsFolder=$RUN_DIR/warmup-results" > "$RUN_DIR/warmup.log" 2>&1 &
  WARMUP_PID=$!
  set +m
  jit0=$(jit_ticks "$SERVER_PID"); cpu0=$(cpu_ticks); in0=$(messages_in)
  while kill -0 "$WARMUP_PID" 2>/dev/null; do
    sleep "$WARMUP_SLICE"
    kill -0 "$SERVER_PID" 2>/dev/null || die "the gateway died during the warm-up, see $RUN_DIR/server.log"
    jit1=$(jit_ticks "$SERVER_PID"); cpu1=$(cpu_ticks); in1=$(messages_in)
    JIT_PCT=$(( (jit1 > jit0 ? jit1 - jit0 : 0) * 100 / CLK_TCK / WARMUP_SLICE ))
    if (( in1 > in0 )); then
      WARMED=$(( WARMED + WARMUP_SLICE ))
      log "warm-up: ${WARMED} s of load, JIT ${JIT_PCT} % of a core, server $(( (cpu1 - cpu0) * 100 / CLK_TCK / WARMUP_SLICE )) %, $(( in1 - in0 )) messages in"
      if (( WARMED >= WARMUP_MAX )) || (( WARMED >= WARMUP_MIN && JIT_PCT < WARMUP_JIT_PCT )); then break; fi
    fi
    jit0=$jit1; cpu0=$cpu1; in0=$in1
  done
  touch "$STOP_FILE"
  wait "$WARMUP_PID" || log "warm-up run ended with status $? (ignored; see $RUN_DIR/warmup.log)"
  WARMUP_PID=""
  sleep 2
fi

# ---- the measured run ----------------------------------------------------------------------------
mkdir -p "$RESULTS"
ls -1 "$RESULTS" > "$RUN_DIR/results-before.txt"
curl -sf -m 30 "$BASE/metrics" > "$RUN_DIR/metrics-before.txt" || die "cannot read /metrics"
cpu0=$(cpu_ticks); t0=$(date +%s.%N)
log "measuring: $SIM at $RATE new conversations/s for $DURATION s (log: $RUN_DIR/gatling.log)"
GATLING_RC=0
gatling m "$DURATION" > "$RUN_DIR/gatling.log" 2>&1 || GATLING_RC=$?
t1=$(date +%s.%N); cpu1=$(cpu_ticks)
curl -sf -m 30 "$BASE/metrics" > "$RUN_DIR/metrics-after.txt" || die "cannot read /metrics after the run"
REPORT_DIR=$(ls -1 "$RESULTS" | grep -vxF -f "$RUN_DIR/results-before.txt" | grep -i "^${SIM}-" | sort | tail -1 || true)
if [[ -z $REPORT_DIR || ! -f $RESULTS/$REPORT_DIR/index.html ]]; then
  tail -40 "$RUN_DIR/gatling.log" >&2
  die "no Gatling report was written (status $GATLING_RC), see $RUN_DIR/gatling.log"
fi
SERVER_CPU=$(python3 -c "print(round(($cpu1 - $cpu0) * 100 / $CLK_TCK / ($t1 - $t0)))")

# ---- the summary line ------------------------------------------------------------------------------
python3 - "$RESULTS/$REPORT_DIR/index.html" "$RUN_DIR/metrics-before.txt" "$RUN_DIR/metrics-after.txt" \
  "$RUN_DIR/gatling.log" "$ROOT/$RESULTS/$REPORT_DIR/index.html" "$STORE" "$SIM" "$RATE" "$DURATION" \
  "$GATLING_RC" "$WARMED" "$JIT_PCT" "$SERVER_CPU" <<'EOF'
import math, re, sys
(stats_path, before_path, after_path, log_path, report, store, sim, rate, duration, rc, warmed, jit,
 server_cpu) = sys.argv[1:]
rate, duration = float(rate), float(duration)

# Gatling 3.15 writes no stats.json and a binary simulation.log: the figures come from the
# statistics table of the HTML report (columns: 2 total, 3 OK, 4 KO, 6 count/s, 8 p50, 10 p95, 11 p99).
html = open(stats_path, encoding="utf-8", errors="replace").read()
rows = {}
for chunk in html.split('class="ellipsed-name">')[1:]:
    name = chunk.split("<", 1)[0].strip()
    cols = dict((int(c), v.strip()) for c, v in re.findall(r'<td class="value [^"]*col-(\d+)">([^<]*)</td>', chunk))
    if 2 in cols and name not in rows:
        rows[name] = cols
if "All Requests" not in rows:
    sys.exit("run.sh: no statistics table in " + stats_path)
glob = rows["All Requests"]
def num(v):
    try:
        return int(v)
    except ValueError:
        return 0
total, ko = num(glob[2]), num(glob[4])
def ms(col):
    return glob.get(col, "-")

# New conversations: successful requests whose name starts with "inbound", times the messages they carry.
opened_ok = 0
for name, cols in rows.items():
    if name.startswith("inbound"):
        m = re.search(r"(\d+) messages", name)
        opened_ok += num(cols[3]) * (int(m.group(1)) if m else 1)

def metrics(path):
    buckets, counters = {}, {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r'switchboard_routing_latency_seconds_bucket\{.*?le="([^"]+)".*?\}\s+(\S+)', line)
        if m:
            buckets[m.group(1)] = float(m.group(2))
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)', line)
        if m:
            counters[m.group(1)] = counters.get(m.group(1), 0.0) + float(m.group(3))
    return buckets, counters
b0, c0 = metrics(before_path)
b1, c1 = metrics(after_path)
def delta(name):
    return int(c1.get(name, 0) - c0.get(name, 0))

les = sorted(b1, key=lambda le: math.inf if le == "+Inf" else float(le))
cum = [(le, b1[le] - b0.get(le, 0.0)) for le in les]
assigned = int(cum[-1][1]) if cum else 0
def quantile(q):
    if assigned == 0:
        return "-"
    rank, prev_le, prev_n = q * assigned, 0.0, 0.0
    for le, n in cum:
        if n >= rank:
            if le == "+Inf":
                return ">%.0fms" % (prev_le * 1000)
            hi = float(le)
            frac = 0.0 if n == prev_n else (rank - prev_n) / (n - prev_n)
            return "%.1fms" % ((prev_le + (hi - prev_le) * frac) * 1000)
        prev_le, prev_n = (math.inf if le == "+Inf" else float(le)), n
    return "-"

top_error = ""
lines = open(log_path, errors="replace").read().splitlines()
starts = [i for i, line in enumerate(lines) if line.startswith("---- Errors")]
if starts:  # the last console report is the final one
    for e in lines[starts[-1] + 1:]:
        if e.startswith("> "):
            top_error = re.sub(r"\s+", " ", e[2:]).strip()[:140]
            break

verdict = "ok" if rc == "0" else "FAILED(exit %s)" % rc
parts = [
    "SUMMARY store=%s sim=%s" % (store, sim),
    "offered=%g/s achieved=%.1f/s" % (rate, opened_ok / duration),
    "http_p50/p95/p99=%s/%s/%sms" % (ms(8), ms(10), ms(11)),
    "assign_p50/p99=%s/%s(server,n=%d)" % (quantile(0.5), quantile(0.99), assigned),
    "errors=%d/%d(%.2f%%)" % (ko, total, 100.0 * ko / total if total else 0.0),
    "opened=%d reroutes=%d escalations=%d resolved=%d" % (delta("switchboard_conversations_opened_total"),
        delta("switchboard_reroutes_total"), delta("switchboard_escalations_total"),
        delta("switchboard_resolutions_total")),
    "server_cpu=%s%% warmup=%ss(jit %s%%)" % (server_cpu, warmed, jit),
    "gatling=%s" % verdict,
]
if top_error:
    parts.append('top_error="%s"' % top_error.replace('"', "'"))
parts.append("report=%s" % report)
print(" ".join(parts))
EOF
exit "$GATLING_RC"
