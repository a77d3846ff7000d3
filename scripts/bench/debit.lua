-- wrk script: POST a 1-credit debit per request, each with a unique reference.
-- args: mode (hot|spread) naccounts api_key nonce
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  mode, naccounts, key, nonce = args[1], tonumber(args[2]), args[3], args[4]
  headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
  counter = 0
  math.randomseed(os.time() * 1000 + tid)
end
function request()
  counter = counter + 1
  local n = 1
  if mode == "spread" then n = math.random(1, naccounts) end
  local path = string.format("/v1/accounts/acct_%026d/credits/debit", n)
  local body = string.format('{"credits":1,"operation":"bench","reference":"%s-%d-%d"}', nonce, tid, counter)
  return wrk.format("POST", path, headers, body)
end
