#include "route_match.h"

#include <stdio.h>
#include <string.h>

typedef struct segment {
	const char *s;
	size_t len;
} segment;

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes one segment into out; -1 on a bad escape, a control
 * character, or no room. UTF-8 validity is left to jansson. */
static int decode_segment(const segment *seg, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < seg->len; i++) {
		unsigned char c = (unsigned char)seg->s[i];
		if (c == '%') {
			if (i + 2 >= seg->len)
				return -1;
			int hi = hex_value(seg->s[i + 1]),
			    lo = hex_value(seg->s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || n + 1 >= cap)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

static int split_path(const char *path, segment *segs, size_t *n)
{
	const char *p = path;

	*n = 0;
	if (*p != '/')
		return -1;
	while (*p == '/') {
		p++;
		if (!*p)
			break; /* a trailing slash is the same resource */
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return -1; /* "//" */
		if (*n == ROUTE_MAX_SEGMENTS)
			return -1;
		segs[*n].s = p;
		segs[*n].len = len;
		(*n)++;
		p += len;
	}
	return 0;
}

/* Number of literal segments that matched, or -1 when the shape differs.
 * More literals means a more specific route. */
static int route_score(const manifest_route *r, const segment *segs, size_t n)
{
	int literals = 0;

	if (r->n_segments != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *want = r->segments[i];
		if (want[0] == ':')
			continue;
		if (strlen(want) != segs[i].len ||
		    memcmp(want, segs[i].s, segs[i].len) != 0)
			return -1;
		literals++;
	}
	return literals;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
	if (strstr(allow, method))
		return;
	size_t len = strlen(allow);
	snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", method);
}

route_result route_find(const manifest *m, const char *method, const char *path,
                        route_match *out)
{
	segment segs[ROUTE_MAX_SEGMENTS];
	size_t n;
	const manifest_route *best = NULL;
	int best_score = -1, path_known = 0;

	memset(out, 0, sizeof *out);
	if (!path || split_path(path, segs, &n) != 0)
		return ROUTE_BAD_PATH;
	for (size_t i = 0; i < m->n_routes; i++) {
		const manifest_route *r = &m->routes[i];
		int score = route_score(r, segs, n);
		if (score < 0)
			continue;
		path_known = 1;
		if (strcmp(r->http_method, method) != 0) {
			allow_add(out->allow, sizeof out->allow,
			          r->http_method);
			continue;
		}
		if (score > best_score) {
			best = r;
			best_score = score;
		}
	}
	if (!best) {
		if (path_known && strcmp(method, "OPTIONS") != 0)
			return ROUTE_WRONG_METHOD;
		return path_known ? ROUTE_WRONG_METHOD : ROUTE_NOT_FOUND;
	}
	out->params = json_object();
	for (size_t i = 0; i < n; i++) {
		char value[ROUTE_MAX_PARAM];
		if (best->segments[i][0] != ':')
			continue;
		json_t *v;
		if (decode_segment(&segs[i], value, sizeof value) != 0 ||
		    !(v = json_string(value))) {
			json_decref(out->params);
			out->params = NULL;
			return ROUTE_BAD_PATH;
		}
		json_object_set_new(out->params, best->segments[i] + 1, v);
	}
	out->route = best;
	return ROUTE_FOUND;
}
