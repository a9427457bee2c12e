-- wrk script for benches/bench.sh: one endpoint per run, chosen by BENCH_MODE.
--
--   trivial            GET  /                              (baseline: returns {})
--   schema_by_id       GET  /schemas/ids/{id}              (ids rotate over the loaded ones)
--   latest             GET  /subjects/{s}/versions/latest  (subjects rotate)
--   lookup             POST /subjects/{s}                  (an already registered schema)
--   register_existing  POST /subjects/{s}/versions         (re-register an existing schema)
--   register_new       POST /subjects/{s}/versions         (a schema never registered before)
--
-- The loaded data (benches/load.py): schema i (0-based, i < BENCH_SCHEMAS) is the
-- record R<i> with one int field f<i>, registered under subject
-- BENCH_PREFIX<i % BENCH_SUBJECTS>. Schema ids are BENCH_MIN_ID..BENCH_MAX_ID.
-- Bodies must be byte-identical to what load.py sends.
--
-- done() prints one machine-readable line, "BENCH_RESULT key=value ...".

local mode = os.getenv("BENCH_MODE") or "trivial"
local nschemas = tonumber(os.getenv("BENCH_SCHEMAS") or "10000")
local nsubjects = tonumber(os.getenv("BENCH_SUBJECTS") or "1000")
local min_id = tonumber(os.getenv("BENCH_MIN_ID") or "1")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or tostring(nschemas))
local prefix = os.getenv("BENCH_PREFIX") or "bench-"
local run_tag = os.getenv("BENCH_RUN_TAG") or "x"

local nids = max_id - min_id + 1
local threads = {}
local thread_no = 0

function setup(thread)
  thread:set("tid", thread_no)
  thread_no = thread_no + 1
  table.insert(threads, thread)
end

local headers = { ["Content-Type"] = "application/vnd.schemaregistry.v1+json" }

local function schema_body(i)
  return '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"R' .. i ..
         '\\",\\"fields\\":[{\\"name\\":\\"f' .. i .. '\\",\\"type\\":\\"int\\"}]}"}'
end

local function new_schema_body(t, n)
  local name = "N" .. run_tag .. "_" .. t .. "_" .. n
  return '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"' .. name ..
         '\\",\\"fields\\":[{\\"name\\":\\"g' .. n .. '\\",\\"type\\":\\"string\\"}]}"}'
end

local counter = 0
local t = 0

function init(args)
  t = tonumber(tid) or 0
  -- Threads start at different points of the rotation.
  counter = t * 7919
end

function request()
  counter = counter + 1
  if mode == "trivial" then
    return wrk.format("GET", "/")
  elseif mode == "schema_by_id" then
    local id = min_id + counter % nids
    return wrk.format("GET", "/schemas/ids/" .. id)
  elseif mode == "latest" then
    local s = counter % nsubjects
    return wrk.format("GET", "/subjects/" .. prefix .. s .. "/versions/latest")
  elseif mode == "lookup" then
    local i = counter % nschemas
    return wrk.format("POST", "/subjects/" .. prefix .. (i % nsubjects), headers, schema_body(i))
  elseif mode == "register_existing" then
    local i = counter % nschemas
    return wrk.format("POST", "/subjects/" .. prefix .. (i % nsubjects) .. "/versions", headers, schema_body(i))
  elseif mode == "register_new" then
    local s = counter % nsubjects
    return wrk.format("POST", "/subjects/" .. prefix .. s .. "/versions", headers, new_schema_body(t, counter))
  else
    error("unknown BENCH_MODE " .. mode)
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT mode=%s requests=%d duration_s=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "mean_us=%.1f err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    mode, summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
