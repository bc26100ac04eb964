/*
 * metrics.h: per-method counters and latency histograms of this process,
 * exported by the _metrics builtin (and, through the gateway, as
 * Prometheus text).
 */
#ifndef MESH_METRICS_H
#define MESH_METRICS_H

#include <jansson.h>
#include <stdint.h>

#include "mesh.h"

/* Upper bounds of the latency buckets in microseconds; one more bucket
 * (+Inf) follows. Log-spaced from 50 us to 10 s. */
#define METRICS_BUCKETS 18

/* Distinct methods tracked; past it calls count under "_other". */
#define METRICS_MAX_METHODS 128

typedef struct metrics_method {
	char name[64];
	uint64_t count;
	uint64_t errors;
	uint64_t by_error[MESH_ERR_COUNT];
	uint64_t buckets[METRICS_BUCKETS + 1];
	uint64_t sum_us;
} metrics_method;

/* The entry for a method, created on first use. Never NULL. */
metrics_method *metrics_for(const char *method);
void metrics_record(metrics_method *m, mesh_err err, int64_t latency_us);
/* The bucket bounds, for exporters. */
const int64_t *metrics_bucket_bounds(void);
/* Quantile q (0..1) estimated from the histogram, in microseconds. */
double metrics_quantile(const metrics_method *m, double q);
/* Every method as {"name": {"count","errors","errors_by_code",
 * "latency_us": {"le": [...], "counts": [...], "sum"}, "p50_us",
 * "p99_us"}}. Caller owns the result. */
json_t *metrics_json(void);
/* Forgets everything (tests). */
void metrics_reset(void);

#endif
