/* test_comp_date.c: YYYYMMDD dates: parsing, month windows, days. */
#include <check.h>
#include <stdlib.h>

#include "../../services/comps/comp_date.h"

START_TEST(parse_valid_and_invalid)
{
	int32_t d = 7;

	ck_assert(comp_date_parse("2026-11-01", &d));
	ck_assert_int_eq(d, 20261101);
	ck_assert(comp_date_parse("2024-02-29", &d));
	ck_assert_int_eq(d, 20240229);
	ck_assert(comp_date_parse("1900-01-01", &d)); /* lowest year */
	ck_assert(comp_date_parse("2999-12-31", &d)); /* highest year */
	d = 7;
	ck_assert(!comp_date_parse("1899-12-31", &d));
	ck_assert(!comp_date_parse("3000-01-01", &d));
	ck_assert(!comp_date_parse("2025-02-29", &d)); /* not a leap year */
	ck_assert(!comp_date_parse("2100-02-29", &d)); /* century */
	ck_assert(!comp_date_parse("2026-04-31", &d));
	ck_assert(!comp_date_parse("2026-13-01", &d));
	ck_assert(!comp_date_parse("2026-00-10", &d));
	ck_assert(!comp_date_parse("2026-1-01", &d));
	ck_assert(!comp_date_parse("2026-11-01 ", &d));
	ck_assert(!comp_date_parse("2026/11/01", &d));
	ck_assert(!comp_date_parse("2026-11-0x", &d));
	ck_assert(!comp_date_parse("", &d));
	ck_assert(!comp_date_parse(NULL, &d));
	ck_assert_int_eq(d, 7);                       /* untouched on failure */
	ck_assert(comp_date_parse("2000-02-29", &d)); /* 400-year leap */
}
END_TEST

START_TEST(format_round_trips)
{
	char buf[11];

	comp_date_format(20261101, buf);
	ck_assert_str_eq(buf, "2026-11-01");
	comp_date_format(19000101, buf);
	ck_assert_str_eq(buf, "1900-01-01");
}
END_TEST

START_TEST(months_before_clamps_to_month_end)
{
	ck_assert_int_eq(comp_date_months_before(20261101, 12), 20251101);
	ck_assert_int_eq(comp_date_months_before(20261101, 0), 20261101);
	ck_assert_int_eq(comp_date_months_before(20260331, 1), 20260228);
	ck_assert_int_eq(comp_date_months_before(20240331, 1), 20240229);
	ck_assert_int_eq(comp_date_months_before(20260115, 1), 20251215);
	ck_assert_int_eq(comp_date_months_before(20260115, 120), 20160115);
	ck_assert_int_eq(comp_date_months_before(20250531, 3), 20250228);
}
END_TEST

START_TEST(next_day_and_unix)
{
	ck_assert_int_eq(comp_date_next_day(20261231), 20270101);
	ck_assert_int_eq(comp_date_next_day(20240228), 20240229);
	ck_assert_int_eq(comp_date_next_day(20250228), 20250301);
	ck_assert_int_eq(comp_date_next_day(20261130), 20261201);
	ck_assert_int_eq(comp_date_next_day(20261101), 20261102);
	ck_assert_int_eq(comp_date_from_unix(0), 19700101);
	/* 2026-11-01T23:59:59Z is still the first. */
	ck_assert_int_eq(comp_date_from_unix(1793577599), 20261101);
	ck_assert_int_eq(comp_date_from_unix(1793577600), 20261102);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("comp_date");
	TCase *tc = tcase_create("dates");
	tcase_add_test(tc, parse_valid_and_invalid);
	tcase_add_test(tc, format_round_trips);
	tcase_add_test(tc, months_before_clamps_to_month_end);
	tcase_add_test(tc, next_day_and_unix);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
