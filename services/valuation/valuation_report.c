/* valuation_report.c: the model's input and the reply (see
 * valuation_report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valuation_report.h"

static double num_or_nan(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

size_t val_cands_from_json(json_t *comps, val_comp *out)
{
	size_t i;
	json_t *c;

	if (!json_is_array(comps))
		return 0;
	json_array_foreach(comps, i, c)
	{
		val_comp *v = &out[i];
		json_t *year = json_object_get(c, "year_built");
		int32_t day;

		memset(v, 0, sizeof *v);
		v->id = json_string_value(json_object_get(c, "id"));
		v->home.lat = num_or_nan(c, "lat");
		v->home.lon = num_or_nan(c, "lon");
		v->home.sqft = num_or_nan(c, "sqft");
		v->home.beds = num_or_nan(c, "beds");
		v->home.baths = num_or_nan(c, "baths");
		v->home.lot_sqft = num_or_nan(c, "lot_sqft");
		v->home.year_built =
		    json_is_integer(year) ? (int)json_integer_value(year) : 0;
		v->price = num_or_nan(c, "price");
		/* An undated sale lies in the far future: never used. */
		v->sold_day =
		    val_day_parse(
		        json_string_value(json_object_get(c, "sold_date")),
		        &day)
		        ? day
		        : INT32_MAX;
	}
	return json_array_size(comps);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

bool val_cands_summary(const val_comp *c, size_t n, double *lat, double *lon,
                       double *median_sqft, size_t *count)
{
	double *sqft = malloc((n ? n : 1) * sizeof *sqft);
	double sum_lat = 0, sum_lon = 0;
	size_t k = 0;

	*count = 0;
	if (!sqft)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!val_comp_usable(&c[i]))
			continue;
		sum_lat += c[i].home.lat;
		sum_lon += c[i].home.lon;
		sqft[k++] = c[i].home.sqft;
	}
	if (k > 0) {
		qsort(sqft, k, sizeof *sqft, cmp_double);
		*median_sqft =
		    k % 2 ? sqft[k / 2] : (sqft[k / 2 - 1] + sqft[k / 2]) / 2;
		*lat = sum_lat / (double)k;
		*lon = sum_lon / (double)k;
		*count = k;
	}
	free(sqft);
	return k > 0;
}

bool val_subject_resolve(const val_args *a, double centroid_lat,
                         double centroid_lon, double median_sqft,
                         val_source median_source, size_t basis_count,
                         val_subject *out, char *why, size_t why_len)
{
	memset(out, 0, sizeof *out);
	memcpy(out->zip, a->zip, sizeof out->zip);
	out->home.lat = a->lat;
	out->home.lon = a->lon;
	out->home.sqft = a->sqft;
	out->home.beds = a->beds;
	out->home.baths = a->baths;
	out->home.year_built = a->year_built;
	out->home.lot_sqft = VAL_UNKNOWN;
	out->basis_count = basis_count;
	if (!a->has_point) {
		if (isnan(centroid_lat) || isnan(centroid_lon)) {
			snprintf(why, why_len,
			         "no comparable sales in ZIP %s to place the "
			         "subject: give lat and lon",
			         a->zip);
			return false;
		}
		out->home.lat = centroid_lat;
		out->home.lon = centroid_lon;
		out->location = VAL_SRC_ZIP;
	}
	if (isnan(a->sqft)) {
		if (isnan(median_sqft)) {
			snprintf(why, why_len,
			         "living area unknown and no comparable sales "
			         "to take a typical one from: give sqft");
			return false;
		}
		out->home.sqft = round(median_sqft);
		out->sqft = median_source;
	}
	return true;
}

static double round_to(double v, double step)
{
	return round(v / step) * step;
}

/* A number as JSON: an integer when whole, so that 612000 reads 612000. */
static json_t *number(double v)
{
	if (isnan(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

const char *val_source_name(val_source s, bool location)
{
	if (s == VAL_SRC_GIVEN)
		return "given";
	if (location)
		return "zip_centroid";
	return s == VAL_SRC_ZIP ? "zip_median" : "area_median";
}

static json_t *subject_json(const val_args *a, const val_subject *s)
{
	const val_property *h = s ? &s->home : NULL;

	return json_pack(
	    "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "lat",
	    number(h ? round_to(h->lat, 1e-6) : a->lat), "lon",
	    number(h ? round_to(h->lon, 1e-6) : a->lon), "zip",
	    a->zip[0] ? json_string(a->zip) : json_null(), "sqft",
	    number(h ? h->sqft : a->sqft), "beds", number(a->beds), "baths",
	    number(a->baths), "year_built",
	    a->year_built ? json_integer(a->year_built) : json_null(),
	    "location", val_source_name(s ? s->location : VAL_SRC_GIVEN, true),
	    "sqft_source", val_source_name(s ? s->sqft : VAL_SRC_GIVEN, false));
}

static json_t *found_json(const val_result *r)
{
	return json_pack("{s:I, s:I, s:I}", "0.5", (json_int_t)r->found[0], "1",
	                 (json_int_t)r->found[1], "2", (json_int_t)r->found[2]);
}

size_t val_report_notes(const val_subject *s,
                        char notes[VAL_NOTES_MAX][VAL_NOTE_LEN])
{
	size_t n = 0;

	if (s && s->location == VAL_SRC_ZIP)
		snprintf(notes[n++], VAL_NOTE_LEN,
		         "location unknown: valued at the centroid of %zu "
		         "sales in ZIP %s; confidence lowered",
		         s->basis_count, s->zip);
	if (s && s->sqft != VAL_SRC_GIVEN) {
		if (s->sqft == VAL_SRC_ZIP)
			snprintf(notes[n++], VAL_NOTE_LEN,
			         "living area unknown: used the median of %zu "
			         "sales in ZIP %s (%.0f sqft); confidence "
			         "lowered",
			         s->basis_count, s->zip, s->home.sqft);
		else
			snprintf(notes[n++], VAL_NOTE_LEN,
			         "living area unknown: used the median of %zu "
			         "nearby sales (%.0f sqft); confidence lowered",
			         s->basis_count, s->home.sqft);
	}
	return n;
}

static json_t *notes_json(const val_subject *s)
{
	char notes[VAL_NOTES_MAX][VAL_NOTE_LEN];
	size_t n = val_report_notes(s, notes);
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(notes[i]));
	return list;
}

double val_report_confidence(const val_subject *s, const val_result *r)
{
	double confidence = r->confidence;

	if (s->location == VAL_SRC_ZIP)
		confidence *= VAL_CONF_FACTOR_ZIP_CENTROID;
	if (s->sqft != VAL_SRC_GIVEN)
		confidence *= VAL_CONF_FACTOR_SQFT_MEDIAN;
	return round(confidence / 0.01) * 0.01;
}

const char *val_report_label(const val_subject *s, const val_result *r)
{
	double confidence = r->confidence;

	/* From the unrounded confidence, as always. */
	if (s->location == VAL_SRC_ZIP)
		confidence *= VAL_CONF_FACTOR_ZIP_CENTROID;
	if (s->sqft != VAL_SRC_GIVEN)
		confidence *= VAL_CONF_FACTOR_SQFT_MEDIAN;
	return confidence >= VAL_CONF_HIGH_MIN     ? "high"
	       : confidence >= VAL_CONF_MEDIUM_MIN ? "medium"
	                                           : "low";
}

/* A comp as the report itemizes it, its record's fields as comps stored
 * them (a whole number as an integer, an unknown one as null). */
static json_t *comp_json(const val_comp_used *u, const val_comp *c,
                         const val_sale_text *t)
{
	const val_adjustments *j = &u->adj;
	json_t *o;

	o = json_pack(
	    "{s:s?, s:s?, s:s?, s:f, s:s?, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
	    c->id, "address", t->address, "zip", t->zip, "distance_mi",
	    round_to(u->distance_mi, 0.001), "sold_date", t->sold_date,
	    "days_since_sale", (json_int_t)u->days_since_sale, "price",
	    number(u->sale_price), "sqft", number(c->home.sqft), "beds",
	    number(c->home.beds), "baths", number(c->home.baths), "year_built",
	    c->home.year_built ? json_integer(c->home.year_built)
	                       : json_null());
	json_object_set_new(
	    o, "adjustments",
	    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "time",
	              number(round(j->time)), "size", number(round(j->size)),
	              "beds", number(round(j->beds)), "baths",
	              number(round(j->baths)), "age", number(round(j->age)),
	              "total", number(round(j->total))));
	json_object_set_new(o, "adjusted_price",
	                    number(round(u->adjusted_price)));
	json_object_set_new(o, "weight", json_real(round_to(u->weight, 1e-4)));
	return o;
}

/* A comp as a lead's record names it: which sale, and what it counted
 * for. */
static json_t *comp_named(const val_comp_used *u, const val_comp *c)
{
	return json_pack("{s:s?, s:f, s:o, s:f}", "id", c->id, "distance_mi",
	                 round_to(u->distance_mi, 0.001), "adjusted_price",
	                 number(round(u->adjusted_price)), "weight",
	                 round_to(u->weight, 1e-4));
}

static json_t *report(const val_args *a, const val_subject *s,
                      const val_result *r, const val_area *area, bool itemized)
{
	char day[11];
	json_t *o, *list;

	val_day_format(a->as_of, day);
	if (r->status != VAL_OK) {
		o = val_report_no_value(a, s, r->reason);
		json_object_set_new(o, "found", found_json(r));
		return o;
	}
	list = json_array();
	for (size_t i = 0; i < r->n_listed; i++) {
		const val_comp_used *u = &r->comps[i];
		json_array_append_new(
		    list, itemized ? comp_json(u, &area->cands[u->index],
		                               &area->text[u->index])
		                   : comp_named(u, &area->cands[u->index]));
	}
	o = json_pack("{s:o, s:o, s:o, s:f, s:s, s:f, s:o, s:I, s:o, s:o, "
	              "s:o, s:s}",
	              "value", number(r->value), "low", number(r->low), "high",
	              number(r->high), "confidence",
	              val_report_confidence(s, r), "label",
	              val_report_label(s, r), "radius_mi", r->radius_mi,
	              "found", found_json(r), "comps_count",
	              (json_int_t)r->n_comps, "comps", list, "subject",
	              subject_json(a, s), "notes", notes_json(s), "as_of", day);
	return o;
}

json_t *val_report_json(const val_args *a, const val_subject *s,
                        const val_result *r, const val_area *area)
{
	return report(a, s, r, area, true);
}

json_t *val_report_lead(const val_args *a, const val_subject *s,
                        const val_result *r, const val_area *area)
{
	return report(a, s, r, area, false);
}

json_t *val_report_no_value(const val_args *a, const val_subject *s,
                            const char *reason)
{
	char day[11];

	val_day_format(a->as_of, day);
	return json_pack("{s:n, s:s, s:o, s:o, s:s}", "value", "reason", reason,
	                 "subject", subject_json(a, s), "notes", notes_json(s),
	                 "as_of", day);
}

/* The fields of a report that travel with a lead (lead.valued), and those
 * of its subject: how the home was placed and sized. */
static const char *const summary_fields[] = {
    "value",       "low",       "high",   "confidence", "label",
    "comps_count", "radius_mi", "reason", "as_of",
};
static const char *const summary_subject_fields[] = {"location", "sqft_source"};

static void copy_fields(json_t *to, json_t *from, const char *const *keys,
                        size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(from, keys[i]);
		if (v)
			json_object_set(to, keys[i], v);
	}
}

json_t *val_report_summary(json_t *report, const char *lead_id)
{
	json_t *o = json_pack("{s:s}", "lead_id", lead_id);

	copy_fields(o, report, summary_fields,
	            sizeof summary_fields / sizeof *summary_fields);
	copy_fields(
	    o, json_object_get(report, "subject"), summary_subject_fields,
	    sizeof summary_subject_fields / sizeof *summary_subject_fields);
	return o;
}
