/* test_lead_id.c: lead ids: format, time order, validity, round trip. */
#include <check.h>
#include <string.h>

#include "../../services/leads-intake/lead_id.h"

static const unsigned char zero[LEAD_ID_RAND_BYTES] = {0};
static const unsigned char ones[LEAD_ID_RAND_BYTES] = {0xff, 0xff, 0xff, 0xff,
                                                       0xff};

START_TEST(format_is_fixed)
{
	char id[LEAD_ID_SIZE];
	const unsigned char rnd[LEAD_ID_RAND_BYTES] = {0x01, 0x23, 0x45, 0x67,
	                                               0x89};

	lead_id_format(0, zero, id);
	ck_assert_str_eq(id, "ld_00000000000000000000");
	lead_id_format(1767225600000LL, ones, id);
	ck_assert_int_eq(strlen(id), LEAD_ID_LEN);
	ck_assert_str_eq(id + 15, "zzzzzzzz");
	/* 0x0123456789 in 5-bit groups: 0 4 17 20 10 25 28 9. */
	lead_id_format(1, rnd, id);
	ck_assert_str_eq(id, "ld_00000000000104hmasw9");
}
END_TEST

START_TEST(ids_sort_by_time)
{
	char a[LEAD_ID_SIZE], b[LEAD_ID_SIZE];
	long long times[] = {0,
	                     1,
	                     31,
	                     32,
	                     999,
	                     1000,
	                     1767225600000LL,
	                     1767225600001LL,
	                     4102444800000LL};

	for (size_t i = 0; i + 1 < sizeof times / sizeof times[0]; i++) {
		/* The earlier time with the largest randomness still sorts
		 * first. */
		lead_id_format(times[i], ones, a);
		lead_id_format(times[i + 1], zero, b);
		ck_assert_msg(strcmp(a, b) < 0, "%s !< %s", a, b);
	}
	lead_id_floor(1767225600000LL, a);
	lead_id_format(1767225600000LL, zero, b);
	ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(time_round_trips)
{
	char id[LEAD_ID_SIZE];
	long long times[] = {0, 1, 1767225600123LL, (1LL << 60) - 1};

	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		lead_id_format(times[i], ones, id);
		ck_assert_int_eq(lead_id_ms(id), times[i]);
	}
	/* A negative clock gives the zero time, not garbage. */
	lead_id_format(-5, zero, id);
	ck_assert_int_eq(lead_id_ms(id), 0);
}
END_TEST

START_TEST(validity)
{
	ck_assert(lead_id_valid("ld_0001m8g7sz5ebq79yrzk"));
	ck_assert(!lead_id_valid(NULL));
	ck_assert(!lead_id_valid(""));
	ck_assert(!lead_id_valid("ld_0001m8g7sz5ebq79yrz"));   /* short */
	ck_assert(!lead_id_valid("ld_0001m8g7sz5ebq79yrzkk")); /* long */
	ck_assert(!lead_id_valid("lx_0001m8g7sz5ebq79yrzk"));
	ck_assert(!lead_id_valid("ld_0001M8G7SZ5EBQ79YRZK")); /* case */
	ck_assert(!lead_id_valid("ld_0001m8g7sz5ebq79yrzi")); /* no i */
	ck_assert(!lead_id_valid("ld_0001m8g7sz5ebq79yr:k"));
	ck_assert_int_eq(lead_id_ms("nope"), -1);
}
END_TEST

static Suite *lead_id_suite(void)
{
	Suite *s = suite_create("lead_id");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, format_is_fixed);
	tcase_add_test(tc, ids_sort_by_time);
	tcase_add_test(tc, time_round_trips);
	tcase_add_test(tc, validity);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lead_id_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
