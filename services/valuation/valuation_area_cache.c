/* valuation_area_cache.c: sales kept in memory (see
 * valuation_area_cache.h). A few hundred entries at most: a linear scan
 * costs less than one hash of a key string would save. */
#include "valuation_area_cache.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
	bool used;
	bool is_zip;
	char zip[6];
	double lat, lon;
	int32_t as_of;
	int64_t born_ms;
	uint64_t last_use; /* c->clock when last hit or put: LRU order */
	val_zip_summary summary;
	val_area *area;
} entry;

struct val_area_cache {
	size_t entries_max, sales_max;
	int64_t age_max_ms;
	long long gen;
	uint64_t epoch;
	uint64_t clock;
	size_t entries, sales;
	entry *slot; /* entries_max */
};

val_area_cache *val_area_cache_new(size_t entries_max, size_t sales_max,
                                   int64_t age_max_ms)
{
	val_area_cache *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->slot = calloc(entries_max ? entries_max : 1, sizeof *c->slot);
	if (!c->slot) {
		free(c);
		return NULL;
	}
	c->entries_max = entries_max;
	c->sales_max = sales_max;
	c->age_max_ms = age_max_ms;
	c->gen = -1;
	return c;
}

static void entry_drop(val_area_cache *c, entry *e)
{
	if (!e->used)
		return;
	if (e->area)
		c->sales -= e->area->n;
	val_area_free(e->area);
	memset(e, 0, sizeof *e);
	c->entries--;
}

static void drop_all(val_area_cache *c)
{
	for (size_t i = 0; i < c->entries_max; i++)
		entry_drop(c, &c->slot[i]);
}

void val_area_cache_free(val_area_cache *c)
{
	if (!c)
		return;
	drop_all(c);
	free(c->slot);
	free(c);
}

long long val_area_cache_gen(const val_area_cache *c)
{
	return c->gen;
}

void val_area_cache_sync(val_area_cache *c, long long gen)
{
	if (gen == c->gen)
		return;
	drop_all(c);
	c->gen = gen;
	c->epoch++;
}

void val_area_cache_advance(val_area_cache *c, long long gen)
{
	if (c->gen >= 0 && gen == c->gen + 1) {
		c->gen = gen;
		c->epoch++;
	} else {
		val_area_cache_sync(c, gen);
	}
}

uint64_t val_area_cache_epoch(const val_area_cache *c)
{
	return c->epoch;
}

/* The live entry for the key, or NULL; an expired one is dropped. */
static entry *find(val_area_cache *c, bool is_zip, const char *zip, double lat,
                   double lon, int32_t as_of, int64_t now_ms)
{
	for (size_t i = 0; i < c->entries_max; i++) {
		entry *e = &c->slot[i];

		if (!e->used || e->is_zip != is_zip || e->as_of != as_of)
			continue;
		if (is_zip ? strcmp(e->zip, zip) != 0
		           : e->lat != lat || e->lon != lon)
			continue;
		if (now_ms - e->born_ms >= c->age_max_ms) {
			entry_drop(c, e);
			return NULL;
		}
		e->last_use = ++c->clock;
		return e;
	}
	return NULL;
}

static entry *least_recent(val_area_cache *c)
{
	entry *lru = NULL;

	for (size_t i = 0; i < c->entries_max; i++)
		if (c->slot[i].used &&
		    (!lru || c->slot[i].last_use < lru->last_use))
			lru = &c->slot[i];
	return lru;
}

/* A free slot once room is made for `sales` more sales, or NULL when the
 * cache holds no entry at all (entries_max 0). */
static entry *make_room(val_area_cache *c, size_t sales)
{
	entry *e;

	while (c->entries > 0 && (c->entries >= c->entries_max ||
	                          c->sales + sales > c->sales_max))
		entry_drop(c, least_recent(c));
	for (size_t i = 0; i < c->entries_max; i++)
		if (!c->slot[i].used) {
			e = &c->slot[i];
			e->used = true;
			e->last_use = ++c->clock;
			c->entries++;
			return e;
		}
	return NULL;
}

const val_area *val_area_cache_get_area(val_area_cache *c, double lat,
                                        double lon, int32_t as_of,
                                        int64_t now_ms)
{
	entry *e = find(c, false, NULL, lat, lon, as_of, now_ms);

	return e ? e->area : NULL;
}

bool val_area_cache_put_area(val_area_cache *c, uint64_t epoch, double lat,
                             double lon, int32_t as_of, val_area *area,
                             int64_t now_ms)
{
	entry *e = find(c, false, NULL, lat, lon, as_of, now_ms);

	if (e)
		entry_drop(c, e);
	if (c->gen < 0 || epoch != c->epoch || area->n > c->sales_max ||
	    !(e = make_room(c, area->n))) {
		val_area_free(area);
		return false;
	}
	e->lat = lat;
	e->lon = lon;
	e->as_of = as_of;
	e->born_ms = now_ms;
	e->area = area;
	c->sales += area->n;
	return true;
}

bool val_area_cache_get_zip(val_area_cache *c, const char *zip, int32_t as_of,
                            int64_t now_ms, val_zip_summary *out)
{
	entry *e = find(c, true, zip, 0, 0, as_of, now_ms);

	if (!e)
		return false;
	*out = e->summary;
	return true;
}

bool val_area_cache_put_zip(val_area_cache *c, uint64_t epoch, const char *zip,
                            int32_t as_of, const val_zip_summary *s,
                            int64_t now_ms)
{
	entry *e;

	if (c->gen < 0 || epoch != c->epoch || strlen(zip) >= sizeof e->zip)
		return false;
	if (!(e = find(c, true, zip, 0, 0, as_of, now_ms))) {
		if (!(e = make_room(c, 0)))
			return false;
		e->is_zip = true;
		memcpy(e->zip, zip, strlen(zip) + 1);
		e->as_of = as_of;
	}
	e->born_ms = now_ms;
	e->summary = *s;
	return true;
}

size_t val_area_cache_drop_near(val_area_cache *c, double lat, double lon,
                                double radius_mi)
{
	size_t n = 0;

	c->epoch++; /* a fetch in flight may predate the sale */

	for (size_t i = 0; i < c->entries_max; i++) {
		entry *e = &c->slot[i];

		if (e->used && !e->is_zip &&
		    val_distance_mi(e->lat, e->lon, lat, lon) <= radius_mi) {
			entry_drop(c, e);
			n++;
		}
	}
	return n;
}

size_t val_area_cache_drop_zip(val_area_cache *c, const char *zip)
{
	size_t n = 0;

	c->epoch++; /* a fetch in flight may predate the sale */

	for (size_t i = 0; i < c->entries_max; i++) {
		entry *e = &c->slot[i];

		if (e->used && e->is_zip && strcmp(e->zip, zip) == 0) {
			entry_drop(c, e);
			n++;
		}
	}
	return n;
}

size_t val_area_cache_drop_areas(val_area_cache *c)
{
	size_t n = 0;

	c->epoch++; /* a fetch in flight may predate the sale */

	for (size_t i = 0; i < c->entries_max; i++)
		if (c->slot[i].used && !c->slot[i].is_zip) {
			entry_drop(c, &c->slot[i]);
			n++;
		}
	return n;
}

size_t val_area_cache_entries(const val_area_cache *c)
{
	return c->entries;
}

size_t val_area_cache_sales(const val_area_cache *c)
{
	return c->sales;
}
