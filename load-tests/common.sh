# Shell helpers shared by load-tests/run.sh and load-tests/cluster-throughput.sh (sourced, not run).
# Callers set LOG_NAME (the prefix of log lines) and use bash with `set -euo pipefail`.

log() { printf '[%s %s] %s\n' "${LOG_NAME:-load-tests}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# free_ports COUNT: COUNT distinct free ports on one line (all bound at once, so none is given twice)
free_ports() {
  python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# new_secrets TENANT: prints "API_KEY APP_SECRET WEBHOOK_SECRET" (a fresh key of the tenant's format)
new_secrets() {
  python3 - "$1" <<'EOF'
import base64, secrets, sys
t = sys.argv[1]
key = "sb_%s.%s.%s" % (t, secrets.token_hex(6), base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))
print(key, secrets.token_hex(16), secrets.token_hex(16))
EOF
}

# new_secrets_key: prints a key for the tenants' secrets (base64 of 32 random bytes); a node on PostgreSQL
# refuses to start without one, and every node of one cluster needs the same (docs/ARCHITECTURE.md, "Tenant secrets")
new_secrets_key() {
  python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())'
}

# write_bootstrap PATH TENANT API_KEY APP_SECRET WEBHOOK_SECRET STUB_PORT AGENTS SILENT_AGENTS CAPACITY SIM TEAMS WEBHOOKS
# The load tenant's bootstrap file: agents a001.. in teams support, sales, pool, s001.. in silent, supervisor sup;
# for SIM saturate or paced instead TEAMS round-robin teams t01.. among which the agents a001.. are split.
# WEBHOOKS on|off: whether the tenant has an outbound webhook (to the stub receiver on STUB_PORT).
write_bootstrap() {
  python3 - "$@" <<'EOF'
import json, sys
path, tenant, key, app_secret, webhook_secret, stub_port = sys.argv[1:7]
agents, silent, capacity = (int(a) for a in sys.argv[7:10])
sim, teams, webhooks = sys.argv[10], int(sys.argv[11]), sys.argv[12] == "on"
regular = ["a%03d" % i for i in range(1, agents + 1)]
quiet = ["s%03d" % i for i in range(1, silent + 1)]
everyone = {a: {"capacity": {"*": capacity}, "languages": ["en"], "presence": "ONLINE"} for a in regular + quiet}
everyone["sup"] = {"capacity": {"*": 1000}, "role": "SUPERVISOR", "presence": "ONLINE"}
def team(members, strategy, reply_window, queue_wait, reroutes):
    return {"members": members, "strategy": strategy, "replyWindow": reply_window, "maxReroutes": reroutes,
            "queueWait": queue_wait, "escalation": {"supervisor": "sup"}}
doc = {"tenants": [{
    "id": tenant,
    "settings": {"displayName": "Load test", "verifyToken": "load-verify-token", "appSecret": app_secret,
                 "defaultTeam": "support",
                 "webhookUrl": "http://127.0.0.1:%s/events" % stub_port, "webhookSecret": webhook_secret,
                 "whatsappNumbers": {"100000001": "sales", "100000009": "silent"}},
    "apiKeys": [{"label": "load test", "key": key}],
    "agents": everyone,
    "teams": {
        "support": team(regular, "LEAST_BUSY", "PT10M", "PT2M", 2),
        "sales": team(regular, "ROUND_ROBIN", "PT10M", "PT2M", 2),
        "pool": team(regular, "MANUAL", "PT10M", "PT2M", 2),
        # agents who never answer: the window lapses, one re-route, then escalation to sup
        "silent": team(quiet, "ROUND_ROBIN", "PT2S", "PT5S", 1),
    }}]}
if sim in ("saturate", "paced"):
    # each agent in one team t01..tNN; nobody silent
    t = doc["tenants"][0]
    t["agents"] = {a: everyone[a] for a in regular}
    t["agents"]["sup"] = everyone["sup"]
    t["settings"]["defaultTeam"] = "t01"
    del t["settings"]["whatsappNumbers"]
    per = max(1, len(regular) // teams)
    t["teams"] = {"t%02d" % (k + 1): team(regular[k * per:(k + 1) * per] or regular[-1:], "ROUND_ROBIN", "PT10M",
                                          "PT2M", 2) for k in range(teams)}
if not webhooks:
    for k in ("webhookUrl", "webhookSecret"):
        doc["tenants"][0]["settings"].pop(k, None)
with open(path, "w") as f:
    json.dump(doc, f, indent=1)
EOF
}

# start_stub DIR PORT: the stub channel connector (POST /messages) and webhook receiver (POST /events),
# python3, in the background; sets STUB_PID. Its script and log go to DIR.
start_stub() {
  cat > "$1/connector.py" <<'EOF'
import json, sys, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        self._answer(200, {"id": "stub-" + uuid.uuid4().hex})
    def do_GET(self):
        self._answer(200, {"status": "ok"})
    def log_message(self, *args):
        pass

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Stub).serve_forever()
EOF
  python3 "$1/connector.py" "$2" > "$1/connector.log" 2>&1 &
  STUB_PID=$!
}

# reset_pg_schema JDBC_URL SCHEMA: creates the URL's database if missing, drops SCHEMA and creates it anew
reset_pg_schema() {
  local url=$1 schema=$2 db
  [[ $schema =~ ^[a-z_][a-z0-9_]*$ ]] || die "PG_SCHEMA must be a plain lower-case identifier"
  db=${url##*/}; db=${db%%\?*}
  local -a psql=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [[ -z $("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
    log "creating database $db"
    "${psql[@]}" -d postgres -c "CREATE DATABASE $db" >&2
  fi
  "${psql[@]}" -d "$db" -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema" >&2 \
    || die "cannot reset schema $schema of $db"
}

# drop_pg_schema JDBC_URL SCHEMA (errors ignored)
drop_pg_schema() {
  local db=${1##*/}; db=${db%%\?*}
  psql -h 127.0.0.1 -U postgres -qAt -d "$db" -c "DROP SCHEMA IF EXISTS $2 CASCADE" >/dev/null 2>&1 || true
}

# await_ready PID BASE_URL LOG_FILE [WHAT]: until BASE_URL/health/ready answers 200 (at most 120 s; dies when
# the process exits or is not ready in time, showing the end of its log)
await_ready() {
  local pid=$1 base=$2 logfile=$3 what=${4:-the gateway} i
  for i in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || { tail -30 "$logfile" >&2; die "$what exited during start-up"; }
    if curl -sf -o /dev/null "$base/health/ready"; then return 0; fi
    (( i < 240 )) || { tail -30 "$logfile" >&2; die "$what was not ready within 120 s"; }
    sleep 0.5
  done
}

# ---- measuring ---------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
# proc_ticks PID: CPU ticks (user + system) of the process
proc_ticks() {
  local stat
  stat=$(cat /proc/"$1"/stat)
  stat=${stat##*) }
  read -r -a f <<< "$stat"
  echo $(( f[11] + f[12] ))
}
# thread_ticks PID: one "name<TAB>tid<TAB>ticks" line per thread of the process (CPU ticks, user + system)
thread_ticks() {
  local d comm stat
  for d in /proc/"$1"/task/*; do
    comm=$(cat "$d/comm" 2>/dev/null) || continue
    stat=$(cat "$d/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -r -a f <<< "$stat"
    printf '%s\t%s\t%s\n' "$comm" "${d##*/}" $(( f[11] + f[12] ))
  done
}
# jit_ticks PID: CPU ticks (user + system) of the process's JIT compiler threads
jit_ticks() {
  local total=0 d comm stat
  for d in /proc/"$1"/task/*; do
    comm=$(cat "$d/comm" 2>/dev/null) || continue
    [[ $comm == C[12]\ Compiler* ]] || continue
    stat=$(cat "$d/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -r -a f <<< "$stat"
    total=$(( total + f[11] + f[12] ))
  done
  echo "$total"
}
pg_ticks() { # CPU ticks of every PostgreSQL process (the store shares the machine)
  local total=0 p stat
  for p in $(pgrep -x postgres 2>/dev/null); do
    stat=$(cat /proc/"$p"/stat 2>/dev/null) || continue
    stat=${stat##*) }; read -r -a f <<< "$stat"; total=$(( total + f[11] + f[12] ))
  done
  echo "$total"
}
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# assigned_total BASE_URL: assignments the node's /metrics counts (routing latency histogram's count)
assigned_total() {
  { curl -sf -m 10 "$1/metrics" || true; } | awk '/^switchboard_routing_latency_seconds_count/ { n += $NF } END { printf "%d\n", n }'
}
# counts_total BASE_URL API_KEY TENANT: conversations the read models show
counts_total() {
  { curl -sf -m 10 -H "Authorization: Bearer $2" "$1/v1/tenants/$3/conversations/counts" || echo '{}'; } \
    | python3 -c 'import json,sys; print(sum(json.load(sys.stdin).get("byStatus", {}).values()))'
}

# wrk_new_conversations BASE_URL TENANT API_KEY TEAMS RUN_ID SECONDS CONNS THREADS PACE [QUANTILES_FILE]
# wrk in a closed loop, every request a new conversation (wrk/new-conversations.lua); its last line is RESULT ..
wrk_new_conversations() {
  local lua
  lua="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/wrk/new-conversations.lua"
  SB_KEY=$3 SB_TEAMS=$4 SB_RUN=$5 SB_RATE=$9 SB_CONNS=$7 SB_QUANTILES=${10:-} \
    wrk -t"$8" -c"$7" -d"$6"s --timeout 10s -s "$lua" "$1/v1/tenants/$2/messages"
}

# routing_quantiles METRICS_BEFORE METRICS_AFTER: "p50 p99" of switchboard_routing_latency_seconds over the
# difference of the two scrapes (every label set, and every node when a file holds several nodes' scrapes),
# interpolated inside buckets like histogram_quantile ("-" without assignments)
routing_quantiles() {
  python3 - "$1" "$2" <<'EOF'
import math, re, sys
def hist(path):
    b = {}
    for line in open(path):
        m = re.match(r'switchboard_routing_latency_seconds_bucket\{.*?le="([^"]+)".*?\}\s+(\S+)', line)
        if m: b[m.group(1)] = b.get(m.group(1), 0.0) + float(m.group(2))
    return b
b0, b1 = hist(sys.argv[1]), hist(sys.argv[2])
les = sorted(b1, key=lambda le: math.inf if le == "+Inf" else float(le))
cum = [(le, b1[le] - b0.get(le, 0.0)) for le in les]
n = cum[-1][1] if cum else 0
def q(p):
    if n == 0: return "-"
    rank, prev_le, prev_n = p * n, 0.0, 0.0
    for le, c in cum:
        if c >= rank:
            if le == "+Inf": return ">%.0fms" % (prev_le * 1000)
            hi = float(le); frac = 0.0 if c == prev_n else (rank - prev_n) / (c - prev_n)
            return "%.1fms" % ((prev_le + (hi - prev_le) * frac) * 1000)
        prev_le, prev_n = float(le), c
    return "-"
print(q(0.5), q(0.99))
EOF
}

# await_caught_up ACCEPTED MAX_SECONDS SINCE ASSIGNED_CMD SHOWN_CMD: polls every 0.5 s until the counts that
# ASSIGNED_CMD and SHOWN_CMD print (assignments and conversations shown by the read models, each since the
# measured run began) both reach ACCEPTED, for at most MAX_SECONDS. Prints "ASSIGNED SHOWN ASSIGNED_AT SHOWN_AT":
# the last counts, and the seconds from SINCE (a `date +%s.%N`, the end of the load) until each count reached
# ACCEPTED, or "never" (the read models' catch-up lag is SHOWN_AT).
await_caught_up() {
  local accepted=$1 max=$2 since=$3 assigned=0 shown=0 assigned_at=never shown_at=never
  local deadline=$(( $(micros "$EPOCHREALTIME") + max * 1000000 ))
  while :; do
    if [[ $assigned_at == never ]]; then
      assigned=$($4)
      if (( assigned >= accepted )); then assigned_at=$(elapsed_since "$since"); fi
    fi
    if [[ $shown_at == never ]]; then
      shown=$($5)
      if (( shown >= accepted )); then shown_at=$(elapsed_since "$since"); fi
    fi
    if [[ $assigned_at != never && $shown_at != never ]]; then break; fi
    if (( $(micros "$EPOCHREALTIME") >= deadline )); then break; fi
    sleep 0.5
  done
  echo "$assigned $shown $assigned_at $shown_at"
}
# micros T: T (seconds with a fraction: `date +%s.%N`, $EPOCHREALTIME) in whole microseconds; no process
# started (python3 took over a second to start on the loaded machine, which the lags would have counted)
micros() { local f=${1#*.}000000; echo $(( ${1%.*} * 1000000 + 10#${f:0:6} )); }
# elapsed_since T: seconds (one decimal) from T (a `date +%s.%N`) until now
elapsed_since() {
  local d=$(( $(micros "$EPOCHREALTIME") - $(micros "$1") ))
  printf '%d.%d\n' $(( d / 1000000 )) $(( d % 1000000 / 100000 ))
}

# pg_table_rows JDBC_URL SCHEMA: one "table inserted updated deleted index_scans" line per table of SCHEMA, the
# statistics collector's counts since the tables were created. A backend reports its counts when its
# transaction ends but at most once a second, and an idle one up to 10 s later: read them 11 s after the work.
pg_table_rows() {
  local db=${1##*/}; db=${db%%\?*}
  psql -h 127.0.0.1 -U postgres -qAt -F ' ' -d "$db" -c "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del,
    COALESCE(idx_scan, 0) FROM pg_stat_user_tables WHERE schemaname = '$2' ORDER BY relname"
}
# rows_per_conversation TABLE_ROWS_FILE CONVERSATIONS: the rows written (inserted + updated + deleted) per
# conversation, "journal/read_models" (read models: sb_* and the projections' offsets), with a table of
# every table's figures per conversation on stderr
rows_per_conversation() {
  python3 - "$1" "$2" <<'EOF2'
import sys
rows, n = open(sys.argv[1]).read().split("\n"), int(sys.argv[2])
journal = read = 0.0
print("| table | inserted | updated | deleted | index scans | (per conversation, %d conversations) |" % n, file=sys.stderr)
print("|---|---:|---:|---:|---:|---|", file=sys.stderr)
for line in rows:
    if not line.strip():
        continue
    t, ins, upd, dele, idx = line.split()
    ins, upd, dele, idx = (int(x) / n for x in (ins, upd, dele, idx))
    if ins + upd + dele + idx < 0.001:
        continue
    print("| %s | %.3f | %.3f | %.3f | %.3f | |" % (t, ins, upd, dele, idx), file=sys.stderr)
    if t.startswith("sb_") or t.startswith("pekko_projection"):
        read += ins + upd + dele
    elif t in ("event_journal", "event_tag", "snapshot", "durable_state"):
        journal += ins + upd + dele
print("%.2f/%.2f" % (journal, read))
EOF2
}
