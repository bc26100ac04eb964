/* lead_view.c: stored fields -> the lead readers see (see lead_view.h). */
#include "lead_view.h"

#include <string.h>

/* A stored JSON text, or NULL when absent or unreadable. */
static json_t *stored(json_t *text)
{
	const char *s = json_string_value(text);

	return s ? json_loadb(s, json_string_length(text), 0, NULL) : NULL;
}

json_t *lead_view(json_t *fields, json_t *history)
{
	json_t *lead = stored(json_array_get(fields, 0));
	json_t *valuation, *entries, *v;
	size_t i;

	if (!json_is_object(lead)) {
		json_decref(lead);
		return NULL;
	}
	v = json_array_get(fields, 1);
	json_object_set_new(lead, "status",
	                    json_is_string(v) ? json_incref(v)
	                                      : json_string("new"));
	v = json_array_get(fields, 2);
	json_object_set_new(lead, "updated_at",
	                    json_is_string(v) ? json_incref(v) : json_null());
	valuation = stored(json_array_get(fields, 3));
	json_object_set_new(lead, "valuation",
	                    valuation ? valuation : json_null());
	if (!history)
		return lead;
	entries = json_array();
	json_array_foreach(history, i, v)
	{
		json_t *e = stored(v);
		if (e)
			json_array_append_new(entries, e);
	}
	json_object_set_new(lead, "history", entries);
	return lead;
}
