/* dedupe_keys.c: identities in canonical form (see dedupe_keys.h). */
#include "dedupe_keys.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh.h"

static const char *const kinds[DEDUPE_KINDS] = {"phone", "email",
                                                "address_key"};

/* An id-like value: 1-64 of [A-Za-z0-9_.:-]. */
static int id_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len < 1 || len > DEDUPE_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.:-", s[i]))
			return 0;
	return 1;
}

/* Trimmed, lower-cased copy of in into out; 0, or -1 when empty, too
 * long or holding control characters. */
static int canonical(const char *in, char *out)
{
	size_t len;

	while (*in && isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len && isspace((unsigned char)in[len - 1]))
		len--;
	if (len == 0 || len > DEDUPE_VALUE_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7f)
			return -1;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return 0;
}

int dedupe_keys_parse(json_t *args, int need_lead_id, dedupe_keys *k, char *why,
                      size_t why_size)
{
	const char *key;
	json_t *v;

	memset(k, 0, sizeof *k);
	strcpy(k->scope, "_");
	json_object_foreach(args, key, v)
	{
		int known = strcmp(key, "lead_id") == 0 ||
		            strcmp(key, "scope") == 0 ||
		            strcmp(key, "_meta") == 0;
		for (int i = 0; i < DEDUPE_KINDS; i++)
			known |= strcmp(key, kinds[i]) == 0;
		if (!known) {
			snprintf(why, why_size, "%.64s: unknown field", key);
			return -1;
		}
	}
	for (int i = 0; i < DEDUPE_KINDS; i++) {
		v = json_object_get(args, kinds[i]);
		if (!v || json_is_null(v))
			continue;
		const char *s = json_string_value(v);
		char *out = k->value[k->n];
		if (!s || canonical(s, out) != 0) {
			snprintf(why, why_size,
			         "%s: expected 1-%d characters of text",
			         kinds[i], DEDUPE_VALUE_MAX);
			return -1;
		}
		if (i == 0 && !mesh_phone_is_e164(out)) {
			snprintf(why, why_size,
			         "phone: expected E.164 (+15125550142)");
			return -1;
		}
		if (i == 1 && !strchr(out, '@')) {
			snprintf(why, why_size,
			         "email: expected an address "
			         "with @");
			return -1;
		}
		k->kind[k->n++] = kinds[i];
	}
	v = json_object_get(args, "lead_id");
	if (v && !json_is_null(v)) {
		if (!id_valid(json_string_value(v))) {
			snprintf(why, why_size,
			         "lead_id: expected 1-%d characters of "
			         "A-Z a-z 0-9 _ . : -",
			         DEDUPE_ID_MAX);
			return -1;
		}
		strcpy(k->lead_id, json_string_value(v));
	}
	v = json_object_get(args, "scope");
	if (v && !json_is_null(v)) {
		if (!id_valid(json_string_value(v))) {
			snprintf(why, why_size,
			         "scope: expected 1-%d characters of "
			         "A-Z a-z 0-9 _ . : -",
			         DEDUPE_ID_MAX);
			return -1;
		}
		strcpy(k->scope, json_string_value(v));
	}
	if (need_lead_id && !k->lead_id[0]) {
		snprintf(why, why_size, "lead_id: required");
		return -1;
	}
	if (need_lead_id && k->n == 0) {
		snprintf(why, why_size,
		         "phone: at least one of phone, email, address_key is "
		         "required");
		return -1;
	}
	if (!need_lead_id && k->n == 0 && !k->lead_id[0]) {
		snprintf(why, why_size,
		         "lead_id: required when no phone, email or "
		         "address_key is given");
		return -1;
	}
	return 0;
}

int dedupe_window_days(const char *env, int *days, char *why, size_t why_size)
{
	char *end;
	long v;

	if (!env || !*env) {
		*days = DEDUPE_WINDOW_DAYS_DEFAULT;
		return 0;
	}
	v = isdigit((unsigned char)*env) ? strtol(env, &end, 10) : -1;
	if (v < 1 || v > DEDUPE_WINDOW_DAYS_MAX || *end) {
		snprintf(why, why_size,
		         "DEDUPE_WINDOW_DAYS: expected an integer 1-%d, got "
		         "\"%.20s\"",
		         DEDUPE_WINDOW_DAYS_MAX, env);
		return -1;
	}
	*days = (int)v;
	return 0;
}
