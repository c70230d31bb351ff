wrk.method = "POST"
wrk.path = "/pal/servlet/Payment/v40/authorise"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "bench"
wrk.body = '{"merchantAccount":"M","reference":"r","amount":{"value":1000,"currency":"EUR"},"card":{"number":"4111111111111111","expiryMonth":"03","expiryYear":"2030","cvc":"737","holderName":"APPROVED"}}'
