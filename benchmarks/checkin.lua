-- wrk script of `heli bench checkin` (heli/bench/load.py runs it; see docs/benchmarks.md).
--
-- wrk -t T -c C -d S -s benchmarks/checkin.lua URL -- [BODIES COOKIE T OFFSET]
--
-- Without arguments every request is a GET of URL (the baseline view). With a file of form
-- bodies (one urlencoded body per line), a Cookie header value, the thread count and an
-- offset, every request POSTs a body to URL: thread t of T sends bodies OFFSET+t, OFFSET+t+T,
-- OFFSET+t+2T, ... (wrapping around), so that the driver knows which members were posted from
-- the number of requests each thread issued, and starts the next run after them.
-- At the end one line "JSON {...}" gives the counts and latencies the driver reads.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  issued = 0
  step = 1
  offset = 0
  if args[1] then
    for line in io.lines(args[1]) do
      bodies[#bodies + 1] = line
    end
    headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = args[2],
    }
    step = tonumber(args[3]) or 1
    offset = tonumber(args[4]) or 0
  end
end

function request()
  if #bodies == 0 then
    return wrk.format("GET")
  end
  local index = (offset + id + issued * step) % #bodies + 1
  issued = issued + 1
  return wrk.format("POST", nil, headers, bodies[index])
end

function done(summary, latency, requests)
  local issued_by_thread = {}
  for i, thread in ipairs(threads) do
    issued_by_thread[i] = tostring(thread:get("issued") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "issued": [%s]}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max,
    table.concat(issued_by_thread, ", ")
  ))
end
