-- Unauthenticated flood: a fresh random well-formed key on every request, up to ~12,800/s over 128 connections.
math.randomseed(os.time())
local hex = "0123456789abcdef"
request = function()
  local t = {}
  for i = 1, 43 do local r = math.random(16); t[i] = hex:sub(r, r) end
  return wrk.format("GET", "/v1/payments/pay_00000000000000000000000000000000",
    {["Authorization"] = "Bearer sk_live_" .. table.concat(t)})
end
delay = function() return 7 end
