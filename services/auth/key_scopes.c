/*
 * key_scopes.c: scope syntax and the allows relation (rules in key_scopes.h).
 */
#include "key_scopes.h"

#include <stdio.h>
#include <string.h>

/* [a-z-]+ over [s, end): at least one character, nothing else. */
static int key_scope_part_valid(const char *s, const char *end)
{
	if (s == end)
		return 0;
	for (; s < end; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '-'))
			return 0;
	return 1;
}

int key_scope_valid(const char *s)
{
	size_t len = strnlen(s, SCOPE_MAX_LEN + 1);
	const char *colon;

	if (len > SCOPE_MAX_LEN)
		return 0;
	if (strcmp(s, SCOPE_ALL) == 0 || strcmp(s, SCOPE_ADMIN) == 0)
		return 1;
	colon = memchr(s, ':', len);
	return colon && key_scope_part_valid(s, colon) &&
	       key_scope_part_valid(colon + 1, s + len);
}

int key_scope_allows(const char *have, const char *need)
{
	if (!key_scope_valid(have) || !key_scope_valid(need))
		return 0;
	if (strcmp(have, SCOPE_ADMIN) == 0)
		return 1;
	if (strcmp(need, SCOPE_ADMIN) == 0)
		return 0;
	return strcmp(have, SCOPE_ALL) == 0 || strcmp(have, need) == 0;
}

int key_scopes_allow(const json_t *have, const char *need)
{
	size_t i;
	const json_t *s;

	json_array_foreach(have, i, s)
	{
		const char *v = json_string_value(s);
		if (v && key_scope_allows(v, need))
			return 1;
	}
	return 0;
}

int key_scopes_check(const json_t *scopes, char *why, size_t why_len)
{
	size_t i, n = json_array_size(scopes);
	const json_t *s;

	if (!json_is_array(scopes) || n == 0) {
		snprintf(why, why_len,
		         "scopes: expected a non-empty array of strings");
		return -1;
	}
	if (n > SCOPES_MAX) {
		snprintf(why, why_len, "scopes: at most %d, got %zu",
		         SCOPES_MAX, n);
		return -1;
	}
	json_array_foreach(scopes, i, s)
	{
		const char *v = json_string_value(s);
		if (!v || strlen(v) != json_string_length(s) ||
		    !key_scope_valid(v)) {
			snprintf(why, why_len,
			         "scopes[%zu]: expected \"resource:action\" "
			         "([a-z-]+:[a-z-]+, at most %d characters), "
			         "\"*\" or \"admin\"",
			         i, SCOPE_MAX_LEN);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(json_string_value(json_array_get(scopes, j)),
			           v) == 0) {
				snprintf(why, why_len,
				         "scopes[%zu]: \"%s\" is listed twice",
				         i, v);
				return -1;
			}
		}
	}
	return 0;
}
