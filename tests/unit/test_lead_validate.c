/* test_lead_validate.c: the lead form: what is normalized, every message,
 * and every limit at its boundary. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/leads-intake/lead_validate.h"

static char why[LEAD_WHY_SIZE];

/* A valid lead, with key set to value (a JSON text) on top. */
static json_t *lead_with(const char *key, const char *value)
{
	json_t *args = json_pack("{s:s, s:s, s:s}", "name", "Ann Seller",
	                         "phone", "(512) 555-0142", "address",
	                         "1 Main St, Austin, TX 78701");

	if (key)
		json_object_set_new(args, key,
		                    json_loads(value, JSON_DECODE_ANY, NULL));
	return args;
}

/* Validates args (stolen); returns the lead or NULL with why set. */
static json_t *run(json_t *args, json_t **address)
{
	json_t *lead, *a;
	int rc = lead_validate(args, &lead, &a, why, sizeof why);

	json_decref(args);
	if (rc != 0) {
		ck_assert_ptr_null(lead);
		ck_assert_ptr_null(a);
		return NULL;
	}
	if (address)
		*address = a;
	else
		json_decref(a);
	return lead;
}

static void refused(json_t *args, const char *msg)
{
	ck_assert_ptr_null(run(args, NULL));
	ck_assert_str_eq(why, msg);
}

static json_t *accepted(json_t *args)
{
	json_t *lead = run(args, NULL);

	ck_assert_msg(lead != NULL, "refused: %s", why);
	return lead;
}

static char *repeat(const char *unit, int n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * (size_t)n + 1);

	for (int i = 0; i < n; i++)
		memcpy(s + len * (size_t)i, unit, len);
	s[len * (size_t)n] = '\0';
	return s;
}

START_TEST(normalizes_a_full_lead)
{
	json_t *address;
	json_t *lead = run(
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:i, "
	              "s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:b, s:o}",
	              "name", "  Ann Seller ", "phone", "512.555.0142", "email",
	              " Ann@Example.COM ", "street", "1 Main St", "city",
	              "Austin", "beds", 3, "baths", "2.5", "sqft", 1850,
	              "year_built", 1978, "condition", 2, "timeline", "asap",
	              "property_type", "single_family", "occupancy", "vacant",
	              "asking_price", 250000.0, "amount_owed", "120000",
	              "motivation", "Inherited the house\nneeds a new roof",
	              "source", "facebook", "customer_id", "cust_42",
	              "sms_consent", 1, "_meta",
	              json_pack("{s:s}", "client_ip", "1.2.3.4")),
	    &address);

	ck_assert_msg(lead != NULL, "%s", why);
	ck_assert_str_eq(json_string_value(json_object_get(lead, "name")),
	                 "Ann Seller");
	ck_assert_str_eq(json_string_value(json_object_get(lead, "phone")),
	                 "+15125550142");
	ck_assert_str_eq(json_string_value(json_object_get(lead, "email")),
	                 "ann@example.com");
	ck_assert_int_eq(json_integer_value(json_object_get(lead, "beds")), 3);
	ck_assert(json_real_value(json_object_get(lead, "baths")) == 2.5);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(lead, "asking_price")), 250000);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(lead, "amount_owed")), 120000);
	ck_assert(json_is_true(json_object_get(lead, "sms_consent")));
	ck_assert_ptr_null(json_object_get(lead, "_meta"));
	ck_assert_ptr_null(json_object_get(lead, "street"));
	ck_assert_str_eq(json_string_value(json_object_get(address, "street")),
	                 "1 Main St");
	ck_assert_str_eq(json_string_value(json_object_get(address, "city")),
	                 "Austin");
	ck_assert_ptr_null(json_object_get(address, "text"));
	json_decref(lead);
	json_decref(address);

	/* Email only, address as text; empty inputs count as absent. */
	lead = run(json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "Bo", "email",
	                     "bo@example.org", "phone", "", "address",
	                     "9 Elm St, Columbus, OH", "notes", "  "),
	           &address);
	ck_assert_msg(lead != NULL, "%s", why);
	ck_assert_ptr_null(json_object_get(lead, "phone"));
	ck_assert_ptr_null(json_object_get(lead, "notes"));
	ck_assert_str_eq(json_string_value(json_object_get(address, "text")),
	                 "9 Elm St, Columbus, OH");
	json_decref(lead);
	json_decref(address);
}
END_TEST

START_TEST(required_fields)
{
	refused(json_pack("{s:s, s:s}", "phone", "5125550142", "address",
	                  "1 Main St, Austin, TX"),
	        "name: required");
	refused(json_pack("{s:s, s:s, s:s}", "name", " ", "phone", "5125550142",
	                  "address", "1 Main St, Austin, TX"),
	        "name: required");
	refused(json_pack("{s:s, s:s}", "name", "Ann", "address",
	                  "1 Main St, Austin, TX"),
	        "phone: a phone number or an email address is required");
	refused(json_pack("{s:s, s:s}", "name", "Ann", "phone", "5125550142"),
	        "address: required (as text, or as street with city and "
	        "state or zip)");
	refused(json_pack("{s:s, s:s, s:s, s:s}", "name", "Ann", "phone",
	                  "5125550142", "address", "1 Main St, Austin, TX",
	                  "zip", "78701"),
	        "address: give the address as text or as "
	        "street/unit/city/state/zip, not both");
	ck_assert_int_eq(lead_validate(json_null(), &(json_t *){0},
	                               &(json_t *){0}, why, sizeof why),
	                 -1);
	ck_assert_str_eq(why, "lead: expected a JSON object");
}
END_TEST

START_TEST(unknown_fields_are_named)
{
	refused(lead_with("favorite_color", "\"blue\""),
	        "favorite_color: unknown field");
	/* A field of another service is still unknown here. */
	refused(lead_with("status", "\"closed\""), "status: unknown field");
	refused(lead_with("id", "\"ld_x\""), "id: unknown field");
}
END_TEST

START_TEST(phone_and_email_messages)
{
	refused(lead_with("phone", "\"512-555-014\""),
	        "phone: expected 10 digits, got 9");
	refused(lead_with("phone", "\"1-800-FLOWERS\""),
	        "phone: letters are not allowed");
	refused(lead_with("phone", "5125550142"), "phone: expected a string");
	refused(lead_with("email", "\"ann.example.com\""),
	        "email: expected one @ in \"ann.example.com\"");
	refused(lead_with("email", "\"a@b@example.com\""),
	        "email: expected one @ in \"a@b@example.com\"");
	refused(
	    lead_with("email", "\".ann@example.com\""),
	    "email: the part before @ is not valid in \".ann@example.com\"");
	refused(
	    lead_with("email", "\"an..n@example.com\""),
	    "email: the part before @ is not valid in \"an..n@example.com\"");
	refused(lead_with("email", "\"ann smith@example.com\""),
	        "email: the part before @ is not valid in \"ann "
	        "smith@example.com\"");
	refused(lead_with("email", "\"ann@example\""),
	        "email: the domain \"example\" is not valid");
	refused(lead_with("email", "\"ann@-example.com\""),
	        "email: the domain \"-example.com\" is not valid");
	refused(lead_with("email", "\"ann@example..com\""),
	        "email: the domain \"example..com\" is not valid");
	refused(lead_with("email", "\"ann@example.c0m\""),
	        "email: the domain \"example.c0m\" is not valid");
}
END_TEST

START_TEST(email_limits)
{
	char out[LEAD_EMAIL_MAX + 1], e[400];
	char *local64 = repeat("a", 64), *label = repeat("b", 63);

	/* 64 before @ is the most. */
	snprintf(e, sizeof e, "%s@example.com", local64);
	ck_assert_int_eq(
	    lead_email_normalize(e, out, sizeof out, why, sizeof why), 0);
	snprintf(e, sizeof e, "%sa@example.com", local64);
	ck_assert_int_eq(
	    lead_email_normalize(e, out, sizeof out, why, sizeof why), -1);
	/* 254 in all is the most: 64 + 1 + 63.63.57.com = 254. */
	char *l57 = repeat("c", 57);
	snprintf(e, sizeof e, "%s@%s.%s.%s.com", local64, label, label, l57);
	ck_assert_int_eq(strlen(e), 254);
	ck_assert_int_eq(
	    lead_email_normalize(e, out, sizeof out, why, sizeof why), 0);
	snprintf(e, sizeof e, "%s@%s.%s.%sc.com", local64, label, label, l57);
	ck_assert_int_eq(
	    lead_email_normalize(e, out, sizeof out, why, sizeof why), -1);
	ck_assert_str_eq(why, "email: longer than 254 characters");
	/* A label of 64 is too long. */
	snprintf(e, sizeof e, "a@%sb.com", label);
	ck_assert_int_eq(
	    lead_email_normalize(e, out, sizeof out, why, sizeof why), -1);
	ck_assert_int_eq(
	    lead_email_normalize("  ", out, sizeof out, why, sizeof why), -1);
	ck_assert_str_eq(why, "email: empty");
	free(local64);
	free(label);
	free(l57);
}
END_TEST

START_TEST(name_and_text_limits)
{
	char *s = repeat("x", LEAD_NAME_MAX), *u = repeat("\xc3\xa9", 200);
	json_t *lead;

	lead = accepted(json_pack("{s:s, s:s, s:s}", "name", s, "phone",
	                          "5125550142", "address", "1 Main St, A, TX"));
	json_decref(lead);
	/* 200 characters of two bytes each: characters count, not bytes. */
	lead = accepted(json_pack("{s:s, s:s, s:s}", "name", u, "phone",
	                          "5125550142", "address", "1 Main St, A, TX"));
	json_decref(lead);
	free(s);
	s = repeat("x", LEAD_NAME_MAX + 1);
	refused(json_pack("{s:s, s:s, s:s}", "name", s, "phone", "5125550142",
	                  "address", "1 Main St, A, TX"),
	        "name: longer than 200 characters");
	refused(json_pack("{s:s, s:s, s:s}", "name", "Ann\nSeller", "phone",
	                  "5125550142", "address", "1 Main St, A, TX"),
	        "name: control characters are not allowed");
	free(s);

	s = repeat("y", LEAD_TEXT_MAX);
	json_t *args = lead_with(NULL, NULL);
	json_object_set_new(args, "motivation", json_string(s));
	json_decref(accepted(args));
	free(s);
	s = repeat("y", LEAD_TEXT_MAX + 1);
	args = lead_with(NULL, NULL);
	json_object_set_new(args, "notes", json_string(s));
	refused(args, "notes: expected text of at most 2000 characters");
	free(s);
	free(u);

	s = repeat("z", LEAD_ADDRESS_MAX + 1);
	args = lead_with(NULL, NULL);
	json_object_set_new(args, "address", json_string(s));
	refused(args, "address: expected text of at most 512 bytes");
	free(s);
	refused(lead_with("source", "\"web\\nform\""),
	        "source: expected one line of at most 100 characters");
}
END_TEST

START_TEST(optional_fields_at_their_bounds)
{
	static const struct {
		const char *key, *ok_lo, *ok_hi, *bad, *msg;
	} cases[] = {
	    {"beds", "0", "50", "51", "beds: expected an integer 0-50"},
	    {"beds", "0", "\"50\"", "2.5", "beds: expected an integer 0-50"},
	    {"baths", "0", "50", "1.25",
	     "baths: expected a number 0-50 in steps of 0.5"},
	    {"sqft", "100", "100000", "99",
	     "sqft: expected an integer 100-100000"},
	    {"sqft", "100", "100000", "100001",
	     "sqft: expected an integer 100-100000"},
	    {"year_built", "1700", "2100", "1699",
	     "year_built: expected an integer 1700-2100"},
	    {"condition", "1", "5", "0", "condition: expected an integer 1-5"},
	    {"condition", "1", "5", "\"five\"",
	     "condition: expected an integer 1-5"},
	    {"asking_price", "0", "1000000000", "-1",
	     "asking_price: expected a number of dollars 0-1000000000"},
	    {"amount_owed", "0", "1000000000", "1000000001",
	     "amount_owed: expected a number of dollars 0-1000000000"},
	    {"timeline", "\"asap\"", "\"flexible\"", "\"someday\"",
	     "timeline: expected one of asap, 30_days, 90_days, 6_months, "
	     "12_months, flexible"},
	    {"property_type", "\"condo\"", "\"other\"", "\"castle\"",
	     "property_type: expected one of single_family, multi_family, "
	     "condo, townhouse, mobile, land, other"},
	    {"occupancy", "\"owner\"", "\"vacant\"", "1",
	     "occupancy: expected one of owner, tenant, vacant"},
	    {"customer_id", "\"c\"",
	     "\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	     "cccc\"",
	     "\"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	     "cccccc\"",
	     "customer_id: expected 1-64 characters of A-Z a-z 0-9 _ -"},
	    {"customer_id", "\"c-1\"", "\"C_2\"", "\"c 1\"",
	     "customer_id: expected 1-64 characters of A-Z a-z 0-9 _ -"},
	    {"sms_consent", "false", "true", "\"yes\"",
	     "sms_consent: expected true or false"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_decref(accepted(lead_with(cases[i].key, cases[i].ok_lo)));
		json_decref(accepted(lead_with(cases[i].key, cases[i].ok_hi)));
		refused(lead_with(cases[i].key, cases[i].bad), cases[i].msg);
	}
}
END_TEST

START_TEST(all_problems_at_once)
{
	refused(json_pack("{s:s, s:s, s:i, s:s}", "email", "x@", "zip", "7",
	                  "condition", 9, "bogus", "1"),
	        "bogus: unknown field; name: required; email: the domain \"\" "
	        "is not valid; condition: expected an integer 1-5");
}
END_TEST

START_TEST(idempotency_keys)
{
	const char *key;
	char *k255 = repeat("k", 255), *k256 = repeat("k", 256);
	json_t *args;

	args = json_object();
	ck_assert_int_eq(lead_idempotency_key(args, &key, why, sizeof why), 0);
	ck_assert_ptr_null(key);
	json_decref(args);

	args = json_pack("{s:{s:s}}", "_meta", "idempotency_key", k255);
	ck_assert_int_eq(lead_idempotency_key(args, &key, why, sizeof why), 0);
	ck_assert_str_eq(key, k255);
	json_decref(args);

	const char *bad[] = {k256, "", "two words", "tab\there", "\xc3\xa9"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		args =
		    json_pack("{s:{s:s}}", "_meta", "idempotency_key", bad[i]);
		ck_assert_int_eq(
		    lead_idempotency_key(args, &key, why, sizeof why), -1);
		ck_assert_str_eq(why, "Idempotency-Key: expected 1-255 "
		                      "printable ASCII characters without "
		                      "spaces");
		json_decref(args);
	}
	args = json_pack("{s:{s:i}}", "_meta", "idempotency_key", 5);
	ck_assert_int_eq(lead_idempotency_key(args, &key, why, sizeof why), -1);
	json_decref(args);
	free(k255);
	free(k256);
}
END_TEST

static Suite *lead_validate_suite(void)
{
	Suite *s = suite_create("lead_validate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, normalizes_a_full_lead);
	tcase_add_test(tc, required_fields);
	tcase_add_test(tc, unknown_fields_are_named);
	tcase_add_test(tc, phone_and_email_messages);
	tcase_add_test(tc, email_limits);
	tcase_add_test(tc, name_and_text_limits);
	tcase_add_test(tc, optional_fields_at_their_bounds);
	tcase_add_test(tc, all_problems_at_once);
	tcase_add_test(tc, idempotency_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lead_validate_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
