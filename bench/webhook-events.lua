-- wrk script: POSTs unique Iterable events (a mix of exempt and billable names) to /webhooks/iterable.
-- Every request carries a new messageId, so nothing is deduplicated away, and, as Iterable's do,
-- each event's createdAt is the time it happened (now).
local names = {"emailSend", "emailOpen", "emailClick", "pushSend", "inAppClick", "smsSend", "emailBounce", "webPushClick"}
local counter = 0

-- setup runs once per thread, in wrk's main Lua state, and sets the global "prefix" in the thread's
-- own state: the thread's number keeps the threads' ids apart, the clock one wrk process's from the
-- next. (The prefix was once shadowed by a local, always "": every thread and every wrk process
-- sent the same ids, and all but the first of each were redeliveries, deduplicated.)
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("prefix", tostring(os.time()) .. "-" .. threads)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "OAuth2 " .. (os.getenv("BENCH_TOKEN") or "bench-token")
end

-- BATCH events per request (1: one event object; more: a JSON array of them, as Iterable may batch)
local batch = tonumber(os.getenv("BATCH") or "1")

local function event()
  counter = counter + 1
  return string.format(
    '{"email":"user%d@bench.example","eventName":"%s","dataFields":{"createdAt":"%s","messageId":"%s-%d","campaignId":1234,"templateId":55}}',
    counter % 20000, names[counter % #names + 1], os.date("!%Y-%m-%d %H:%M:%S +00:00"), prefix, counter)
end

function request()
  local body
  if batch == 1 then
    body = event()
  else
    local events = {}
    for i = 1, batch do events[i] = event() end
    body = "[" .. table.concat(events, ",") .. "]"
  end
  return wrk.format(nil, "/webhooks/iterable", nil, body)
end
