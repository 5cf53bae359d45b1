-- wrk script: replays requests from the file named by env BENCH_REQUESTS, one line per request:
--   METHOD <TAB> PATH <TAB> BEARER TOKEN or - <TAB> JSON BODY or - [<TAB> HEADERS]
-- HEADERS (optional) are `Name: value` pairs joined by `|` (the signed headers of a payment
-- notification).
-- Each thread starts at its own offset and walks the file round-robin. POSTs get a fresh
-- Idempotency-Key. The response hook counts statuses (201, other 2xx, 409, other 4xx, 5xx) per
-- thread; done() prints them as one line that bench/run.sh parses:
--   STATUS total=N s2xx=N s201=N s409=N s4xx=N s5xx=N other=N
local requests = {}
local pos = 1
local counter = 0
thread_no = 0

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_no", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function split(line)
  local out = {}
  for field in (line .. "\t"):gmatch("(.-)\t") do
    table.insert(out, field)
  end
  return out
end

function init(args)
  local path = os.getenv("BENCH_REQUESTS")
  for line in io.lines(path) do
    if #line > 0 then
      table.insert(requests, split(line))
    end
  end
  math.randomseed(os.time() * 1000 + thread_no)
  -- spread the threads over the file
  pos = (math.floor(#requests * thread_no / 8) % #requests) + 1
  s2xx, s201, s409, s4xx, s5xx, other, total = 0, 0, 0, 0, 0, 0, 0
end

function request()
  local r = requests[pos]
  pos = pos + 1
  if pos > #requests then pos = 1 end
  counter = counter + 1
  local headers = {}
  if r[3] ~= "-" then headers["Authorization"] = "Bearer " .. r[3] end
  local body = nil
  if r[4] ~= nil and r[4] ~= "-" then
    body = r[4]
    headers["Content-Type"] = "application/json"
  end
  if r[5] ~= nil and r[5] ~= "" then
    for pair in (r[5] .. "|"):gmatch("(.-)|") do
      local name, value = pair:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
    end
  end
  if r[1] == "POST" and r[5] == nil then
    headers["Idempotency-Key"] = string.format("wrk-%d-%d-%d-%d", thread_no, os.time(), counter, math.random(1, 1e9))
  end
  return wrk.format(r[1], r[2], headers, body)
end

function response(status, headers, body)
  total = total + 1
  if status == 201 then s201 = s201 + 1 end
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status >= 400 and status < 500 then s4xx = s4xx + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else other = other + 1 end
end

function done(summary, latency, requests_)
  local t = { total = 0, s2xx = 0, s201 = 0, s409 = 0, s4xx = 0, s5xx = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  io.write(string.format("STATUS total=%d s2xx=%d s201=%d s409=%d s4xx=%d s5xx=%d other=%d\n",
    t.total, t.s2xx, t.s201, t.s409, t.s4xx, t.s5xx, t.other))
  io.write(string.format("LATENCY p50_ms=%.2f p99_ms=%.2f mean_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
  io.write(string.format("RATE rps=%.1f errors_socket=%d\n",
    summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
