-- wrk script: webhook intake. Each request is one realistic Update (90%
-- chat_member joins and leaves, 10% my_chat_member promotions/demotions) for
-- one of the bots listed in BENCH_BOTS ("<bot id> <secret>" per line), with
-- its secret header and an update_id no other request uses. With
-- BENCH_FORGE set, the same bodies go to sequential bot ids with a forged
-- secret (the forged flood of issue 22, item 9).

local bots = {}
local threads = {}
local counter = 0
local thread_id = 0

local function load_bots()
  for line in io.lines(os.getenv("BENCH_BOTS")) do
    local id, secret = line:match("^(%d+) (%S+)$")
    if id then bots[#bots + 1] = { id = id, secret = secret } end
  end
end

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  load_bots()
  thread_id = tonumber(wrk.thread:get("thread_id"))
end

local member = [[{"update_id":%d,"chat_member":{"chat":{"id":-100%d,"title":"Bench channel %d","type":"channel"},"from":{"id":%d,"is_bot":false,"first_name":"User","username":"user%d","language_code":"en"},"date":%d,"old_chat_member":{"user":{"id":%d,"is_bot":false,"first_name":"User","username":"user%d"},"status":"%s"},"new_chat_member":{"user":{"id":%d,"is_bot":false,"first_name":"User","username":"user%d"},"status":"%s"},"invite_link":{"invite_link":"https://t.me/+AbCdEfGh%d","creator":{"id":1,"is_bot":false,"first_name":"Owner"},"creates_join_request":false,"is_primary":false,"is_revoked":false}}}]]

local mine = [[{"update_id":%d,"my_chat_member":{"chat":{"id":-100%d,"title":"Bench channel %d","type":"channel"},"from":{"id":1,"is_bot":false,"first_name":"Owner"},"date":%d,"old_chat_member":{"user":{"id":%s,"is_bot":true,"first_name":"Bench","username":"benchbot"},"status":"member"},"new_chat_member":{"user":{"id":%s,"is_bot":true,"first_name":"Bench","username":"benchbot"},"status":"%s","can_be_edited":false,"can_manage_chat":true,"can_change_info":true,"can_post_messages":true,"can_edit_messages":true,"can_delete_messages":true,"can_invite_users":true,"can_restrict_members":true,"can_promote_members":false,"can_manage_video_chats":true,"can_post_stories":true,"can_edit_stories":true,"can_delete_stories":true,"is_anonymous":false}}}]]

function request()
  counter = counter + 1
  local bot = bots[(counter * 7 + thread_id) % #bots + 1]
  -- Unique across threads and runs: BENCH_RUN separates runs. Above 1e12,
  -- clear of the sandbox's own update ids (below 1e9) and the growth rows'.
  local update_id = 1000000000000 + tonumber(os.getenv("BENCH_RUN")) * 100000000 + thread_id * 10000000 + counter
  local chat = 1000000000 + (counter % 5000)
  local user = 100000 + counter
  local date = 1700000000 + counter
  local body
  if counter % 10 == 0 then
    local status = (counter % 20 == 0) and "administrator" or "member"
    body = string.format(mine, update_id, chat, chat, date, bot.id, bot.id, status)
  else
    local joined = counter % 2 == 1
    local old, new = "left", "member"
    if not joined then old, new = "member", "left" end
    body = string.format(member, update_id, chat, chat, user, user, date, user, user, old, user, user, new, counter)
  end
  if os.getenv("BENCH_FORGE") then
    -- A forger: sequential bot ids, a secret that is nobody's.
    return wrk.format("POST", "/telegram/webhook/" .. tostring(1 + counter % 100000), {
      ["Content-Type"] = "application/json",
      ["X-Telegram-Bot-Api-Secret-Token"] = "forged-secret-" .. thread_id,
    }, body)
  end
  return wrk.format("POST", "/telegram/webhook/" .. bot.id, {
    ["Content-Type"] = "application/json",
    ["X-Telegram-Bot-Api-Secret-Token"] = bot.secret,
  }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT {\"requests\":%d,\"duration_us\":%d,\"status_errors\":%d,\"connect_errors\":%d,\"read_errors\":%d,\"write_errors\":%d,\"timeouts\":%d,\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d}\n",
    summary.requests, summary.duration, errors.status, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
