-- wrk script for bench/web_load_bench.py: rotates through a file of URLs and times each response by URL kind.
--
--   wrk -t N -c N -H 'Cookie: ...' -s bench/web_load.lua <base url> -- <urls file> <samples file> [think ms]
--
-- The urls file holds "kind<TAB>path" lines. Run it with as many threads as connections: each thread then drives
-- one connection, so its request() and response() calls alternate and the time between them is that request's
-- latency. With a think time each connection waits a random 0 to 2 × that many ms before each request, as a
-- person reading a page would (0: a closed loop, the next request as soon as the answer is in). done() writes
-- "kind<TAB>status<TAB>microseconds" lines, one per response, to the samples file.

local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *time);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function microseconds()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
  table.insert(threads, thread)
end

local urls = {}
local position = 0
local think_ms = 0
local started = 0
local current_kind = ""
-- Filled in response(), read by done() in the main state: parallel arrays, which wrk copies between states.
kinds = {}
statuses = {}
latencies = {}

function init(args)
  for line in io.lines(args[1]) do
    local kind, path = line:match("^([^\t]+)\t(.+)$")
    if kind then table.insert(urls, {kind, path}) end
  end
  if #urls == 0 then error("no URLs in " .. args[1]) end
  samples_path = args[2]
  think_ms = tonumber(args[3] or "0")
  if think_ms > 0 then
    -- Defined only with a think time: wrk takes the slower timer path for every request once delay() exists.
    math.randomseed(thread_number or 1)
    delay = function() return math.random(0, 2 * think_ms) end
  end
  -- Each thread starts at its own place in the list, so the connections do not ask for the same URL in step.
  position = ((thread_number or 1) * 7919) % #urls
end

function request()
  position = position % #urls + 1
  current_kind = urls[position][1]
  started = microseconds()
  return wrk.format("GET", urls[position][2])  -- with the -H headers
end

function response(status, response_headers, body)
  local elapsed = microseconds() - started
  local count = #latencies + 1
  kinds[count] = current_kind
  statuses[count] = status
  latencies[count] = elapsed
end

function done(summary, latency, requests)
  local output = assert(io.open(threads[1]:get("samples_path"), "w"))
  for _, thread in ipairs(threads) do
    local thread_kinds = thread:get("kinds")
    local thread_statuses = thread:get("statuses")
    local thread_latencies = thread:get("latencies")
    for index = 1, #thread_latencies do
      output:write(thread_kinds[index], "\t", thread_statuses[index], "\t",
                   string.format("%.0f", thread_latencies[index]), "\n")
    end
  end
  local errors = summary.errors
  output:write(string.format("#errors\tconnect=%d read=%d write=%d status=%d timeout=%d\n",
                             errors.connect, errors.read, errors.write, errors.status, errors.timeout))
  output:write(string.format("#summary\trequests=%d duration_us=%d\n", summary.requests, summary.duration))
  output:close()
end
