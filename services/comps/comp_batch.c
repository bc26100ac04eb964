/* comp_batch.c: one announcement per ZIP of an import (see comp_batch.h). */
#include <math.h>

#include "comp_batch.h"

/* Redis GEO's earth radius (geohash_helper.c), in metres, and a mile. */
#define EARTH_RADIUS_M  6372797.560856
#define METRES_PER_MILE 1609.344

double comp_distance_mi(double lat1, double lon1, double lat2, double lon2)
{
	double rad = M_PI / 180.0;
	double u = sin((lat2 - lat1) * rad / 2),
	       v = sin((lon2 - lon1) * rad / 2);
	double a = u * u + cos(lat1 * rad) * cos(lat2 * rad) * v * v;

	return 2.0 * EARTH_RADIUS_M * asin(sqrt(a > 1 ? 1 : a)) /
	       METRES_PER_MILE;
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

json_t *comp_batch_by_zip(json_t *comps)
{
	json_t *groups = json_array(), *index = json_object();
	size_t i, n = json_array_size(comps);
	json_t *c, *g;

	/* Pass 1: sums per ZIP. */
	json_array_foreach(comps, i, c)
	{
		const char *zip = json_string_value(json_object_get(c, "zip"));
		if (!zip)
			continue;
		g = json_object_get(index, zip);
		if (!g) {
			g = json_pack("{s:s, s:f, s:f, s:f, s:i}", "zip", zip,
			              "lat", 0.0, "lon", 0.0, "radius_mi", 0.0,
			              "count", 0);
			json_array_append_new(groups, g);
			json_object_set(index, zip, g);
		}
		json_object_set_new(g, "lat",
		                    json_real(num(g, "lat") + num(c, "lat")));
		json_object_set_new(g, "lon",
		                    json_real(num(g, "lon") + num(c, "lon")));
		json_object_set_new(
		    g, "count",
		    json_integer(
		        json_integer_value(json_object_get(g, "count")) + 1));
	}
	json_array_foreach(groups, i, g)
	{
		double k =
		    (double)json_integer_value(json_object_get(g, "count"));
		json_object_set_new(g, "lat", json_real(num(g, "lat") / k));
		json_object_set_new(g, "lon", json_real(num(g, "lon") / k));
	}
	/* Pass 2: the farthest comp from its ZIP's centroid. */
	for (i = 0; i < n; i++) {
		c = json_array_get(comps, i);
		const char *zip = json_string_value(json_object_get(c, "zip"));
		if (!zip || !(g = json_object_get(index, zip)))
			continue;
		double d = comp_distance_mi(num(g, "lat"), num(g, "lon"),
		                            num(c, "lat"), num(c, "lon"));
		d = ceil(d * 1000.0) / 1000.0;
		if (d > num(g, "radius_mi"))
			json_object_set_new(g, "radius_mi", json_real(d));
	}
	json_decref(index);
	return groups;
}
