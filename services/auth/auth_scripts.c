/*
 * auth_scripts.c: Lua text of the auth scripts (contracts in
 * auth_scripts.h).
 */
#include "auth_scripts.h"

#define LUA_NOW_MS                                                             \
	"local t = redis.call('TIME')\n"                                       \
	"local now = string.format('%.0f', tonumber(t[1]) * 1000 + "           \
	"math.floor(tonumber(t[2]) / 1000))\n"

const char auth_script_create[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 or "
    "redis.call('EXISTS', KEYS[2]) == 1 then\n"
    "  return 0\n"
    "end\n" LUA_NOW_MS
    "redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2],\n"
    "  'scopes', ARGV[3], 'customer_id', ARGV[4], 'hash', ARGV[5],\n"
    "  'created_at', now)\n"
    "redis.call('SET', KEYS[2], ARGV[1])\n"
    "redis.call('ZADD', KEYS[3], now, ARGV[1])\n"
    "if KEYS[4] then redis.call('ZADD', KEYS[4], now, ARGV[1]) end\n"
    "return tonumber(now)\n";

const char auth_script_verify[] =
    "local id = redis.call('GET', KEYS[1])\n"
    "if not id then return nil end\n"
    "local rk = ARGV[1] .. id\n"
    "local rec = redis.call('HGETALL', rk)\n"
    "local f = {}\n"
    "for i = 1, #rec, 2 do f[rec[i]] = rec[i + 1] end\n"
    "if not f['id'] or f['revoked_at'] then return nil end\n" LUA_NOW_MS
    "if tonumber(now) - tonumber(f['last_used_at'] or '0') >= "
    "tonumber(ARGV[2]) then\n"
    "  redis.call('HSET', rk, 'last_used_at', now)\n"
    "end\n"
    "return rec\n";

const char auth_script_revoke[] =
    "local f = redis.call('HMGET', KEYS[1], 'id', 'revoked_at', "
    "'customer_id', 'hash')\n"
    "if not f[1] then return nil end\n"
    "if f[2] then return {0, f[2], f[3] or ''} end\n" LUA_NOW_MS
    "redis.call('HSET', KEYS[1], 'revoked_at', now)\n"
    "if f[4] then\n"
    "  redis.call('DEL', ARGV[1] .. f[4])\n"
    "  redis.call('HDEL', KEYS[1], 'hash')\n"
    "end\n"
    "return {1, now, f[3] or ''}\n";

const char auth_script_list[] =
    "local total = redis.call('ZCARD', KEYS[1])\n"
    "local off = tonumber(ARGV[2])\n"
    "local ids = redis.call('ZREVRANGE', KEYS[1], off, "
    "off + tonumber(ARGV[3]) - 1)\n"
    "local out = {total}\n"
    "for _, id in ipairs(ids) do\n"
    "  local rec = redis.call('HGETALL', ARGV[1] .. id)\n"
    "  local pub = {}\n"
    "  for i = 1, #rec, 2 do\n"
    "    if rec[i] ~= 'hash' then\n"
    "      pub[#pub + 1] = rec[i]\n"
    "      pub[#pub + 1] = rec[i + 1]\n"
    "    end\n"
    "  end\n"
    "  if #pub > 0 then out[#out + 1] = pub end\n"
    "end\n"
    "return out\n";
