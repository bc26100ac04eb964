/*
 * hit_script.h: the one Lua script behind rate-limit.hit (the algorithm is
 * described in rate_hit.h).
 *
 * KEYS[1]: the key's bucket hash. ARGV: limit, window in ms, buckets, and
 * optionally now in ms (tests drive the clock with it; the service leaves
 * it out and Redis's TIME is the clock).
 * Returns {allowed 1|0, hits counted in the window (this one included when
 * allowed), ms until the oldest counted hit leaves the window, 1 when the
 * key's hash had to be rebuilt (an older layout or damaged fields) else 0}.
 *
 * The hash, so that a hit never reads every bucket:
 *   total   hits counted in all live buckets
 *   oldest  the oldest live bucket's number
 *   newest  the newest bucket's number (the one hits go to)
 *   last    hits in the newest bucket
 *   <b>     "<hits>:<next>" for every live bucket b older than newest:
 *           its hits and the number of the live bucket after it
 * A bucket that leaves the window is subtracted from total and deleted,
 * following the chain from oldest. The key expires when its newest bucket
 * leaves the window. A hash that does not read as this layout (a plain
 * count per bucket, as the script wrote before, or foreign fields) is
 * rebuilt from the bucket fields it has; a key that is not a hash is
 * started over.
 */
#ifndef HIT_SCRIPT_H
#define HIT_SCRIPT_H

extern const char hit_script[];

#endif
