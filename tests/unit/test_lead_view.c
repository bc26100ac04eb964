/* test_lead_view.c: stored fields become the lead a reader sees. */
#include <check.h>

#include "../../services/leads-intake/lead_view.h"

START_TEST(assembles_the_lead)
{
	json_t *fields = json_pack(
	    "[s, s, s, s]", "{\"id\":\"ld_1\",\"name\":\"Ann\"}", "contacted",
	    "2026-01-02T00:00:00.000Z", "{\"value\":300000}");
	json_t *history = json_pack("[s, s, s]", "{\"to\":\"new\"}", "not json",
	                            "{\"from\":\"new\",\"to\":\"contacted\"}");
	json_t *v = lead_view(fields, history);

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_string_value(json_object_get(v, "name")), "Ann");
	ck_assert_str_eq(json_string_value(json_object_get(v, "status")),
	                 "contacted");
	ck_assert_str_eq(json_string_value(json_object_get(v, "updated_at")),
	                 "2026-01-02T00:00:00.000Z");
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(v, "valuation"), "value")),
	                 300000);
	/* An unreadable history entry is skipped, not fatal. */
	ck_assert_int_eq(json_array_size(json_object_get(v, "history")), 2);
	json_decref(v);

	/* Not yet valued, no history asked for (list pages). */
	json_array_set_new(fields, 3, json_null());
	v = lead_view(fields, NULL);
	ck_assert(json_is_null(json_object_get(v, "valuation")));
	ck_assert_ptr_null(json_object_get(v, "history"));
	json_decref(v);
	json_decref(fields);
	json_decref(history);
}
END_TEST

START_TEST(refuses_unreadable_leads)
{
	json_t *fields = json_pack("[s, s, n, n]", "[1,2]", "new");

	ck_assert_ptr_null(lead_view(fields, NULL));
	json_decref(fields);
	fields = json_pack("[n, s, n, n]", "new");
	ck_assert_ptr_null(lead_view(fields, NULL));
	json_decref(fields);
	ck_assert_ptr_null(lead_view(NULL, NULL));
}
END_TEST

static Suite *lead_view_suite(void)
{
	Suite *s = suite_create("lead_view");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, assembles_the_lead);
	tcase_add_test(tc, refuses_unreadable_leads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lead_view_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
