/* test_comp_record.c: checking one sale: every field, its limits at the
 * boundary, the canonical form and derived ids. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/comps/comp_record.h"

#define TODAY 20261101

static char err[256];

/* A valid sale, as the seed writes them. */
static json_t *sale(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:i, s:f, s:i, "
	                 "s:i, s:i, s:i, s:s}",
	                 "id", "cmp-78704-001", "address", "1501 S 1st St",
	                 "city", "Austin", "state", "tx", "zip", "78704", "lat",
	                 30.2445, "lon", -97.7631, "beds", 3, "baths", 2.0,
	                 "sqft", 1800, "year_built", 1965, "lot_sqft", 7000,
	                 "price", 812000, "sold_date", "2026-06-15");
}

/* Parses sale() with field set to v (stolen; NULL removes it). */
static json_t *with(const char *field, json_t *v)
{
	json_t *in = sale(), *out;

	if (v)
		json_object_set_new(in, field, v);
	else
		json_object_del(in, field);
	err[0] = '\0';
	out = comp_record_parse(in, TODAY, err, sizeof err);
	json_decref(in);
	return out;
}

static void bad(const char *field, json_t *v, const char *msg)
{
	json_t *out = with(field, v);

	ck_assert_msg(out == NULL, "%s accepted", field);
	ck_assert_str_eq(err, msg);
}

static void good(const char *field, json_t *v)
{
	json_t *out = with(field, v);

	ck_assert_msg(out != NULL, "%s refused: %s", field, err);
	json_decref(out);
}

START_TEST(valid_sale_is_canonical)
{
	json_t *in = sale();
	json_t *out;

	json_object_set_new(in, "extra", json_string("dropped"));
	out = comp_record_parse(in, TODAY, err, sizeof err);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(json_string_value(json_object_get(out, "id")),
	                 "cmp-78704-001");
	ck_assert_str_eq(json_string_value(json_object_get(out, "state")),
	                 "TX");
	ck_assert_int_eq(json_integer_value(json_object_get(out, "baths")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "price")),
	                 812000);
	ck_assert_double_eq(json_real_value(json_object_get(out, "lat")),
	                    30.2445);
	ck_assert_ptr_null(json_object_get(out, "extra"));
	ck_assert_int_eq(json_object_size(out), 14);
	json_decref(in);
	json_decref(out);

	/* Optional fields may be absent or null. */
	in = sale();
	json_object_del(in, "city");
	json_object_del(in, "state");
	json_object_set_new(in, "year_built", json_null());
	json_object_del(in, "lot_sqft");
	out = comp_record_parse(in, TODAY, err, sizeof err);
	ck_assert_ptr_nonnull(out);
	ck_assert(json_is_null(json_object_get(out, "year_built")));
	ck_assert(json_is_null(json_object_get(out, "lot_sqft")));
	ck_assert(json_is_null(json_object_get(out, "city")));
	json_decref(in);
	json_decref(out);
}
END_TEST

START_TEST(required_fields)
{
	static const char *required[] = {"address", "zip",   "lat",
	                                 "lon",     "beds",  "baths",
	                                 "sqft",    "price", "sold_date"};
	char want[64];

	for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
		snprintf(want, sizeof want, "%s: required", required[i]);
		bad(required[i], NULL, want);
		bad(required[i], json_null(), want);
	}
	ck_assert_ptr_null(comp_record_parse(NULL, TODAY, err, sizeof err));
	ck_assert_str_eq(err, "comp: expected an object");
	json_t *arr = json_array();
	ck_assert_ptr_null(comp_record_parse(arr, TODAY, err, sizeof err));
	json_decref(arr);
}
END_TEST

START_TEST(number_limits_at_the_boundary)
{
	good("sqft", json_integer(200));
	good("sqft", json_integer(20000));
	bad("sqft", json_integer(199), "sqft: expected 200-20000");
	bad("sqft", json_integer(20001), "sqft: expected 200-20000");
	bad("sqft", json_string("1800"), "sqft: expected 200-20000");
	good("beds", json_integer(0));
	good("beds", json_integer(20));
	bad("beds", json_integer(21), "beds: expected a whole number 0-20");
	bad("beds", json_real(2.5), "beds: expected a whole number 0-20");
	bad("beds", json_integer(-1), "beds: expected a whole number 0-20");
	good("baths", json_real(2.5));
	good("baths", json_integer(20));
	bad("baths", json_real(20.5), "baths: expected 0-20");
	bad("baths", json_real(2.25),
	    "baths: expected whole or half baths (2.5)");
	good("price", json_integer(1000));
	good("price", json_integer(1000000000));
	bad("price", json_integer(999), "price: expected 1000-1000000000");
	bad("price", json_real(1e9 + 1), "price: expected 1000-1000000000");
	good("lat", json_real(85.05112878));
	bad("lat", json_real(85.06),
	    "lat: expected -85.05112878 to 85.05112878");
	good("lon", json_real(-180));
	bad("lon", json_real(180.0001), "lon: expected -180 to 180");
	good("lot_sqft", json_integer(0));
	good("lot_sqft", json_integer(50000000));
	bad("lot_sqft", json_integer(50000001),
	    "lot_sqft: expected 0-50000000");
	good("year_built", json_integer(1700));
	good("year_built", json_integer(2029)); /* sold 2026 + 3 */
	bad("year_built", json_integer(2030),
	    "year_built: expected a whole number 1700-2029");
	bad("year_built", json_integer(1699),
	    "year_built: expected a whole number 1700-2029");
}
END_TEST

START_TEST(text_fields)
{
	char long_address[COMP_ADDRESS_MAX + 2];

	good("zip", json_string("78704-1234"));
	json_t *out = with("zip", json_string("78704-1234"));
	ck_assert_str_eq(json_string_value(json_object_get(out, "zip")),
	                 "78704");
	json_decref(out);
	bad("zip", json_string("7870"),
	    "zip: expected \"NNNNN\" or \"NNNNN-NNNN\"");
	bad("zip", json_string("78704 1234"),
	    "zip: expected \"NNNNN\" or \"NNNNN-NNNN\"");
	bad("zip", json_integer(78704), "zip: expected a string");
	memset(long_address, 'a', sizeof long_address - 1);
	long_address[COMP_ADDRESS_MAX] = '\0';
	good("address", json_string(long_address));
	long_address[COMP_ADDRESS_MAX] = 'a';
	long_address[COMP_ADDRESS_MAX + 1] = '\0';
	bad("address", json_string(long_address),
	    "address: expected 1-200 characters");
	bad("address", json_string("   "),
	    "address: expected 1-200 characters");
	bad("address", json_string("1 Main\nSt"),
	    "address: control characters are not allowed");
	out = with("address", json_string("  1 Main St "));
	ck_assert_str_eq(json_string_value(json_object_get(out, "address")),
	                 "1 Main St");
	json_decref(out);
	bad("state", json_string("Texas"), "state: expected two letters");
	bad("state", json_string("T1"), "state: expected two letters");
	bad("id", json_string("a b"), "id: expected [A-Za-z0-9._-]{1,64}");
	bad("id", json_integer(5), "id: expected a string");
}
END_TEST

START_TEST(sold_date_checks)
{
	good("sold_date", json_string("2026-11-01")); /* today */
	good("sold_date", json_string("2026-11-02")); /* clock ahead */
	bad("sold_date", json_string("2026-11-03"),
	    "sold_date: 2026-11-03 is in the future");
	bad("sold_date", json_string("2026-02-30"),
	    "sold_date: expected a date YYYY-MM-DD");
	bad("sold_date", json_string("06/15/2026"),
	    "sold_date: expected a date YYYY-MM-DD");
	bad("sold_date", json_integer(20260615),
	    "sold_date: expected a string");
}
END_TEST

START_TEST(derived_id_is_stable)
{
	char a[COMP_ID_MAX + 1], b[COMP_ID_MAX + 1], c[COMP_ID_MAX + 1];
	json_t *out;

	comp_record_id("78704", "1 Main St", "2026-06-15", 500000, a);
	comp_record_id("78704", "1 MAIN ST", "2026-06-15", 500000, b);
	comp_record_id("78704", "1 Main St", "2026-06-15", 501000, c);
	ck_assert_str_eq(a, b); /* case does not make a new sale */
	ck_assert_str_ne(a, c);
	ck_assert_int_eq(strlen(a), 17);
	ck_assert_int_eq(a[0], 'c');

	out = with("id", NULL);
	ck_assert_ptr_nonnull(out);
	comp_record_id("78704", "1501 S 1st St", "2026-06-15", 812000, a);
	ck_assert_str_eq(json_string_value(json_object_get(out, "id")), a);
	json_decref(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("comp_record");
	TCase *tc = tcase_create("record");
	tcase_add_test(tc, valid_sale_is_canonical);
	tcase_add_test(tc, required_fields);
	tcase_add_test(tc, number_limits_at_the_boundary);
	tcase_add_test(tc, text_fields);
	tcase_add_test(tc, sold_date_checks);
	tcase_add_test(tc, derived_id_is_stable);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
