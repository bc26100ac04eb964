/* valuation_report_text.c: the report as JSON text (see
 * valuation_report_text.h). Every field in val_report_json's order, every
 * number and string formatted as jansson's dump formats it. */
#include "valuation_report_text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A first allocation that holds a usual report (4-6 KB) at once. */
#define TEXT_INITIAL 8192

typedef struct text {
	char *p;
	size_t len, cap;
	bool failed;
} text;

static void put(text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : TEXT_INITIAL;
		char *p;

		while (t->len + n + 1 > cap)
			cap *= 2;
		if (!(p = realloc(t->p, cap))) {
			t->failed = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void put_s(text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_int(text *t, long long v)
{
	char buf[24];

	put(t, buf, (size_t)snprintf(buf, sizeof buf, "%lld", v));
}

/* As jansson's jsonp_dtostr: %.*g, then ".0" when it would read as an
 * integer, and an exponent without '+' or leading zeros. */
static void put_real(text *t, double v)
{
	char buf[40], *e, *from;
	int n = snprintf(buf, sizeof buf, "%.*g", VAL_TEXT_REAL_DIGITS, v);

	if (n < 0 || (size_t)n >= sizeof buf - 3) {
		t->failed = true;
		return;
	}
	if (!strchr(buf, '.') && !strchr(buf, 'e'))
		memcpy(buf + n, ".0", 3);
	if ((e = strchr(buf, 'e'))) {
		e++;
		from = e + 1;
		if (*e == '-')
			e++;
		while (*from == '0')
			from++;
		memmove(e, from, strlen(from) + 1);
	}
	put_s(t, buf);
}

/* As valuation_report.c's number(): null, an integer when whole, else a
 * real. */
static void put_number(text *t, double v)
{
	if (isnan(v))
		put_s(t, "null");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		put_int(t, (long long)v);
	else
		put_real(t, v);
}

/* A string as jansson dumps it without JSON_ENSURE_ASCII; NULL: null. */
static void put_str(text *t, const char *s)
{
	const char *run;

	if (!s) {
		put_s(t, "null");
		return;
	}
	put(t, "\"", 1);
	for (run = s; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(t, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
			put_s(t, "\\\"");
			break;
		case '\\':
			put_s(t, "\\\\");
			break;
		case '\b':
			put_s(t, "\\b");
			break;
		case '\f':
			put_s(t, "\\f");
			break;
		case '\n':
			put_s(t, "\\n");
			break;
		case '\r':
			put_s(t, "\\r");
			break;
		case '\t':
			put_s(t, "\\t");
			break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			put_s(t, esc);
		}
	}
	put(t, run, (size_t)(s - run));
	put(t, "\"", 1);
}

/* ,"key": (no comma before the first key of an object). */
static void put_key(text *t, const char *key, bool first)
{
	if (!first)
		put(t, ",", 1);
	put_str(t, key);
	put(t, ":", 1);
}

static double round_to(double v, double step)
{
	return round(v / step) * step;
}

static void put_comp(text *t, const val_comp_used *u, const val_comp *c,
                     const val_sale_text *x)
{
	const val_adjustments *j = &u->adj;

	put_key(t, "id", true);
	put_str(t, c->id);
	put_key(t, "address", false);
	put_str(t, x->address);
	put_key(t, "zip", false);
	put_str(t, x->zip);
	put_key(t, "distance_mi", false);
	put_real(t, round_to(u->distance_mi, 0.001));
	put_key(t, "sold_date", false);
	put_str(t, x->sold_date);
	put_key(t, "days_since_sale", false);
	put_int(t, u->days_since_sale);
	put_key(t, "price", false);
	put_number(t, u->sale_price);
	put_key(t, "sqft", false);
	put_number(t, c->home.sqft);
	put_key(t, "beds", false);
	put_number(t, c->home.beds);
	put_key(t, "baths", false);
	put_number(t, c->home.baths);
	put_key(t, "year_built", false);
	if (c->home.year_built)
		put_int(t, c->home.year_built);
	else
		put_s(t, "null");
	put_key(t, "adjustments", false);
	put_s(t, "{");
	put_key(t, "time", true);
	put_number(t, round(j->time));
	put_key(t, "size", false);
	put_number(t, round(j->size));
	put_key(t, "beds", false);
	put_number(t, round(j->beds));
	put_key(t, "baths", false);
	put_number(t, round(j->baths));
	put_key(t, "age", false);
	put_number(t, round(j->age));
	put_key(t, "total", false);
	put_number(t, round(j->total));
	put_s(t, "}");
	put_key(t, "adjusted_price", false);
	put_number(t, round(u->adjusted_price));
	put_key(t, "weight", false);
	put_real(t, round_to(u->weight, 1e-4));
}

static void put_subject(text *t, const val_args *a, const val_subject *s)
{
	const val_property *h = &s->home;

	put_key(t, "lat", true);
	put_number(t, round_to(h->lat, 1e-6));
	put_key(t, "lon", false);
	put_number(t, round_to(h->lon, 1e-6));
	put_key(t, "zip", false);
	put_str(t, a->zip[0] ? a->zip : NULL);
	put_key(t, "sqft", false);
	put_number(t, h->sqft);
	put_key(t, "beds", false);
	put_number(t, a->beds);
	put_key(t, "baths", false);
	put_number(t, a->baths);
	put_key(t, "year_built", false);
	if (a->year_built)
		put_int(t, a->year_built);
	else
		put_s(t, "null");
	put_key(t, "location", false);
	put_str(t, val_source_name(s->location, true));
	put_key(t, "sqft_source", false);
	put_str(t, val_source_name(s->sqft, false));
}

char *val_report_text(const val_args *a, const val_subject *s,
                      const val_result *r, const val_area *area)
{
	char notes[VAL_NOTES_MAX][VAL_NOTE_LEN], day[11];
	size_t n_notes, i;
	text t = {0};

	if (r->status != VAL_OK)
		return NULL;
	val_day_format(a->as_of, day);
	put_s(&t, "{");
	put_key(&t, "value", true);
	put_number(&t, r->value);
	put_key(&t, "low", false);
	put_number(&t, r->low);
	put_key(&t, "high", false);
	put_number(&t, r->high);
	put_key(&t, "confidence", false);
	put_real(&t, val_report_confidence(s, r));
	put_key(&t, "label", false);
	put_str(&t, val_report_label(s, r));
	put_key(&t, "radius_mi", false);
	put_real(&t, r->radius_mi);
	put_key(&t, "found", false);
	put_s(&t, "{\"0.5\":");
	put_int(&t, (long long)r->found[0]);
	put_s(&t, ",\"1\":");
	put_int(&t, (long long)r->found[1]);
	put_s(&t, ",\"2\":");
	put_int(&t, (long long)r->found[2]);
	put_s(&t, "}");
	put_key(&t, "comps_count", false);
	put_int(&t, (long long)r->n_comps);
	put_key(&t, "comps", false);
	put_s(&t, "[");
	for (i = 0; i < r->n_listed; i++) {
		size_t k = r->comps[i].index;

		put_s(&t, i ? ",{" : "{");
		put_comp(&t, &r->comps[i], &area->cands[k], &area->text[k]);
		put_s(&t, "}");
	}
	put_s(&t, "]");
	put_key(&t, "subject", false);
	put_s(&t, "{");
	put_subject(&t, a, s);
	put_s(&t, "}");
	put_key(&t, "notes", false);
	put_s(&t, "[");
	n_notes = val_report_notes(s, notes);
	for (i = 0; i < n_notes; i++) {
		if (i)
			put_s(&t, ",");
		put_str(&t, notes[i]);
	}
	put_s(&t, "]");
	put_key(&t, "as_of", false);
	put_str(&t, day);
	put_s(&t, "}");
	if (t.failed) {
		free(t.p);
		return NULL;
	}
	return t.p;
}
