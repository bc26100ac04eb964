#include "metrics.h"

#include <stdio.h>
#include <string.h>

static const int64_t bounds[METRICS_BUCKETS] = {
    50,     100,     250,     500,     1000,    2500,
    5000,   10000,   25000,   50000,   100000,  250000,
    500000, 1000000, 2500000, 5000000, 7500000, 10000000};

static metrics_method methods[METRICS_MAX_METHODS];
static size_t n_methods;

const int64_t *metrics_bucket_bounds(void)
{
	return bounds;
}

metrics_method *metrics_for(const char *method)
{
	for (size_t i = 0; i < n_methods; i++)
		if (strcmp(methods[i].name, method) == 0)
			return &methods[i];
	/* The last slot is kept for "_other" so a flood of distinct names
	 * cannot grow memory or hide the real methods. */
	if (n_methods < METRICS_MAX_METHODS - 1) {
		metrics_method *m = &methods[n_methods++];
		snprintf(m->name, sizeof m->name, "%s", method);
		return m;
	}
	metrics_method *other = &methods[METRICS_MAX_METHODS - 1];
	snprintf(other->name, sizeof other->name, "_other");
	return other;
}

void metrics_record(metrics_method *m, mesh_err err, int64_t latency_us)
{
	size_t b = 0;

	m->count++;
	if (err != MESH_OK) {
		m->errors++;
		if ((unsigned)err < MESH_ERR_COUNT)
			m->by_error[err]++;
	}
	if (latency_us < 0)
		latency_us = 0;
	while (b < METRICS_BUCKETS && latency_us > bounds[b])
		b++;
	m->buckets[b]++;
	m->sum_us += (uint64_t)latency_us;
}

double metrics_quantile(const metrics_method *m, double q)
{
	uint64_t total = 0, seen = 0;

	for (size_t b = 0; b <= METRICS_BUCKETS; b++)
		total += m->buckets[b];
	if (total == 0)
		return 0;
	double rank = q * (double)total;
	for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
		if (m->buckets[b] == 0 ||
		    (double)(seen + m->buckets[b]) < rank) {
			seen += m->buckets[b];
			continue;
		}
		double lo = b == 0 ? 0 : (double)bounds[b - 1];
		double hi = b < METRICS_BUCKETS ? (double)bounds[b] : lo * 2;
		double frac = (rank - (double)seen) / (double)m->buckets[b];
		return lo + (hi - lo) * frac;
	}
	return (double)bounds[METRICS_BUCKETS - 1];
}

static json_t *method_json(const metrics_method *m)
{
	json_t *le = json_array(), *counts = json_array(),
	       *errs = json_object();

	for (size_t b = 0; b < METRICS_BUCKETS; b++)
		json_array_append_new(le, json_integer(bounds[b]));
	for (size_t b = 0; b <= METRICS_BUCKETS; b++)
		json_array_append_new(counts,
		                      json_integer((json_int_t)m->buckets[b]));
	for (int e = 1; e < MESH_ERR_COUNT; e++)
		if (m->by_error[e])
			json_object_set_new(
			    errs, mesh_strerror((mesh_err)e),
			    json_integer((json_int_t)m->by_error[e]));
	return json_pack(
	    "{s:I, s:I, s:o, s:{s:o, s:o, s:I}, s:f, s:f}", "count",
	    (json_int_t)m->count, "errors", (json_int_t)m->errors,
	    "errors_by_code", errs, "latency_us", "le", le, "counts", counts,
	    "sum", (json_int_t)m->sum_us, "p50_us", metrics_quantile(m, 0.5),
	    "p99_us", metrics_quantile(m, 0.99));
}

json_t *metrics_json(void)
{
	json_t *all = json_object();

	for (size_t i = 0; i < n_methods; i++)
		json_object_set_new(all, methods[i].name,
		                    method_json(&methods[i]));
	if (methods[METRICS_MAX_METHODS - 1].count)
		json_object_set_new(
		    all, "_other",
		    method_json(&methods[METRICS_MAX_METHODS - 1]));
	return all;
}

void metrics_reset(void)
{
	memset(methods, 0, sizeof methods);
	n_methods = 0;
}
