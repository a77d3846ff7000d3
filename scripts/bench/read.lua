-- wrk script: GET a random account's balance.
-- args: path_format naccounts [api_key]
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  fmt, naccounts = args[1], tonumber(args[2])
  headers = {}
  if args[3] and args[3] ~= "" then headers["Authorization"] = "Bearer " .. args[3] end
  math.randomseed(os.time() * 1000 + tid)
end
function request()
  return wrk.format("GET", string.format(fmt, math.random(1, naccounts)), headers)
end
