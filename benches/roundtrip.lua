-- authorise -> capture -> refund for every payment. wrk runs one Lua state per thread,
-- shared by that thread's connections, so a per-connection step counter would mix up
-- payments. Instead each authorisation's pspReference is queued twice (capture, then
-- refund) and the next free connection sends the oldest queued modification; with the
-- queue empty it authorises a new payment. Capture and refund of one payment may travel
-- on different connections; the twin acknowledges both ([capture-received],
-- [refund-received]) either way, as Adyen does, so every response must be 200.
local headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = "bench" }
local base = "/pal/servlet/Payment/v40"
local authorise = wrk.format("POST", base .. "/authorise", headers,
  '{"merchantAccount":"M","reference":"r","amount":{"value":1000,"currency":"EUR"},"card":{"number":"4111111111111111","expiryMonth":"03","expiryYear":"2030","cvc":"737","holderName":"APPROVED"}}')
local queue, head, tail = {}, 1, 0

request = function()
  if head > tail then return authorise end
  local item = queue[head]
  queue[head] = nil
  head = head + 1
  return wrk.format("POST", base .. item[1], headers,
    '{"merchantAccount":"M","originalReference":"' .. item[2] .. '","modificationAmount":{"value":1000,"currency":"EUR"}}')
end

response = function(status, hdrs, body)
  if status ~= 200 then return end
  local psp = body:match('"resultCode"') and body:match('"pspReference":"(%d+)"')
  if psp then
    queue[tail + 1] = { "/capture", psp }
    queue[tail + 2] = { "/refund", psp }
    tail = tail + 2
  end
end
