/*
 * key_record.c: validation of the stored fields and the public view of a
 * key (see key_record.h).
 */
#include "key_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int key_name_check(const json_t *name, char *why, size_t why_len)
{
	const char *s = json_string_value(name);
	size_t len = json_string_length(name);

	if (!s || len == 0 || strlen(s) != len) {
		snprintf(why, why_len, "name: expected a non-empty string");
		return -1;
	}
	if (len > KEY_NAME_MAX) {
		snprintf(why, why_len, "name: at most %d bytes, got %zu",
		         KEY_NAME_MAX, len);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			snprintf(why, why_len,
			         "name: control characters are not allowed "
			         "(byte %zu)",
			         i);
			return -1;
		}
	}
	return 0;
}

int key_customer_id_check(const json_t *customer_id, char *why, size_t why_len)
{
	const char *s = json_string_value(customer_id);
	size_t len = json_string_length(customer_id);

	if (!customer_id || json_is_null(customer_id))
		return 0;
	if (!s || len == 0 || len > KEY_CUSTOMER_ID_MAX || strlen(s) != len) {
		snprintf(why, why_len,
		         "customer_id: expected a string of 1-%d characters",
		         KEY_CUSTOMER_ID_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			snprintf(why, why_len,
			         "customer_id: only letters, digits, '_' and "
			         "'-' are allowed");
			return -1;
		}
	}
	return 0;
}

const char *key_record_field(const json_t *flat, const char *field)
{
	size_t n = json_array_size(flat);

	for (size_t i = 0; i + 1 < n; i += 2) {
		const char *f = json_string_value(json_array_get(flat, i));
		if (f && strcmp(f, field) == 0)
			return json_string_value(json_array_get(flat, i + 1));
	}
	return NULL;
}

/* A stored time field as an ISO string, or JSON null when absent or
 * corrupt. */
static json_t *time_field(const json_t *flat, const char *field)
{
	const char *v = key_record_field(flat, field);
	char iso[MESH_TIME_SIZE];
	char *end;
	long long ms;

	if (!v || !*v)
		return json_null();
	ms = strtoll(v, &end, 10);
	if (*end != '\0')
		return json_null();
	mesh_time_format(ms, iso);
	return iso[0] ? json_string(iso) : json_null();
}

json_t *key_record_public(const json_t *flat)
{
	const char *id = key_record_field(flat, "id");
	const char *name = key_record_field(flat, "name");
	const char *scopes_text = key_record_field(flat, "scopes");
	const char *customer = key_record_field(flat, "customer_id");
	json_t *scopes, *created, *out;

	if (!id || !name || !scopes_text)
		return NULL;
	scopes = json_loads(scopes_text, 0, NULL);
	created = time_field(flat, "created_at");
	if (!json_is_array(scopes) || json_is_null(created)) {
		json_decref(scopes);
		json_decref(created);
		return NULL;
	}
	out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "key_id", id,
	                "name", name, "scopes", scopes, "customer_id",
	                customer && *customer ? json_string(customer)
	                                      : json_null(),
	                "created_at", created, "last_used_at",
	                time_field(flat, "last_used_at"), "revoked_at",
	                time_field(flat, "revoked_at"));
	if (out)
		json_object_set_new(
		    out, "revoked",
		    json_boolean(key_record_field(flat, "revoked_at") != NULL));
	return out;
}
