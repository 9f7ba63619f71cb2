-- wrk script: GET one API path (BENCH_PATH, key included) on every request,
-- and print a machine-readable summary. A non-"ok" answer counts as an error
-- (the API always answers HTTP 200).

local threads = {}
bad = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path = os.getenv("BENCH_PATH")
end

-- BENCH_DELAY_MS: a pause before each request (a paced load, not a flood).
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause then
  function delay()
    return pause
  end
end

function request()
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"status":"ok"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("bad")
  end
  io.write(string.format(
    "RESULT {\"requests\":%d,\"duration_us\":%d,\"status_errors\":%d,\"connect_errors\":%d,\"read_errors\":%d,\"write_errors\":%d,\"timeouts\":%d,\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d}\n",
    summary.requests, summary.duration, errors.status + not_ok, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
