-- wrk script for 70-graphql.sh: POST "patient by id with the last 1,000
-- timeline events" for a random patient of [LO, HI] (env MEDTWIN_LO/HI),
-- counting GraphQL errors (HTTP 200 with an "errors" member) and non-200s.
local lo = tonumber(os.getenv("MEDTWIN_LO") or "1")
local hi = tonumber(os.getenv("MEDTWIN_HI") or "10000")
local token = os.getenv("MEDTWIN_TOKEN")
local query = 'query P($id: ID!) { patient(id: $id) { id timeline(last: 1000) { edges { node { time kind code value unit } } } } }'
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
  gql_errors = 0
  http_errors = 0
  short = 0
end

function request()
  local id = math.random(lo, hi)
  local body = '{"query":"' .. query .. '","variables":{"id":"' .. id .. '"}}'
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    http_errors = http_errors + 1
  elseif body:find('"errors"', 1, true) then
    gql_errors = gql_errors + 1
  elseif #body < 50000 then
    short = short + 1 -- 1,000 events are ~90 kB: a short answer is wrong
  end
end

function done(summary, latency, requests)
  local ge, he, sh = 0, 0, 0
  for _, t in ipairs(threads) do
    ge = ge + t:get("gql_errors")
    he = he + t:get("http_errors")
    sh = sh + t:get("short")
  end
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f graphql_errors=%d http_errors=%d socket_errors=%d short_answers=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    ge, he, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, sh))
end
