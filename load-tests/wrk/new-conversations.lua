-- wrk script for load-tests/run.sh (storm measured the way shared/limits measures its ceilings):
-- every request is the opening message of a new conversation, a contact never seen before, sent to
-- POST /v1/tenants/{tenant}/messages and spread round-robin over the teams t01..tNN.
-- Environment: SB_KEY (API key), SB_TEAMS (number of teams, default 1: the tenant's default team),
-- SB_RUN (contact prefix, unique per run).
-- done() prints one line: RESULT requests=.. rps=.. p50_us=.. p90_us=.. p99_us=.. max_us=.. non2xx=.. errors=..
-- (non2xx: answers of status 400 or more; errors: connect, read, write and timeout errors)
-- SB_RATE (requests/s over all connections, default 0: as fast as answered) with SB_CONNS (the -c
-- given to wrk): each connection waits SB_CONNS * 1000 / SB_RATE ms before its next request, which
-- offers about SB_RATE/s while answers are much faster than that pause (closed loop: a slow answer
-- delays that connection's next request, so the achieved rate is the one to quote).
-- SB_QUANTILES (a file path, optional): done() also writes the latency's quantiles there, one line
-- "PERCENT MICROSECONDS" per 0.1 % (0.1 .. 100), so that several wrk processes' latencies can be merged
-- (load-tests/cluster-throughput.sh; wrk's Lua API does not expose the raw histogram).
local key = os.getenv("SB_KEY") or ""
local teams = tonumber(os.getenv("SB_TEAMS") or "1")
local run = os.getenv("SB_RUN") or tostring(os.time())

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

local rate = tonumber(os.getenv("SB_RATE") or "0")
local conns = tonumber(os.getenv("SB_CONNS") or "64")
if rate > 0 then
  local pause = math.floor(conns * 1000 / rate)
  function delay()
    return pause
  end
end

local n = 0
function request()
  n = n + 1
  local team = ""
  if teams > 1 then team = string.format(',"team":"t%02d"', (n % teams) + 1) end
  local body = string.format('{"channel":"webchat","contact":"%s-%d-%d","messageId":"%s-%d-%d-1",'
    .. '"text":"Hi! My order #%d has not arrived yet, can you help?"%s}', run, tid, n, run, tid, n, n, team)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors -- e.status: answers with a status of 400 or more
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d "
      .. "errors=%d\n",
    summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
  local path = os.getenv("SB_QUANTILES") or ""
  if path ~= "" then
    local f = assert(io.open(path, "w"))
    for i = 1, 1000 do
      f:write(string.format("%.1f %d\n", i / 10, latency:percentile(i / 10)))
    end
    f:close()
  end
end
