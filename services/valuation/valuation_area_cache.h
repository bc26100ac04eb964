/*
 * valuation_area_cache.h: comparable sales kept in valuation's memory, so
 * that valuing a lead needs no comps.search once its area has been seen.
 *
 * Two kinds of entries, both keyed by the valuation date (the 12-month
 * window moves with it):
 *   - a ZIP's summary: the centroid, median living area and count of its
 *     sales (what places a subject known only by its ZIP);
 *   - an area: the answer of the radius search around one exact point
 *     (val_area), the candidates of every subject placed there.
 * A hit returns exactly what the search would: the same sales in the same
 * order, so the estimate is the same.
 *
 * Freshness. Entries are valid for one generation of valuation's cache
 * (valuation:cache:gen in Redis, bumped by every comp.added that any
 * instance handles): val_area_cache_sync() with a newer generation drops
 * everything, so a sale another instance was told about is never missed.
 * The instance that handles a comp.added drops only what the sale touches
 * (val_area_cache_drop_near / _zip) and moves to the next generation.
 * Entries also expire after age_max_ms: the bound on staleness when a sale
 * was stored without its comp.added (comps could not publish it and the
 * client never retried), and on memory held for areas nobody asks about.
 *
 * Bounds: at most entries_max entries and sales_max sales in all; the least
 * recently used entries go first. An area of more than sales_max sales is
 * not kept.
 *
 * Pure: no I/O, no clock (the caller passes now_ms).
 */
#ifndef VALUATION_AREA_CACHE_H
#define VALUATION_AREA_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "valuation_area.h"

typedef struct val_area_cache val_area_cache;

/* A ZIP's sales, summarized (val_cands_summary); count 0: none. */
typedef struct val_zip_summary {
	double lat, lon, median_sqft;
	size_t count;
} val_zip_summary;

/* An empty cache with these bounds, at generation -1 (unknown: nothing is
 * kept until val_area_cache_sync()). NULL when out of memory. */
val_area_cache *val_area_cache_new(size_t entries_max, size_t sales_max,
                                   int64_t age_max_ms);
void val_area_cache_free(val_area_cache *c);

/* The generation the entries are valid for. */
long long val_area_cache_gen(const val_area_cache *c);
/* Moves to generation gen; every entry is dropped unless it is the
 * current one. */
void val_area_cache_sync(val_area_cache *c, long long gen);
/* Moves to generation gen after a bump this instance made itself, once it
 * dropped what that bump's sale touched: the rest is kept when gen follows
 * the current one, else everything is dropped (others bumped it too). */
void val_area_cache_advance(val_area_cache *c, long long gen);
/* Changes whenever an entry may have gone stale (a drop, a new
 * generation). A caller takes it before fetching and passes it to the put:
 * what was fetched across a change is not kept, as it may predate the
 * sale that caused it. */
uint64_t val_area_cache_epoch(const val_area_cache *c);

/* The area kept for the search around (lat, lon) as of day, or NULL. The
 * area is borrowed until the next call that changes the cache. */
const val_area *val_area_cache_get_area(val_area_cache *c, double lat,
                                        double lon, int32_t as_of,
                                        int64_t now_ms);
/* Keeps area (stolen: kept or freed) for that search, fetched since epoch.
 * false when it was not kept: more than sales_max sales, the epoch changed
 * or the generation is unknown. */
bool val_area_cache_put_area(val_area_cache *c, uint64_t epoch, double lat,
                             double lon, int32_t as_of, val_area *area,
                             int64_t now_ms);

/* The summary kept for zip as of day: true and *out, or false. */
bool val_area_cache_get_zip(val_area_cache *c, const char *zip, int32_t as_of,
                            int64_t now_ms, val_zip_summary *out);
/* Keeps a summary fetched since epoch; false when not kept. */
bool val_area_cache_put_zip(val_area_cache *c, uint64_t epoch, const char *zip,
                            int32_t as_of, const val_zip_summary *s,
                            int64_t now_ms);

/* Drops the areas whose centre lies within radius_mi of (lat, lon): those a
 * sale there may belong to. Returns how many. */
size_t val_area_cache_drop_near(val_area_cache *c, double lat, double lon,
                                double radius_mi);
/* Drops the summaries of zip. Returns how many. */
size_t val_area_cache_drop_zip(val_area_cache *c, const char *zip);
/* Drops every area (a sale whose place is unknown). Returns how many. */
size_t val_area_cache_drop_areas(val_area_cache *c);

/* Entries and sales held. */
size_t val_area_cache_entries(const val_area_cache *c);
size_t val_area_cache_sales(const val_area_cache *c);

#endif
