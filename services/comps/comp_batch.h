/*
 * comp_batch.h: what an import announces. One comp.added event per ZIP of
 * the batch rather than one per comp (an import of 5000 comps would
 * otherwise flood every subscriber): the event names the ZIP, the centroid
 * of the batch's comps in it, and how far the farthest of them lies from
 * that centroid, so that a subscriber dropping cached estimates "within 2
 * miles of the new comps" drops those within 2 + radius_mi of the centroid.
 *
 * Pure: no I/O, no globals.
 */
#ifndef COMP_BATCH_H
#define COMP_BATCH_H

#include <jansson.h>

/* Great-circle distance in miles on the sphere Redis GEO uses. */
double comp_distance_mi(double lat1, double lon1, double lat2, double lon2);

/* From an array of canonical records (borrowed), a new array with one
 * object per ZIP in order of first appearance:
 *   {"zip", "lat", "lon", "radius_mi", "count"}
 * where radius_mi is rounded up to 0.001 mile. */
json_t *comp_batch_by_zip(json_t *comps);

#endif
