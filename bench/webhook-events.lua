-- wrk script: POSTs unique Iterable events (a mix of exempt and billable names) to /webhooks/iterable.
-- Every request carries a new messageId, so nothing is deduplicated away.
local names = {"emailSend", "emailOpen", "emailClick", "pushSend", "inAppClick", "smsSend", "emailBounce", "webPushClick"}
local counter = 0
local prefix = ""

function setup(thread)
  thread:set("prefix", tostring(math.random(1, 2^31)) .. "-" .. tostring(os.time()))
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "OAuth2 " .. (os.getenv("BENCH_TOKEN") or "bench-token")
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"email":"user%d@bench.example","eventName":"%s","dataFields":{"createdAt":"2026-11-02 18:51:45 +00:00","messageId":"%s-%d","campaignId":1234,"templateId":55}}',
    counter % 20000, names[counter % #names + 1], prefix, counter)
  return wrk.format(nil, "/webhooks/iterable", nil, body)
end
