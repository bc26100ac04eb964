/*
 * prom.h: Prometheus text exposition (format 0.0.4) of mesh metrics: the
 * _metrics replies of every service, and the gateway's own per-route
 * figures. Pure: JSON in, text out.
 */
#ifndef GATEWAY_PROM_H
#define GATEWAY_PROM_H

#include <jansson.h>

struct evbuffer;

/* services: {"name": <_metrics reply> or null when it did not answer}.
 * routes: the gateway's own metrics_json() (keys "METHOD /path").
 * Appends the whole exposition to out. */
void prom_render(struct evbuffer *out, json_t *services, json_t *routes);

#endif
