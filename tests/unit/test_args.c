#include <check.h>

#include "mesh.h"

START_TEST(numbers_from_json_or_query_strings)
{
	json_t *a = json_pack(
	    "{s:i, s:f, s:s, s:s, s:s, s:s, s:s, s:n, s:b, s:s}", "int", 3,
	    "real", 2.5, "str", "1.25", "neg", "-7", "empty", "", "junk",
	    "12abc", "space", " 4", "null", "bool", 1, "huge", "1e999");
	double x = 0;

	ck_assert_int_eq(mesh_arg_number(a, "int", &x), 1);
	ck_assert(x == 3);
	ck_assert_int_eq(mesh_arg_number(a, "real", &x), 1);
	ck_assert(x == 2.5);
	ck_assert_int_eq(mesh_arg_number(a, "str", &x), 1);
	ck_assert(x == 1.25);
	ck_assert_int_eq(mesh_arg_number(a, "neg", &x), 1);
	ck_assert(x == -7);
	x = 99;
	ck_assert_int_eq(mesh_arg_number(a, "missing", &x), 0);
	ck_assert_int_eq(mesh_arg_number(a, "empty", &x), 0);
	ck_assert_int_eq(mesh_arg_number(a, "null", &x), 0);
	ck_assert(x == 99); /* untouched when absent */
	ck_assert_int_eq(mesh_arg_number(a, "junk", &x), -1);
	ck_assert_int_eq(mesh_arg_number(a, "space", &x), -1);
	ck_assert_int_eq(mesh_arg_number(a, "bool", &x), -1);
	ck_assert_int_eq(mesh_arg_number(a, "huge", &x), -1);
	ck_assert_int_eq(mesh_arg_number(NULL, "int", &x), 0);
	json_decref(a);
}
END_TEST

START_TEST(zip_codes)
{
	char zip[6];

	ck_assert_int_eq(mesh_zip5("78704", zip), 1);
	ck_assert_str_eq(zip, "78704");
	ck_assert_int_eq(mesh_zip5("78704-1234", zip), 1);
	ck_assert_str_eq(zip, "78704");
	ck_assert_int_eq(mesh_zip5("7870", zip), 0);
	ck_assert_int_eq(mesh_zip5("787045", zip), 0);
	ck_assert_int_eq(mesh_zip5("78704 1234", zip), 0);
	ck_assert_int_eq(mesh_zip5("7870a", zip), 0);
	ck_assert_int_eq(mesh_zip5(NULL, zip), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("args");
	TCase *tc = tcase_create("args");

	tcase_add_test(tc, numbers_from_json_or_query_strings);
	tcase_add_test(tc, zip_codes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
