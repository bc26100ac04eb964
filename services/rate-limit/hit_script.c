/*
 * hit_script.c: Lua text of the hit script (contract and hash layout in
 * hit_script.h).
 *
 * Lua numbers are doubles: milliseconds since the epoch (~1.7e12) and
 * bucket numbers stay far below 2^53. Every number sent to Redis goes
 * through '%.0f' (s() below) so it never turns into "1.7e+11": Redis
 * converts a bare Lua number with its own double formatting.
 *
 * Cost per hit: TIME, one HMGET of four fields that sit at the front of
 * the hash (written first), one HSET, and a PEXPIREAT only when a new
 * bucket begins. A bucket that leaves the window costs one HGET and its share
 * of one HDEL, once: each bucket is added once and removed once.
 */
#include "hit_script.h"

const char hit_script[] =
    "local key = KEYS[1]\n"
    "local limit = tonumber(ARGV[1])\n"
    "local window = tonumber(ARGV[2])\n"
    "local width = math.ceil(window / tonumber(ARGV[3]))\n"
    "local now = tonumber(ARGV[4])\n"
    "if now == nil then\n"
    "  local t = redis.call('TIME')\n"
    "  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "end\n"
    "local cur = math.floor(now / width)\n"
    /* Every bucket that overlaps (now - window, now] counts, whole. */
    "local first = math.floor((now - window) / width)\n"
    "local function s(n) return string.format('%.0f', n) end\n"
    /* The key lives exactly as long as its newest bucket counts (an
     * absolute time: the same instant whichever clock now came from). */
    "local function expire(b)\n"
    "  redis.call('PEXPIREAT', key, s((b + 1) * width + window))\n"
    "end\n"
    /* From whatever bucket fields the key holds (an older layout of plain
     * counts, a broken chain, foreign fields), the state again: live
     * buckets summed, fields that are not buckets dropped. */
    "local function rebuild()\n"
    "  local flat = redis.call('HGETALL', key)\n"
    "  local counts, order, st = {}, {}, {}\n"
    "  local function add(b, c)\n"
    "    if b ~= nil and c ~= nil and b >= first and c >= 1 then\n"
    "      if counts[b] == nil then\n"
    "        order[#order + 1] = b\n"
    "        counts[b] = 0\n"
    "      end\n"
    "      counts[b] = counts[b] + c\n"
    "    end\n"
    "  end\n"
    "  for i = 1, #flat, 2 do\n"
    "    local f, v = flat[i], flat[i + 1]\n"
    "    if string.find(f, '^%d+$') then\n"
    "      add(tonumber(f), tonumber(string.match(v, '^(%d+)$') or\n"
    "                               string.match(v, '^(%d+):%d+$')))\n"
    "    else\n"
    "      st[f] = v\n"
    "    end\n"
    "  end\n"
    "  add(tonumber(st.newest), tonumber(st.last))\n"
    "  redis.call('DEL', key)\n"
    "  if #order == 0 then return nil end\n"
    "  table.sort(order)\n"
    "  local n, total = #order, 0\n"
    "  local args = {'total', 0, 'oldest', s(order[1]), 'newest',\n"
    "                s(order[n]), 'last', s(counts[order[n]])}\n"
    "  for i = 1, n do\n"
    "    total = total + counts[order[i]]\n"
    "    if i < n then\n"
    "      args[#args + 1] = s(order[i])\n"
    "      args[#args + 1] = s(counts[order[i]]) .. ':' .. s(order[i + 1])\n"
    "    end\n"
    "  end\n"
    "  args[2] = s(total)\n"
    "  redis.call('HSET', key, unpack(args))\n"
    "  expire(order[n])\n"
    "  return total, order[1], order[n], counts[order[n]]\n"
    "end\n"
    "local healed = 0\n"
    "local total, oldest, newest, last\n"
    "local st = redis.pcall('HMGET', key, 'total', 'oldest', 'newest', "
    "'last')\n"
    "if st.err then\n"
    /* Not a hash: nobody but this script writes under its prefix, so the
     * value is garbage; start the key over. */
    "  redis.call('DEL', key)\n"
    "  healed = 1\n"
    "else\n"
    "  total, oldest, newest, last = tonumber(st[1]), tonumber(st[2]),\n"
    "                                tonumber(st[3]), tonumber(st[4])\n"
    "  if not (total and oldest and newest and last and oldest <= newest\n"
    "          and last >= 1 and total >= last) then\n"
    /* A fresh key reads four nils and is empty; anything else is an
     * older layout or a damaged one. */
    "    total = nil\n"
    "    if st[1] or st[2] or st[3] or st[4] or\n"
    "       redis.call('EXISTS', key) == 1 then\n"
    "      total, oldest, newest, last = rebuild()\n"
    "      healed = 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    /* Buckets that left the window: the oldest is read, subtracted and
     * deleted, then the one it names as next, and so on. */
    "local moved = false\n"
    "if total ~= nil and newest < first then\n"
    "  redis.call('DEL', key)\n"
    "  total = nil\n"
    "elseif total ~= nil and oldest < first then\n"
    "  local gone, left, at, broken = {}, total, oldest, false\n"
    "  while at < first do\n"
    "    local f = s(at)\n"
    "    local c, nx = string.match(redis.call('HGET', key, f) or '',\n"
    "                               '^(%d+):(%d+)$')\n"
    "    c, nx = tonumber(c), tonumber(nx)\n"
    "    if c == nil or nx == nil or nx <= at or nx > newest then\n"
    "      broken = true\n"
    "      break\n"
    "    end\n"
    "    left = left - c\n"
    "    gone[#gone + 1] = f\n"
    "    at = nx\n"
    "  end\n"
    /* Whatever is left is at least the newest bucket, and exactly it when
     * the walk reached it: a total that disagrees was written by someone
     * else. */
    "  if broken or left < last or (at == newest and left ~= last) then\n"
    "    total, oldest, newest, last = rebuild()\n"
    "    healed = 1\n"
    "  else\n"
    "    redis.call('HDEL', key, unpack(gone))\n"
    "    total, oldest, moved = left, at, true\n"
    "  end\n"
    "end\n"
    "local allowed = 0\n"
    "if total == nil then\n"
    "  allowed, total, oldest = 1, 1, cur\n"
    "  redis.call('HSET', key, 'total', 1, 'oldest', s(cur), 'newest', "
    "s(cur),\n"
    "             'last', 1)\n"
    "  expire(cur)\n"
    "elseif total < limit then\n"
    "  allowed, total = 1, total + 1\n"
    "  if cur > newest then\n"
    "    redis.call('HSET', key, 'total', s(total), 'oldest', s(oldest),\n"
    "               'newest', s(cur), 'last', 1,\n"
    "               s(newest), s(last) .. ':' .. s(cur))\n"
    "    expire(cur)\n"
    "  else\n"
    /* cur < newest only when Redis's clock stepped back: the hit joins the
     * newest bucket, held a little longer rather than shorter. */
    "    redis.call('HSET', key, 'total', s(total), 'oldest', s(oldest),\n"
    "               'last', s(last + 1))\n"
    "  end\n"
    "elseif moved then\n"
    "  redis.call('HSET', key, 'total', s(total), 'oldest', s(oldest))\n"
    "end\n"
    "return {allowed, total, (oldest + 1) * width + window - now, healed}\n";
