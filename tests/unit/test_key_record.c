/*
 * test_key_record.c: name and customer id checks at their limits, ISO
 * times, and the public view of a stored key (never its hash).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/auth/key_record.h"

static void name_fails(json_t *name, const char *want)
{
	char why[256];

	ck_assert_int_eq(key_name_check(name, why, sizeof why), -1);
	ck_assert_msg(strstr(why, want) != NULL, "why = \"%s\"", why);
	json_decref(name);
}

START_TEST(names)
{
	char why[256], s[KEY_NAME_MAX + 2];
	json_t *n;

	n = json_string("Zapier integration (Austin office) \xc3\xa9");
	ck_assert_int_eq(key_name_check(n, why, sizeof why), 0);
	json_decref(n);
	memset(s, 'x', sizeof s);
	s[KEY_NAME_MAX] = '\0';
	n = json_string(s);
	ck_assert_int_eq(key_name_check(n, why, sizeof why), 0);
	json_decref(n);
	s[KEY_NAME_MAX] = 'x';
	s[KEY_NAME_MAX + 1] = '\0';
	name_fails(json_string(s), "at most 100 bytes, got 101");
	name_fails(NULL, "name: expected a non-empty string");
	name_fails(json_string(""), "non-empty");
	name_fails(json_integer(3), "non-empty");
	name_fails(json_string("line\nbreak"), "control characters");
	name_fails(json_string("del\x7f"), "control characters");
	name_fails(json_stringn("a\0b", 3), "non-empty string");
}
END_TEST

START_TEST(customer_ids)
{
	char why[256], s[KEY_CUSTOMER_ID_MAX + 2];
	json_t *c;

	ck_assert_int_eq(key_customer_id_check(NULL, why, sizeof why), 0);
	c = json_null();
	ck_assert_int_eq(key_customer_id_check(c, why, sizeof why), 0);
	json_decref(c);
	c = json_string("cus_Q1w2-E3r4");
	ck_assert_int_eq(key_customer_id_check(c, why, sizeof why), 0);
	json_decref(c);
	memset(s, 'c', sizeof s);
	s[KEY_CUSTOMER_ID_MAX] = '\0';
	c = json_string(s);
	ck_assert_int_eq(key_customer_id_check(c, why, sizeof why), 0);
	json_decref(c);
	s[KEY_CUSTOMER_ID_MAX] = 'c';
	s[KEY_CUSTOMER_ID_MAX + 1] = '\0';
	c = json_string(s);
	ck_assert_int_eq(key_customer_id_check(c, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "1-64"));
	json_decref(c);
	const char *bad[] = {"", "cus:1", "cus 1", "cus/1", "cus*"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c = json_string(bad[i]);
		ck_assert_msg(key_customer_id_check(c, why, sizeof why) == -1,
		              "\"%s\"", bad[i]);
		ck_assert(strncmp(why, "customer_id: ", 13) == 0);
		json_decref(c);
	}
	c = json_integer(42);
	ck_assert_int_eq(key_customer_id_check(c, why, sizeof why), -1);
	json_decref(c);
}
END_TEST

START_TEST(iso_times)
{
	char out[MESH_TIME_SIZE];

	mesh_time_format(0, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
	mesh_time_format(1700000000123LL, out);
	ck_assert_str_eq(out, "2023-11-14T22:13:20.123Z");
	mesh_time_format(253402300799999LL, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
	/* Out of range clamps to the ends (libmesh's formatter). */
	mesh_time_format(253402300800000LL, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
	mesh_time_format(-1, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
}
END_TEST

static json_t *flat_record(void)
{
	return json_pack(
	    "[s,s, s,s, s,s, s,s, s,s, s,s, s,s]", "id", "key_abcdefgh2345",
	    "name", "zapier", "scopes", "[\"leads:read\",\"comps:write\"]",
	    "customer_id", "cus_1", "hash",
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	    "created_at", "1700000000123", "last_used_at", "1700000060000");
}

START_TEST(public_view)
{
	json_t *flat = flat_record();
	json_t *pub = key_record_public(flat);
	char *text;

	ck_assert_ptr_nonnull(pub);
	ck_assert_str_eq(json_string_value(json_object_get(pub, "key_id")),
	                 "key_abcdefgh2345");
	ck_assert_str_eq(json_string_value(json_object_get(pub, "name")),
	                 "zapier");
	ck_assert_int_eq(json_array_size(json_object_get(pub, "scopes")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(pub, "customer_id")),
	                 "cus_1");
	ck_assert_str_eq(json_string_value(json_object_get(pub, "created_at")),
	                 "2023-11-14T22:13:20.123Z");
	ck_assert_str_eq(
	    json_string_value(json_object_get(pub, "last_used_at")),
	    "2023-11-14T22:14:20.000Z");
	ck_assert(json_is_null(json_object_get(pub, "revoked_at")));
	ck_assert(json_is_false(json_object_get(pub, "revoked")));
	/* The hash is in the record, never in the view. */
	text = json_dumps(pub, 0);
	ck_assert_ptr_null(strstr(text, "9f86d081"));
	ck_assert_ptr_null(json_object_get(pub, "hash"));
	free(text);
	json_decref(pub);
	json_decref(flat);
}
END_TEST

START_TEST(public_view_revoked_without_customer)
{
	json_t *flat = json_pack(
	    "[s,s, s,s, s,s, s,s, s,s, s,s]", "id", "key_abcdefgh2345", "name",
	    "old", "scopes", "[\"*\"]", "customer_id", "", "created_at",
	    "1700000000000", "revoked_at", "1700000001000");
	json_t *pub = key_record_public(flat);

	ck_assert_ptr_nonnull(pub);
	ck_assert(json_is_null(json_object_get(pub, "customer_id")));
	ck_assert(json_is_null(json_object_get(pub, "last_used_at")));
	ck_assert_str_eq(json_string_value(json_object_get(pub, "revoked_at")),
	                 "2023-11-14T22:13:21.000Z");
	ck_assert(json_is_true(json_object_get(pub, "revoked")));
	json_decref(pub);
	json_decref(flat);
}
END_TEST

START_TEST(public_view_incomplete)
{
	json_t *flat;

	flat = json_pack("[s,s, s,s]", "id", "key_abcdefgh2345", "name", "x");
	ck_assert_ptr_null(key_record_public(flat));
	json_decref(flat);
	flat = json_pack("[s,s, s,s, s,s, s,s]", "id", "key_abcdefgh2345",
	                 "name", "x", "scopes", "not json", "created_at", "1");
	ck_assert_ptr_null(key_record_public(flat));
	json_decref(flat);
	flat = json_pack("[s,s, s,s, s,s, s,s]", "id", "key_abcdefgh2345",
	                 "name", "x", "scopes", "[]", "created_at", "12x");
	ck_assert_ptr_null(key_record_public(flat));
	json_decref(flat);
	ck_assert_ptr_null(key_record_public(NULL));
	flat = json_array();
	ck_assert_ptr_null(key_record_public(flat));
	json_decref(flat);
}
END_TEST

START_TEST(field_lookup)
{
	json_t *flat = flat_record();

	ck_assert_str_eq(key_record_field(flat, "name"), "zapier");
	ck_assert_ptr_null(key_record_field(flat, "revoked_at"));
	/* A value is never taken for a field name. */
	ck_assert_ptr_null(key_record_field(flat, "zapier"));
	ck_assert_ptr_null(key_record_field(NULL, "name"));
	json_decref(flat);
}
END_TEST

static Suite *key_record_suite(void)
{
	Suite *s = suite_create("key_record");
	TCase *tc = tcase_create("fields");
	tcase_add_test(tc, names);
	tcase_add_test(tc, customer_ids);
	tcase_add_test(tc, iso_times);
	suite_add_tcase(s, tc);
	tc = tcase_create("view");
	tcase_add_test(tc, public_view);
	tcase_add_test(tc, public_view_revoked_without_customer);
	tcase_add_test(tc, public_view_incomplete);
	tcase_add_test(tc, field_lookup);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(key_record_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
