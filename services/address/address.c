/*
 * address: US addresses to USPS Publication 28 form. The parsing is
 * address_parse.c's; this daemon checks the arguments, runs it and turns
 * the result into JSON. Stateless: no Redis.
 */
#include <string.h>

#include "address_parse.h"
#include "mesh.h"

static const char *const part_names[] = {"number", "street", "unit",
                                         "city",   "state",  "zip"};
#define N_PARTS (sizeof part_names / sizeof part_names[0])

/* "" -> null: an absent part reads as absent in JSON. */
static json_t *field(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

static json_t *address_json(const address *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "number", field(a->number));
	json_object_set_new(o, "predirectional", field(a->predir));
	json_object_set_new(o, "street", field(a->street));
	json_object_set_new(o, "suffix", field(a->suffix));
	json_object_set_new(o, "postdirectional", field(a->postdir));
	json_object_set_new(o, "unit_designator", field(a->unit_type));
	json_object_set_new(o, "unit", field(a->unit));
	json_object_set_new(o, "city", field(a->city));
	json_object_set_new(o, "state", field(a->state));
	json_object_set_new(o, "zip", field(a->zip5));
	json_object_set_new(o, "zip4", field(a->zip4));
	json_object_set_new(o, "one_line", json_string(a->line));
	json_object_set_new(o, "key", json_string(a->key));
	return o;
}

/* A part's value: NULL when absent, *bad when not a string. */
static const char *part(json_t *args, const char *name, int *bad)
{
	json_t *v = json_object_get(args, name);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		*bad = 1;
	return json_string_value(v);
}

/* normalize {text} or {number?, street, unit?, city?, state?, zip?}. */
static void normalize(mesh_req *req, json_t *args)
{
	address_parts parts = {0};
	const char **slots[N_PARTS] = {&parts.number, &parts.street,
	                               &parts.unit,   &parts.city,
	                               &parts.state,  &parts.zip};
	char why[ADDRESS_WHY_SIZE];
	const char *key, *text;
	address a;
	json_t *v;
	int bad = 0, given = 0;

	json_object_foreach(args, key, v)
	{
		int known = !strcmp(key, "text") || !strcmp(key, "_meta");
		for (size_t i = 0; i < N_PARTS; i++)
			known |= !strcmp(key, part_names[i]);
		if (!known) {
			mesh_fail(req, MESH_EINVAL,
			          "%.64s: unknown field (expected text, or "
			          "number, street, unit, city, state, zip)",
			          key);
			return;
		}
	}
	text = part(args, "text", &bad);
	if (bad) {
		mesh_fail(req, MESH_EINVAL, "text: expected a string");
		return;
	}
	for (size_t i = 0; i < N_PARTS; i++) {
		*slots[i] = part(args, part_names[i], &bad);
		if (bad) {
			mesh_fail(req, MESH_EINVAL, "%s: expected a string",
			          part_names[i]);
			return;
		}
		given |= *slots[i] != NULL;
	}
	if (text && given) {
		mesh_fail(req, MESH_EINVAL,
		          "address: give text or parts, not both");
		return;
	}
	if (!text && !given) {
		mesh_fail(req, MESH_EINVAL,
		          "address: expected text, or street with city and "
		          "state or zip");
		return;
	}
	if ((text ? address_parse_text(text, &a, why, sizeof why)
	          : address_parse_parts(&parts, &a, why, sizeof why)) !=
	    ADDRESS_OK) {
		mesh_fail(req, MESH_EINVAL, "%s", why);
		return;
	}
	mesh_reply(req, address_json(&a));
}

static const mesh_method methods[] = {
    {"normalize", normalize},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "address",
    .methods = methods,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
