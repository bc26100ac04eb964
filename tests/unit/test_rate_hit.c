/*
 * test_rate_hit.c: rate-limit.hit's argument checks at every boundary and
 * the reply built from the script's result.
 */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/rate-limit/rate_hit.h"

static int parse(json_t *args, rate_hit_args *a, char *why)
{
	int rc = rate_hit_parse(args, a, why, 256);
	json_decref(args);
	return rc;
}

START_TEST(parse_ok)
{
	rate_hit_args a;
	char why[256];
	json_t *args = json_pack("{s:s, s:i, s:i}", "key", "ip:203.0.113.9",
	                         "limit", 10, "window_s", 60);

	ck_assert_int_eq(rate_hit_parse(args, &a, why, sizeof why), 0);
	ck_assert_str_eq(a.key, "ip:203.0.113.9");
	ck_assert_int_eq(a.limit, 10);
	ck_assert_int_eq(a.window_s, 60);
	json_decref(args);
}
END_TEST

START_TEST(parse_bounds)
{
	rate_hit_args a;
	char why[256];

	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", "k", "limit",
	                                 1, "window_s", 1),
	                       &a, why),
	                 0);
	ck_assert_int_eq(
	    parse(json_pack("{s:s, s:i, s:i}", "key", "k", "limit",
	                    RATE_LIMIT_MAX, "window_s", RATE_WINDOW_MAX_S),
	          &a, why),
	    0);
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", "k", "limit",
	                                 0, "window_s", 1),
	                       &a, why),
	                 -1);
	ck_assert_str_eq(why, "limit: expected an integer 1-1000000");
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", "k", "limit",
	                                 RATE_LIMIT_MAX + 1, "window_s", 1),
	                       &a, why),
	                 -1);
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", "k", "limit",
	                                 5, "window_s", 0),
	                       &a, why),
	                 -1);
	ck_assert_str_eq(why, "window_s: expected an integer 1-86400");
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", "k", "limit",
	                                 5, "window_s", RATE_WINDOW_MAX_S + 1),
	                       &a, why),
	                 -1);
	ck_assert_int_eq(parse(json_pack("{s:s, s:s, s:i}", "key", "k", "limit",
	                                 "5", "window_s", 1),
	                       &a, why),
	                 -1);
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:f}", "key", "k", "limit",
	                                 5, "window_s", 1.5),
	                       &a, why),
	                 -1);
	ck_assert_int_eq(
	    parse(json_pack("{s:s, s:i}", "key", "k", "limit", 5), &a, why),
	    -1);
}
END_TEST

START_TEST(parse_key)
{
	rate_hit_args a;
	char why[256], k[RATE_KEY_MAX + 2];

	memset(k, 'k', sizeof k);
	k[RATE_KEY_MAX] = '\0';
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", k, "limit",
	                                 1, "window_s", 1),
	                       &a, why),
	                 0);
	k[RATE_KEY_MAX] = 'k';
	k[RATE_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", k, "limit",
	                                 1, "window_s", 1),
	                       &a, why),
	                 -1);
	ck_assert_str_eq(why, "key: at most 200 bytes, got 201");
	ck_assert_int_eq(parse(json_pack("{s:s, s:i, s:i}", "key", "", "limit",
	                                 1, "window_s", 1),
	                       &a, why),
	                 -1);
	ck_assert_str_eq(why, "key: expected a non-empty string");
	ck_assert_int_eq(
	    parse(json_pack("{s:o, s:i, s:i}", "key", json_stringn("a\0b", 3),
	                    "limit", 1, "window_s", 1),
	          &a, why),
	    -1);
	ck_assert_int_eq(parse(json_pack("{s:i, s:i, s:i}", "key", 7, "limit",
	                                 1, "window_s", 1),
	                       &a, why),
	                 -1);
	ck_assert_int_eq(parse(json_object(), &a, why), -1);
	ck_assert_int_eq(rate_hit_parse(NULL, &a, why, sizeof why), -1);
}
END_TEST

START_TEST(bucket_widths)
{
	ck_assert_int_eq(rate_bucket_ms(1), 17);
	ck_assert_int_eq(rate_bucket_ms(60), 1000);
	ck_assert_int_eq(rate_bucket_ms(86400), 1440000);
	ck_assert_int_eq(rate_hold_max_ms(60), 61000);
}
END_TEST

START_TEST(decimal)
{
	static const struct {
		long long v;
		const char *s;
	} cases[] = {
	    {0, "0"},
	    {7, "7"},
	    {10, "10"},
	    {RATE_LIMIT_MAX, "1000000"},
	    {RATE_WINDOW_MAX_S * 1000LL, "86400000"},
	    {-45, "-45"},
	    {LLONG_MAX, "9223372036854775807"},
	    {LLONG_MIN, "-9223372036854775808"},
	};
	char out[RATE_DECIMAL_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_uint_eq(rate_decimal(cases[i].v, out),
		                  strlen(cases[i].s));
		ck_assert_str_eq(out, cases[i].s);
	}
	/* The longest fills the buffer exactly. */
	ck_assert_uint_eq(strlen("-9223372036854775808") + 1, RATE_DECIMAL_MAX);
}
END_TEST

static json_t *reply_for(long long limit, long long window_s, int allowed,
                         long long count, long long reset_ms)
{
	rate_hit_args a = {.key = "k", .limit = limit, .window_s = window_s};
	json_t *r = json_pack("[i, I, I, i]", allowed, (json_int_t)count,
	                      (json_int_t)reset_ms, 0);
	int healed = -1;
	json_t *out = rate_hit_reply(&a, r, &healed);

	json_decref(r);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(healed, 0);
	return out;
}

static long long num(json_t *o, const char *k)
{
	ck_assert_msg(json_is_integer(json_object_get(o, k)), "%s", k);
	return json_integer_value(json_object_get(o, k));
}

START_TEST(reply_allowed)
{
	json_t *r = reply_for(10, 60, 1, 3, 59500);

	ck_assert(json_is_true(json_object_get(r, "allowed")));
	ck_assert_int_eq(num(r, "limit"), 10);
	ck_assert_int_eq(num(r, "remaining"), 7);
	ck_assert_int_eq(num(r, "reset_ms"), 59500);
	ck_assert_int_eq(num(r, "reset_s"), 60);
	ck_assert_ptr_null(json_object_get(r, "retry_after_s"));
	json_decref(r);
	/* The last slot: remaining 0 but allowed. */
	r = reply_for(10, 60, 1, 10, 1);
	ck_assert(json_is_true(json_object_get(r, "allowed")));
	ck_assert_int_eq(num(r, "remaining"), 0);
	ck_assert_int_eq(num(r, "reset_s"), 1);
	json_decref(r);
}
END_TEST

START_TEST(reply_denied)
{
	json_t *r = reply_for(5, 10, 0, 5, 2001);

	ck_assert(json_is_false(json_object_get(r, "allowed")));
	ck_assert_int_eq(num(r, "remaining"), 0);
	ck_assert_int_eq(num(r, "reset_s"), 3);
	ck_assert_int_eq(num(r, "retry_after_s"), 3);
	json_decref(r);
	/* Due now: still at least one second for Retry-After. */
	r = reply_for(5, 10, 0, 5, 0);
	ck_assert_int_eq(num(r, "retry_after_s"), 1);
	json_decref(r);
}
END_TEST

START_TEST(reply_clamps)
{
	/* A clock step back makes the reset look longer than possible. */
	json_t *r = reply_for(5, 60, 0, 5, 999999999);

	ck_assert_int_eq(num(r, "reset_ms"), 61000);
	ck_assert_int_eq(num(r, "retry_after_s"), 61);
	json_decref(r);
	r = reply_for(5, 60, 1, 1, -5);
	ck_assert_int_eq(num(r, "reset_ms"), 0);
	json_decref(r);
	/* A limit lowered under the count already held. */
	r = reply_for(2, 60, 0, 5, 100);
	ck_assert_int_eq(num(r, "remaining"), 0);
	json_decref(r);
}
END_TEST

START_TEST(reply_healed)
{
	rate_hit_args a = {.key = "k", .limit = 5, .window_s = 60};
	json_t *r = json_pack("[i, i, i, i]", 1, 2, 60000, 1);
	int healed = 0;
	json_t *out = rate_hit_reply(&a, r, &healed);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(healed, 1);
	ck_assert_int_eq(num(out, "remaining"), 3);
	json_decref(out);
	json_decref(r);
}
END_TEST

START_TEST(reply_bad_shape)
{
	rate_hit_args a = {.key = "k", .limit = 1, .window_s = 1};
	json_t *bad[] = {NULL,
	                 json_null(),
	                 json_pack("[i, i]", 1, 1),
	                 json_pack("[i, i, i]", 1, 1, 1),
	                 json_pack("[i, s, i, i]", 1, "2", 3, 0),
	                 json_pack("[i, i, i, s]", 1, 1, 1, "0"),
	                 json_pack("[i, i, i, i, i]", 1, 1, 1, 0, 0),
	                 json_pack("{s:i}", "allowed", 1)};
	int healed;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(rate_hit_reply(&a, bad[i], &healed) == NULL,
		              "case %zu", i);
		json_decref(bad[i]);
	}
}
END_TEST

static Suite *rate_hit_suite(void)
{
	Suite *s = suite_create("rate_hit");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, parse_ok);
	tcase_add_test(tc, parse_bounds);
	tcase_add_test(tc, parse_key);
	tcase_add_test(tc, bucket_widths);
	tcase_add_test(tc, decimal);
	suite_add_tcase(s, tc);
	tc = tcase_create("reply");
	tcase_add_test(tc, reply_allowed);
	tcase_add_test(tc, reply_denied);
	tcase_add_test(tc, reply_clamps);
	tcase_add_test(tc, reply_healed);
	tcase_add_test(tc, reply_bad_shape);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rate_hit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
