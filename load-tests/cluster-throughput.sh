#!/usr/bin/env bash
# Routing throughput of a cluster of 1, 2, 3 ... Switchboard nodes side by side on this machine, on PostgreSQL:
# for each N a fresh schema, N nodes of http-gateway/target/switchboard.jar as one cluster, a load tenant, a
# warm-up, then wrk in a closed loop (every request the opening message of a new conversation, as run.sh's
# saturate) with the connections split evenly over the N nodes' HTTP ports, and a wait until every accepted
# conversation is assigned. ONE line per N on stdout. Everything it starts is stopped on exit.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: load-tests/cluster-throughput.sh [NODES...]      (default: 1 2 3)
       load-tests/cluster-throughput.sh -h | --help

For each N of NODES, one after the other:
  - a fresh schema ct_<N>n_<time> of database switchboard_load (PG_URL), dropped afterwards;
  - N nodes (java $SERVER_JVM -jar http-gateway/target/switchboard.jar) as one cluster: every node gets the
    same seed list (all N cluster ports, node 1 first), SWITCHBOARD_STORE=postgres and the same bootstrap file
    (tenant "load", AGENTS agents split over TEAMS round-robin teams t01.., CAPACITY each: nothing queues);
    node 1 starts alone, the others once it is ready (as ClusterRun does);
  - waits until every node's /health/ready is 200, every node's /cluster/members (Pekko Management) shows N
    members Up with one leader and none unreachable, and the tenant answers on every node;
  - WARMUP seconds of the same load (not measured), then until the routing is quiet again;
  - DURATION seconds measured: one wrk per node, CONNS/N connections each (the remainder to the first ones),
    WRK_THREADS threads each, run at once; requests, answers and latencies summed/merged over the N;
  - then waits until the cluster assigned (sum of the nodes' switchboard_routing_latency_seconds_count) and
    the read models show every accepted conversation, at most DRAIN_MAX seconds.

Output: progress on stderr; on stdout one line per N:
  CLUSTER_THROUGHPUT nodes=N conns=C(c1+c2..) achieved=R/s(r1+r2..) accepted=A http_p50/p99=P/Qms
    assign_p50/p99=..ms/..ms non2xx=E errors=S assigned_all_within=Ts unassigned=U
    cpu_nodes/postgres/wrk/machine=n1+n2../P/W/M% load_avg=B/E
Exit status 1 when a setup step failed (the lines of the N already measured are printed).

Environment (defaults in brackets):
  DURATION [60]  WARMUP [30]    seconds of measured load and of warm-up (WARMUP=0 skips it)
  CONNS [64]  WRK_THREADS [1]   wrk connections in all (split over the nodes) and threads per wrk
  AGENTS [400]  TEAMS [10]  CAPACITY [1000]   the tenant (AGENTS x CAPACITY must exceed what is sent)
  DRAIN_MAX [300]               seconds to wait for the routing to catch up after the run
  PG_URL [jdbc:postgresql://127.0.0.1:5432/switchboard_load]   KEEP_SCHEMA [0]: 1 keeps each schema
  SERVER_JVM [bin/switchboard's settings (bin/switchboard --jvm) -Djava.util.concurrent.ForkJoinPool.common.parallelism=2] per node
  DB_POOL_SIZE, READ_POOL_SIZE  the nodes' SWITCHBOARD_DB_POOL_SIZE/READ_POOL_SIZE (unset: the nodes' defaults,
                                10 and 4; PostgreSQL's max_connections is shared by all nodes)
  MVN [mvn]                     builds the jar (-pl http-gateway -am package) when it is missing
Files (node logs, bootstrap, wrk outputs, metrics) in /tmp/switchboard-load/<time>-cluster-throughput/<N>n/.
EOF
}

case "${1:-}" in -h|--help) usage; exit 0 ;; esac
NODES_LIST=("$@")
(( ${#NODES_LIST[@]} > 0 )) || NODES_LIST=(1 2 3)
for n in "${NODES_LIST[@]}"; do
  [[ $n =~ ^[1-9]$ ]] || { echo "cluster-throughput.sh: NODES must be 1..9, not '$n' (see --help)" >&2; exit 2; }
done

DURATION=${DURATION:-60}
WARMUP=${WARMUP:-30}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-1}
AGENTS=${AGENTS:-400}
TEAMS=${TEAMS:-10}
CAPACITY=${CAPACITY:-1000}
DRAIN_MAX=${DRAIN_MAX:-300}
PG_URL=${PG_URL:-jdbc:postgresql://127.0.0.1:5432/switchboard_load}
KEEP_SCHEMA=${KEEP_SCHEMA:-0}
SERVER_JVM=${SERVER_JVM:-"$("$(dirname "${BASH_SOURCE[0]}")/../bin/switchboard" --jvm) -Djava.util.concurrent.ForkJoinPool.common.parallelism=2"}
MVN=${MVN:-mvn}
TENANT=load
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "cluster-throughput.sh: DURATION must be whole seconds" >&2; exit 2; }
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "cluster-throughput.sh: WARMUP must be whole seconds" >&2; exit 2; }
(( AGENTS >= 1 && AGENTS <= 999 )) || { echo "cluster-throughput.sh: AGENTS must be 1..999" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOG_NAME=cluster-throughput
# shellcheck source=load-tests/common.sh
. "$ROOT/load-tests/common.sh"
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
JAR=http-gateway/target/switchboard.jar
TOP_DIR=/tmp/switchboard-load/$(date +%Y%m%d-%H%M%S)-cluster-throughput
mkdir -p "$TOP_DIR"

# ---- processes, and stopping them ------------------------------------------------------------------
NODE_PIDS=()    # of the current N
WRK_PIDS=()
STUB_PID=""
SCHEMA=""
stop_nodes() { # SIGTERM to every node at once, up to 30 s to exit, then SIGKILL
  local p _
  for p in "${WRK_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  WRK_PIDS=()
  for p in "${NODE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 60); do
    local alive=0
    for p in "${NODE_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.5
  done
  for p in "${NODE_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  NODE_PIDS=()
  if [[ -n $SCHEMA && $KEEP_SCHEMA != 1 ]]; then drop_pg_schema "$PG_URL" "$SCHEMA"; fi
  SCHEMA=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_nodes
  if [[ -n $STUB_PID ]]; then kill -TERM "$STUB_PID" 2>/dev/null || true; wait "$STUB_PID" 2>/dev/null || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the jar, the stub connector, the tenant -------------------------------------------------------
if [[ ! -f $JAR ]]; then
  log "building $JAR ($MVN -q -B -DskipTests -DskipITs package -pl http-gateway -am) ..."
  $MVN -q -B -DskipTests -DskipITs package -pl http-gateway -am > "$TOP_DIR/build.log" 2>&1 \
    || die "build failed, see $TOP_DIR/build.log"
fi
STUB_PORT=$(free_port)
start_stub "$TOP_DIR" "$STUB_PORT"
read -r API_KEY APP_SECRET WEBHOOK_SECRET < <(new_secrets "$TENANT")
SECRETS_KEY=$(new_secrets_key) # one for every node: what one seals, the others open
BOOTSTRAP=$TOP_DIR/bootstrap.json
write_bootstrap "$BOOTSTRAP" "$TENANT" "$API_KEY" "$APP_SECRET" "$WEBHOOK_SECRET" "$STUB_PORT" "$AGENTS" 1 \
  "$CAPACITY" saturate "$TEAMS" off
for _ in $(seq 1 20); do curl -sf -o /dev/null -X POST "http://127.0.0.1:$STUB_PORT/messages" && break; sleep 0.25; done
curl -sf -o /dev/null -X POST "http://127.0.0.1:$STUB_PORT/messages" || die "the stub connector does not answer"

# ---- helpers of one cluster ------------------------------------------------------------------------
# members_ok MGMT_PORT N: the node sees N members, all Up, a leader, nobody unreachable
members_ok() {
  { curl -sf -m 5 "127.0.0.1:$1/cluster/members" || echo '{}'; } | python3 -c '
import json, sys
n = int(sys.argv[1]); d = json.load(sys.stdin)
m = d.get("members", [])
ok = len(m) == n and all(x.get("status") == "Up" for x in m) and d.get("leader") and not d.get("unreachable")
sys.exit(0 if ok else 1)' "$2"
}
sum_assigned() { local t=0 b; for b in "${BASES[@]}"; do t=$(( t + $(assigned_total "$b") )); done; echo "$t"; }
scrape_all() { # FILE: every node's /metrics in FILE-K, and all of them one after the other in FILE
  local k
  : > "$1"
  for (( k = 0; k < ${#BASES[@]}; k++ )); do
    curl -sf -m 30 "${BASES[k]}/metrics" > "$1-$k" || die "cannot read ${BASES[k]}/metrics"
    cat "$1-$k" >> "$1"
  done
}
# load N RUN_ID SECONDS OUT_PREFIX: one wrk per node at once, CONNS split over them; each writes OUT_PREFIX-K.txt
# (and -K.q, its quantiles) and its own CPU ticks (its children's, from its subshell) to OUT_PREFIX-K.cpu
load() {
  local n=$1 run=$2 seconds=$3 out=$4 k c
  WRK_PIDS=()
  for (( k = 0; k < n; k++ )); do
    c=$(( CONNS / n + (k < CONNS % n ? 1 : 0) ))
    echo "$c" > "$out-$k.conns"
    (
      rc=0
      wrk_new_conversations "${BASES[k]}" "$TENANT" "$API_KEY" "$TEAMS" "$run-$k" "$seconds" "$c" "$WRK_THREADS" 0 \
        "$out-$k.q" > "$out-$k.txt" 2>&1 || rc=$?
      me=$BASHPID; stat=$(cat "/proc/$me/stat"); stat=${stat##*) }; read -r -a f <<< "$stat"
      echo $(( f[13] + f[14] )) > "$out-$k.cpu"
      exit "$rc"
    ) &
    WRK_PIDS+=($!)
  done
  local failed=0 p
  for p in "${WRK_PIDS[@]}"; do wait "$p" || failed=1; done
  WRK_PIDS=()
  return "$failed"
}

# ---- one cluster of N --------------------------------------------------------------------------------
measure() {
  local n=$1 dir=$TOP_DIR/${1}n k
  mkdir -p "$dir"
  local load_before
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  SCHEMA=ct_${n}n_$(date +%H%M%S)
  reset_pg_schema "$PG_URL" "$SCHEMA"
  local -a ports=() cports=() mports=()
  BASES=()
  local -a free
  read -r -a free < <(free_ports $(( 3 * n )))
  for (( k = 0; k < n; k++ )); do
    ports+=("${free[3 * k]}"); cports+=("${free[3 * k + 1]}"); mports+=("${free[3 * k + 2]}")
    BASES+=("http://127.0.0.1:${ports[k]}")
  done
  local seeds="" pools=()
  for (( k = 0; k < n; k++ )); do seeds+="${seeds:+,}pekko://switchboard@127.0.0.1:${cports[k]}"; done
  [[ -n ${DB_POOL_SIZE:-} ]] && pools+=("SWITCHBOARD_DB_POOL_SIZE=$DB_POOL_SIZE")
  [[ -n ${READ_POOL_SIZE:-} ]] && pools+=("SWITCHBOARD_READ_POOL_SIZE=$READ_POOL_SIZE")
  local -a unset_env=()
  for v in $(compgen -e | grep '^SWITCHBOARD_' || true); do unset_env+=(-u "$v"); done
  start_node() { # K BOOTSTRAP(0|1)
    local k=$1 boot=()
    (( $2 )) && boot=("SWITCHBOARD_BOOTSTRAP=$BOOTSTRAP")
    # shellcheck disable=SC2086  # SERVER_JVM is a list of flags
    env "${unset_env[@]}" "${pools[@]}" "${boot[@]}" SWITCHBOARD_STORE=postgres "SWITCHBOARD_PG_URL=$PG_URL" \
      SWITCHBOARD_PG_USER=postgres "SWITCHBOARD_PG_SCHEMA=$SCHEMA" SWITCHBOARD_SEED_NODES="$seeds" \
      "SWITCHBOARD_SECRETS_KEY=$SECRETS_KEY" \
      SWITCHBOARD_HOST=127.0.0.1 SWITCHBOARD_PORT="${ports[k]}" SWITCHBOARD_CLUSTER_HOST=127.0.0.1 \
      SWITCHBOARD_CLUSTER_PORT="${cports[k]}" SWITCHBOARD_MANAGEMENT_PORT="${mports[k]}" SWITCHBOARD_ADMIN_KEY= \
      SWITCHBOARD_CONNECTOR_URL="http://127.0.0.1:$STUB_PORT" \
      java $SERVER_JVM -jar "$JAR" > "$dir/node-$((k + 1)).log" 2>&1 &
    NODE_PIDS+=($!)
  }
  await_members() { # M: every one of the first M nodes sees M members Up
    local m=$1 i k all
    for i in $(seq 1 240); do
      all=1
      for (( k = 0; k < m; k++ )); do members_ok "${mports[k]}" "$m" || { all=0; break; }; done
      (( all )) && return 0
      (( i < 240 )) || die "N=$n: no cluster of $m Up members within 120 s (see $dir)"
      sleep 0.5
    done
  }
  # Node 1 starts alone (it forms the cluster; the schema is not created concurrently), then nodes 2..N-1, and
  # node N last, once the others are Up, with the bootstrap file: the tenant's agents and teams (remembered
  # entities) are then allocated over all N nodes' shard regions. When node 1 applies it alone it holds every
  # agent's shard, and Pekko's rebalance moves a few shards per 10 s: the cluster would be measured while the
  # agents move (503s after ask time-outs), for many minutes.
  log "N=$n: schema $SCHEMA; node 1 alone, then 2..N-1, then node N with the bootstrap (HTTP ${ports[*]}, management ${mports[*]}); files in $dir"
  local t_start=$SECONDS
  start_node 0 $(( n == 1 ))
  await_ready "${NODE_PIDS[0]}" "${BASES[0]}" "$dir/node-1.log" "node 1"
  if (( n > 1 )); then
    for (( k = 1; k < n - 1; k++ )); do start_node "$k" 0; done
    for (( k = 1; k < n - 1; k++ )); do await_ready "${NODE_PIDS[k]}" "${BASES[k]}" "$dir/node-$((k + 1)).log" "node $((k + 1))"; done
    await_members $(( n - 1 ))
    start_node $(( n - 1 )) 1
    await_ready "${NODE_PIDS[n - 1]}" "${BASES[n - 1]}" "$dir/node-$n.log" "node $n"
  fi
  await_members "$n"
  local i all
  for i in $(seq 1 240); do
    all=1
    for (( k = 0; k < n; k++ )); do
      curl -sf -m 5 -o /dev/null -H "Authorization: Bearer $API_KEY" "${BASES[k]}/v1/tenants/$TENANT/conversations/counts" \
        || { all=0; break; }
    done
    (( all )) && break
    (( i < 240 )) || die "N=$n: tenant $TENANT does not answer on every node within 120 s (see $dir)"
    sleep 0.5
  done
  curl -sf "127.0.0.1:${mports[0]}/cluster/members" > "$dir/members.json" || true
  log "N=$n: $n members Up, tenant answers on every node, $(( SECONDS - t_start )) s after the first start"

  if (( WARMUP > 0 )); then
    log "N=$n: warm-up, $WARMUP s"
    load "$n" w "$WARMUP" "$dir/warmup" || log "N=$n: a warm-up wrk failed (ignored), see $dir/warmup-*.txt"
    for (( k = 0; k < n; k++ )); do
      kill -0 "${NODE_PIDS[k]}" 2>/dev/null || die "N=$n: node $((k + 1)) died during the warm-up, see $dir/node-$((k + 1)).log"
    done
    log "N=$n: warm-up $(cat "$dir"/warmup-*.txt | sed -n 's/^RESULT.* rps=\([0-9.]*\).*/\1/p' | paste -sd+) req/s; waiting for the routing to be quiet"
    local a
    for _ in $(seq 1 120); do a=$(sum_assigned); sleep 1; [[ $(sum_assigned) == "$a" ]] && break; done
  fi

  scrape_all "$dir/metrics-before.txt"
  local shown0 assigned0 pg0 m0 t0 t1 pg1 m1 load_end
  shown0=$(counts_total "${BASES[0]}" "$API_KEY" "$TENANT"); assigned0=$(sum_assigned)
  local -a cpu0=() cpu1=()
  for (( k = 0; k < n; k++ )); do cpu0+=("$(proc_ticks "${NODE_PIDS[k]}")"); done
  pg0=$(pg_ticks); m0=$(machine_ticks); t0=$(date +%s.%N)
  log "N=$n: measuring, $DURATION s, $CONNS connections over $n nodes"
  load "$n" m "$DURATION" "$dir/wrk" || die "N=$n: wrk failed, see $dir/wrk-*.txt"
  t1=$(date +%s.%N); pg1=$(pg_ticks); m1=$(machine_ticks); load_end=$(cut -d' ' -f1 /proc/loadavg)
  for (( k = 0; k < n; k++ )); do
    cpu1+=("$(proc_ticks "${NODE_PIDS[k]}" 2>/dev/null || echo 0)")
    kill -0 "${NODE_PIDS[k]}" 2>/dev/null || die "N=$n: node $((k + 1)) died during the run, see $dir/node-$((k + 1)).log"
  done
  local accepted=0 result
  for (( k = 0; k < n; k++ )); do
    result=$(grep '^RESULT' "$dir/wrk-$k.txt") || die "N=$n: no RESULT line from wrk, see $dir/wrk-$k.txt"
    accepted=$(( accepted + $(python3 -c 'import sys; kv = dict(p.split("=", 1) for p in sys.argv[1].split()[1:]); print(int(kv["requests"]) - int(kv["non2xx"]) - int(kv["errors"]))' "$result") ))
  done
  log "N=$n: $accepted accepted; waiting until every one is assigned and shown by the read models"
  local drained assigned_after shown_after assigned_within rm_lag
  assigned_since() { echo $(( $(sum_assigned) - assigned0 )); }
  shown_since() { echo $(( $(counts_total "${BASES[0]}" "$API_KEY" "$TENANT") - shown0 )); }
  # from the end of the load: every accepted one assigned, and shown by the read models (their catch-up lag)
  read -r assigned_after shown_after assigned_within rm_lag < <(await_caught_up "$accepted" "$DRAIN_MAX" "$t1" \
    assigned_since shown_since)
  if [[ $assigned_within == never || $rm_lag == never ]]; then
    drained="never(${DRAIN_MAX}s:assigned=$assigned_after,shown=$shown_after/$accepted)"
  else
    drained=$(python3 -c "print(max($assigned_within, $rm_lag))")
  fi
  scrape_all "$dir/metrics-after.txt"
  { curl -sf -m 10 -H "Authorization: Bearer $API_KEY" "${BASES[0]}/v1/tenants/$TENANT/conversations/counts" || echo '{}'; } \
    > "$dir/counts-after.json"
  local assign_p50 assign_p99 cpu_list="" wrk_ticks=0
  read -r assign_p50 assign_p99 < <(routing_quantiles "$dir/metrics-before.txt" "$dir/metrics-after.txt")
  for (( k = 0; k < n; k++ )); do
    cpu_list+="${cpu_list:+ }$(( cpu1[k] - cpu0[k] ))"
    wrk_ticks=$(( wrk_ticks + $(cat "$dir/wrk-$k.cpu" 2>/dev/null || echo 0) ))
  done
  python3 - "$n" "$dir" "$DURATION" "$CLK_TCK" "$t0" "$t1" "$cpu_list" "$(( pg1 - pg0 ))" "$wrk_ticks" "$(( m1 - m0 ))" \
    "$assign_p50" "$assign_p99" "$drained" "$load_before" "$load_end" "$rm_lag" <<'EOF'
import json, sys
(n, d, duration, tck, t0, t1, cpu_list, pg, wrk, machine, p50, p99, drained, load0, load1, rm_lag) = sys.argv[1:]
n, tck, secs = int(n), int(tck), float(t1) - float(t0)
runs = []
for k in range(n):
    kv = dict(p.split("=", 1) for p in open("%s/wrk-%d.txt" % (d, k)).read().split("RESULT", 1)[1].split())
    q = [(float(a), int(b)) for a, b in (l.split() for l in open("%s/wrk-%d.q" % (d, k)) if l.strip())]
    runs.append((kv, q))
accepted = [int(kv["requests"]) - int(kv["non2xx"]) - int(kv["errors"]) for kv, _ in runs]
rates = [a / (int(kv["duration_us"]) / 1e6) for a, (kv, _) in zip(accepted, runs)]
# merged latency: each wrk's quantile function (per 0.1 %) as 1000 equal-weight points, weighted by its requests
points = []
for kv, q in runs:
    w = int(kv["requests"]) / max(1, len(q))
    points += [(us, w) for _, us in q]
points.sort()
total = sum(w for _, w in points)
def pct(p):
    acc = 0.0
    for us, w in points:
        acc += w
        if acc >= p * total - 1e-9: return us / 1000
    return float("nan")
def gauges(path):
    g = {}
    for line in open(path):
        if line.startswith("switchboard_shard_region_"):
            name, value = line.rsplit(None, 1)
            g[name] = float(value)
    return g
before = [gauges("%s/metrics-before.txt-%d" % (d, k)) for k in range(n)]
after = [gauges("%s/metrics-after.txt-%d" % (d, k)) for k in range(n)]
# shards that left a node between the two scrapes (rebalances, hand-offs; the nodes poll every 5 s)
moved = sum(v - b.get(name, 0.0) for b, a in zip(before, after) for name, v in a.items() if "_left_total" in name)
shards = lambda region: "+".join("%d" % a.get('switchboard_shard_region_shards{region="%s"}' % region, 0) for a in after)
conv = lambda scrapes: sum(int(g.get('switchboard_shard_region_shards{region="Conversation"}', 0)) for g in scrapes)
counts = json.load(open("%s/counts-after.json" % d)).get("byStatus", {})
unassigned = sum(v for s, v in counts.items() if s != "ASSIGNED") if counts else "?"
cpu = lambda t: round(t * 100 / tck / secs)
conns_each = [int(open("%s/wrk-%d.conns" % (d, k)).read()) for k in range(n)]
print(" ".join([
    "CLUSTER_THROUGHPUT nodes=%d" % n,
    "conns=%d(%s)" % (sum(conns_each), "+".join(str(c) for c in conns_each)),
    "achieved=%.1f/s(%s)" % (sum(rates), "+".join("%.0f" % r for r in rates)),
    "accepted=%d" % sum(accepted),
    "http_p50/p99=%.1f/%.1fms" % (pct(0.5), pct(0.99)),
    "assign_p50/p99=%s/%s" % (p50, p99),
    "non2xx=%d errors=%d" % (sum(int(kv["non2xx"]) for kv, _ in runs), sum(int(kv["errors"]) for kv, _ in runs)),
    "assigned_all_within=%s" % (drained + "s" if not drained.startswith("never") else drained),
    "read_models_lag=%s" % (rm_lag if rm_lag == "never" else rm_lag + "s"),
    "unassigned=%s" % unassigned,
    "agent/team_shards=%s/%s conversation_shards=%d>%d shards_moved=%d" % (shards("Agent"), shards("Team"),
                                                                          conv(before), conv(after), moved),
    "cpu_nodes/postgres/wrk/machine=%s/%d/%d/%d%%" % ("+".join(str(cpu(int(t))) for t in cpu_list.split()),
                                                   cpu(int(pg)), cpu(int(wrk)), cpu(int(machine))),
    "load_avg=%s/%s" % (load0, load1)]))
EOF
  stop_nodes
}

for n in "${NODES_LIST[@]}"; do
  measure "$n"
done
