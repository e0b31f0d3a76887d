-- Half the requests ask for a page, half for JSON; every response is counted by status and
-- content type, so the script can check each one is an answer the state allowed.
local threads = {}
counts = {}
local n = 0

function setup(thread)
  table.insert(threads, thread)
end

function request()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("GET", "/about", { ["Accept"] = "text/html" })
  end
  return wrk.format("GET", "/api/demo/items", { ["Accept"] = "application/json" })
end

function response(status, headers, body)
  local kind = headers["content-type"] or headers["Content-Type"] or "-"
  kind = kind:match("^[^;]*")
  local key = status .. " " .. kind
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("counts")) do
      total[key] = (total[key] or 0) + count
    end
  end
  for key, count in pairs(total) do
    io.write(string.format("STATUS %s %d\n", key, count))
  end
  io.write(string.format("ERRORS %d %d %d %d %d\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status))
end
