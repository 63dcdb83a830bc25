-- wrk: a ~200-byte authenticated payment POST with a fresh Idempotency-Key on every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- The local stack's development key, or the one the environment names (docs/API.md, Authentication).
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("PAYMENTS_DEV_API_KEY") or "sk_test_local")
wrk.body = '{"amount":1999,"currency":"USD","customer_id":"cus_4242424242","payment_method":"pm_card_visa","description":"wrk payment of the benchmark, about two hundred bytes long","metadata":{"order":"o-1"}}'
local n = 0
request = function()
  n = n + 1
  wrk.headers["Idempotency-Key"] = "wrk-" .. tostring(os.time()) .. "-" .. tostring(math.random(1, 1e9)) .. "-" .. n
  return wrk.format()
end
