/*
 * hit_script.h: the one Lua script behind rate-limit.hit (the algorithm is
 * described in rate_hit.h).
 *
 * KEYS[1]: the key's bucket hash. ARGV: limit, window in ms, buckets.
 * Returns {allowed 1|0, hits counted in the window (this one included when
 * allowed), ms until the oldest counted hit leaves the window}.
 */
#ifndef HIT_SCRIPT_H
#define HIT_SCRIPT_H

extern const char hit_script[];

#endif
