/*
 * hit_script.c: Lua text of the hit script (contract in hit_script.h).
 *
 * Lua numbers are doubles: milliseconds since the epoch (~1.7e12) and
 * bucket numbers stay far below 2^53, and bucket numbers are written with
 * '%.0f' so they never turn into "1.7e+11" field names.
 */
#include "hit_script.h"

const char hit_script[] =
    "local limit = tonumber(ARGV[1])\n"
    "local window = tonumber(ARGV[2])\n"
    "local width = math.ceil(window / tonumber(ARGV[3]))\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local cur = math.floor(now / width)\n"
    /* Every bucket that overlaps (now - window, now] counts, whole. */
    "local first = math.floor((now - window) / width)\n"
    "local flat = redis.call('HGETALL', KEYS[1])\n"
    "local count, oldest, stale = 0, nil, {}\n"
    "for i = 1, #flat, 2 do\n"
    "  local b = tonumber(flat[i])\n"
    "  if b == nil or b < first then\n"
    "    stale[#stale + 1] = flat[i]\n"
    "  else\n"
    "    count = count + tonumber(flat[i + 1])\n"
    "    if oldest == nil or b < oldest then oldest = b end\n"
    "  end\n"
    "end\n"
    "if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end\n"
    "local allowed = 0\n"
    "if count < limit then\n"
    "  allowed = 1\n"
    "  count = count + 1\n"
    "  redis.call('HINCRBY', KEYS[1], string.format('%.0f', cur), 1)\n"
    "  redis.call('PEXPIRE', KEYS[1], window + width)\n"
    "  if oldest == nil or cur < oldest then oldest = cur end\n"
    "end\n"
    "local reset = 0\n"
    "if oldest ~= nil then reset = (oldest + 1) * width + window - now end\n"
    "return {allowed, count, reset}\n";
