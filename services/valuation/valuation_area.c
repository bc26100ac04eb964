/* valuation_area.c: a comps.search answer in C (see valuation_area.h). */
#include "valuation_area.h"

#include <stdlib.h>
#include <string.h>

#include "valuation_report.h"

static const char *const text_fields[] = {"id", "address", "zip", "sold_date"};
#define TEXT_FIELDS (sizeof text_fields / sizeof *text_fields)

/* Copies the string field k of rec into *at, advancing it; NULL when the
 * record has no such string. */
static const char *copy_text(json_t *rec, const char *k, char **at)
{
	json_t *v = json_object_get(rec, k);
	size_t len = json_string_length(v);
	char *s = *at;

	if (!json_is_string(v))
		return NULL;
	memcpy(s, json_string_value(v), len);
	s[len] = '\0';
	*at = s + len + 1;
	return s;
}

val_area *val_area_from_json(json_t *reply)
{
	json_t *comps = json_object_get(reply, "comps"), *rec;
	size_t n = json_array_size(comps), bytes = 1, i, k;
	val_area *a = calloc(1, sizeof *a);
	char *at;

	if (!a)
		return NULL;
	json_array_foreach(comps, i, rec) for (k = 0; k < TEXT_FIELDS; k++)
	    bytes +=
	    json_string_length(json_object_get(rec, text_fields[k])) + 1;
	a->cands = calloc(n ? n : 1, sizeof *a->cands);
	a->text = calloc(n ? n : 1, sizeof *a->text);
	a->strings = malloc(bytes);
	if (!a->cands || !a->text || !a->strings) {
		val_area_free(a);
		return NULL;
	}
	a->n = n;
	a->truncated = json_is_true(json_object_get(reply, "truncated"));
	val_cands_from_json(comps, a->cands);
	at = a->strings;
	json_array_foreach(comps, i, rec)
	{
		/* The ids the model hands back must outlive the reply. */
		a->cands[i].id = copy_text(rec, "id", &at);
		a->text[i].address = copy_text(rec, "address", &at);
		a->text[i].zip = copy_text(rec, "zip", &at);
		a->text[i].sold_date = copy_text(rec, "sold_date", &at);
	}
	return a;
}

void val_area_free(val_area *a)
{
	if (!a)
		return;
	free(a->cands);
	free(a->text);
	free(a->strings);
	free(a);
}
