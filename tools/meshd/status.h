/*
 * status.h: the `status` method: every service's slot, and for those up,
 * figures from their own `_metrics`:
 *   requests  calls handled, summed over the service's methods
 *   errors    of those, the ones that ended in an error
 *   p50_us, p99_us  latency quantiles over all its methods together (the
 *             per-method histograms share their buckets, so they add up)
 * Builtin methods (_health, _metrics, _methods) are left out: meshd's own
 * probes would otherwise be most of a quiet service's traffic.
 */
#ifndef MESHD_STATUS_H
#define MESHD_STATUS_H

#include <jansson.h>

#include "mesh.h"

/* How long one service's _metrics may take before status answers without
 * its figures. */
#define STATUS_METRICS_TIMEOUT_MS 1000

/* Replies to req once every service has answered or timed out. redis is
 * the "redis" member of the reply (stolen). */
void status_reply(mesh_req *req, json_t *redis);

/* Sums metrics_json() output ("methods" of _metrics) into obj's
 * "requests", "errors", "p50_us" and "p99_us". */
void status_merge_metrics(json_t *obj, json_t *methods);

#endif
