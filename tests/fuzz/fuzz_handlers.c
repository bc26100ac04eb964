/*
 * libFuzzer target: the JSON input of every handler, through the pure
 * validators each service runs before any I/O. Input is parsed as JSON
 * the way libmesh does for a request; whatever parses goes to every
 * validator, and the raw text to the text parsers. Anything must be
 * accepted or refused with a message, without crashing or leaking.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address/address_parse.h"
#include "auth/key_format.h"
#include "auth/key_record.h"
#include "auth/key_scopes.h"
#include "comps/comp_query.h"
#include "comps/comp_record.h"
#include "dedupe/dedupe_keys.h"
#include "leads-intake/lead_query.h"
#include "leads-intake/lead_validate.h"
#include "logger/logger_query.h"
#include "logger/logger_record.h"
#include "mesh.h"
#include "rate-limit/rate_hit.h"
#include "slack-notify/slack_render.h"
#include "valuation/valuation_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TODAY      20261128 /* comps: YYYYMMDD */
#define TODAY_DAYS 20785    /* valuation: days since 1970 (2026-11-28) */

static void json_validators(json_t *args)
{
	char why[LEAD_WHY_SIZE];
	json_t *lead = NULL, *address = NULL, *j;
	static const char *templates[] = {"new_lead",     "hot_lead",
	                                  "payment",      "alert",
	                                  "offer_graded", "daily_digest"};

	if (lead_validate(args, &lead, &address, why, sizeof why) == 0) {
		json_decref(lead);
		json_decref(address);
	}
	lead_query q;
	lead_query_parse(args, &q, why, sizeof why);
	if ((j = comp_record_parse(args, TODAY, why, sizeof why)))
		json_decref(j);
	comp_query cq;
	if (comp_query_parse(args, TODAY, &cq, why, sizeof why) == 0)
		comp_query_match(&cq, args);
	val_args va;
	val_args_parse(args, TODAY_DAYS, &va, why, sizeof why);
	val_args_from_lead(args, TODAY_DAYS, &va);
	dedupe_keys dk;
	dedupe_keys_parse(args, 1, &dk, why, sizeof why);
	rate_hit_args ra;
	rate_hit_parse(args, &ra, why, sizeof why);
	logger_record_check(args, why, sizeof why);
	logger_filter lf;
	if (logger_filter_parse(args, &lf, why, sizeof why) == 0)
		logger_filter_match(&lf, args);
	key_name_check(json_object_get(args, "name"), why, sizeof why);
	key_customer_id_check(json_object_get(args, "customer_id"), why,
	                      sizeof why);
	key_scopes_check(json_object_get(args, "scopes"), why, sizeof why);
	for (size_t i = 0; i < sizeof templates / sizeof *templates; i++)
		if ((j = slack_render(templates[i], args, why, sizeof why)))
			json_decref(j);
	double x;
	mesh_arg_number(args, "sqft", &x);
}

static void text_validators(const char *text)
{
	char why[512], e164[16];
	const char *reason;
	address a;

	address_parse_text(text, &a, why, sizeof why);
	mesh_phone_e164(text, e164, &reason);
	mesh_phone_is_e164(text);
	key_format_valid(text);
	admin_key_check(text, &reason);
	char *escaped = slack_escape(text);
	free(escaped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_error_t jerr;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	text_validators(text);
	json_t *args =
	    json_loadb((const char *)data, size,
	               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (args) {
		json_validators(args);
		json_decref(args);
	}
	free(text);
	return 0;
}
