/* test_dedupe_keys.c: identities in canonical form, argument errors, and
 * the window setting at its bounds. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/dedupe/dedupe_keys.h"

static char why[256];

static int parse(const char *json, int need_lead_id, dedupe_keys *k)
{
	json_t *args = json_loads(json, 0, NULL);
	int rc;

	ck_assert_ptr_nonnull(args);
	rc = dedupe_keys_parse(args, need_lead_id, k, why, sizeof why);
	json_decref(args);
	return rc;
}

START_TEST(canonical_order_and_form)
{
	dedupe_keys k;

	ck_assert_int_eq(
	    parse("{\"address_key\": \" 1||MAIN|ST|||78701 \", \"email\": "
	          "\"Ann@Example.COM\", \"phone\": \"+15125550142\", "
	          "\"lead_id\": \"ld_1\"}",
	          1, &k),
	    0);
	ck_assert_int_eq(k.n, 3);
	/* Looked up phone, email, address, whatever the argument order. */
	ck_assert_str_eq(k.kind[0], "phone");
	ck_assert_str_eq(k.value[0], "+15125550142");
	ck_assert_str_eq(k.kind[1], "email");
	ck_assert_str_eq(k.value[1], "ann@example.com");
	ck_assert_str_eq(k.kind[2], "address_key");
	ck_assert_str_eq(k.value[2], "1||main|st|||78701");
	ck_assert_str_eq(k.lead_id, "ld_1");
	ck_assert_str_eq(k.scope, "_");

	ck_assert_int_eq(parse("{\"email\": \"a@b.co\", \"lead_id\": \"L\", "
	                       "\"scope\": \"cust_9\", \"phone\": null}",
	                       1, &k),
	                 0);
	ck_assert_int_eq(k.n, 1);
	ck_assert_str_eq(k.scope, "cust_9");
}
END_TEST

START_TEST(errors)
{
	static const struct {
		const char *json;
		int need;
		const char *why;
	} cases[] = {
	    {"{\"email\": \"a@b.co\"}", 1, "lead_id: required"},
	    {"{\"lead_id\": \"L\"}", 1,
	     "phone: at least one of phone, email, address_key is required"},
	    {"{}", 0,
	     "lead_id: required when no phone, email or address_key is "
	     "given"},
	    {"{\"phone\": \"(512) 555-0142\", \"lead_id\": \"L\"}", 1,
	     "phone: expected E.164 (+15125550142)"},
	    {"{\"email\": \"nobody\", \"lead_id\": \"L\"}", 1,
	     "email: expected an address with @"},
	    {"{\"email\": \"  \", \"lead_id\": \"L\"}", 1,
	     "email: expected 1-256 characters of text"},
	    {"{\"email\": 5, \"lead_id\": \"L\"}", 1,
	     "email: expected 1-256 characters of text"},
	    {"{\"address_key\": \"a\\u0001b\", \"lead_id\": \"L\"}", 1,
	     "address_key: expected 1-256 characters of text"},
	    {"{\"email\": \"a@b.co\", \"lead_id\": \"L 1\"}", 1,
	     "lead_id: expected 1-64 characters of A-Z a-z 0-9 _ . : -"},
	    {"{\"email\": \"a@b.co\", \"lead_id\": \"L\", \"scope\": \"\"}", 1,
	     "scope: expected 1-64 characters of A-Z a-z 0-9 _ . : -"},
	    {"{\"email\": \"a@b.co\", \"lead_id\": \"L\", \"name\": \"x\"}", 1,
	     "name: unknown field"},
	};
	dedupe_keys k;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(parse(cases[i].json, cases[i].need, &k), -1);
		ck_assert_str_eq(why, cases[i].why);
	}
	/* forget by lead id alone is fine. */
	ck_assert_int_eq(parse("{\"lead_id\": \"L\"}", 0, &k), 0);
	ck_assert_int_eq(k.n, 0);
}
END_TEST

START_TEST(value_and_id_limits)
{
	dedupe_keys k;
	char *json = malloc(1024);
	char v256[300], id64[80];

	memset(v256, 'a', 256);
	v256[256] = '\0';
	memset(id64, 'i', 64);
	id64[64] = '\0';
	snprintf(json, 1024, "{\"address_key\": \"%s\", \"lead_id\": \"%s\"}",
	         v256, id64);
	ck_assert_int_eq(parse(json, 1, &k), 0);
	ck_assert_str_eq(k.value[0], v256);
	snprintf(json, 1024, "{\"address_key\": \"%sa\", \"lead_id\": \"L\"}",
	         v256);
	ck_assert_int_eq(parse(json, 1, &k), -1);
	snprintf(json, 1024, "{\"address_key\": \"a\", \"lead_id\": \"%si\"}",
	         id64);
	ck_assert_int_eq(parse(json, 1, &k), -1);
	free(json);
}
END_TEST

START_TEST(window_setting)
{
	int days = 0;

	ck_assert_int_eq(dedupe_window_days(NULL, &days, why, sizeof why), 0);
	ck_assert_int_eq(days, 30);
	ck_assert_int_eq(dedupe_window_days("", &days, why, sizeof why), 0);
	ck_assert_int_eq(days, 30);
	ck_assert_int_eq(dedupe_window_days("1", &days, why, sizeof why), 0);
	ck_assert_int_eq(days, 1);
	ck_assert_int_eq(dedupe_window_days("3650", &days, why, sizeof why), 0);
	ck_assert_int_eq(days, 3650);
	const char *bad[] = {"0", "3651", "-1", "7d", " 7", "x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_eq(
		    dedupe_window_days(bad[i], &days, why, sizeof why), -1);
	ck_assert_str_eq(why, "DEDUPE_WINDOW_DAYS: expected an integer 1-3650, "
	                      "got \"x\"");
}
END_TEST

static Suite *dedupe_keys_suite(void)
{
	Suite *s = suite_create("dedupe_keys");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, canonical_order_and_form);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, value_and_id_limits);
	tcase_add_test(tc, window_setting);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dedupe_keys_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
