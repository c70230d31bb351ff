-- Each connection cycles authorise -> capture -> refund, following the pspReference.
local step, psp = 0, nil
local headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = "bench" }
local base = "/pal/servlet/Payment/v40"
request = function()
  if step == 0 or psp == nil then
    return wrk.format("POST", base .. "/authorise", headers,
      '{"merchantAccount":"M","reference":"r","amount":{"value":1000,"currency":"EUR"},"card":{"number":"4111111111111111","expiryMonth":"03","expiryYear":"2030","cvc":"737","holderName":"APPROVED"}}')
  end
  local path = step == 1 and "/capture" or "/refund"
  return wrk.format("POST", base .. path, headers,
    '{"merchantAccount":"M","originalReference":"' .. psp .. '","modificationAmount":{"value":1000,"currency":"EUR"}}')
end
response = function(status, hdrs, body)
  if step == 0 then psp = body:match('"pspReference":"(%d+)"') end
  step = (step + 1) % 3
end
