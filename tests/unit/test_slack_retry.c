/*
 * The Slack delivery policy: which answers are done, which are retried and
 * after how long, which fail at once and with which code, and how the
 * attempt count and the deadline bound the retries.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/slack-notify/slack_retry.h"

/* Plenty of time left: only the policy decides. */
#define AMPLE 60000

START_TEST(success_is_delivered)
{
	for (long st = 200; st < 300; st += 4)
		ck_assert_int_eq(
		    slack_retry_decide(MESH_OK, st, NULL, 1, AMPLE).action,
		    SLACK_DELIVERED);
	/* Even on the last attempt with no time left. */
	ck_assert_int_eq(
	    slack_retry_decide(MESH_OK, 200, NULL, SLACK_MAX_ATTEMPTS, 0)
	        .action,
	    SLACK_DELIVERED);
}
END_TEST

START_TEST(rate_limit_waits_retry_after)
{
	slack_decision d = slack_retry_decide(MESH_OK, 429, "1", 1, AMPLE);

	ck_assert_int_eq(d.action, SLACK_RETRY);
	ck_assert_int_eq(d.delay_ms, 1000);
	d = slack_retry_decide(MESH_OK, 429, "7", 2, AMPLE);
	ck_assert_int_eq(d.delay_ms, 7000);
	/* No header: a second. */
	d = slack_retry_decide(MESH_OK, 429, NULL, 1, AMPLE);
	ck_assert_int_eq(d.action, SLACK_RETRY);
	ck_assert_int_eq(d.delay_ms, SLACK_RETRY_AFTER_DEFAULT_MS);
	/* Past the deadline: fail unavailable, never wait in vain. */
	d = slack_retry_decide(MESH_OK, 429, "10", 1, 5000);
	ck_assert_int_eq(d.action, SLACK_FAIL);
	ck_assert_int_eq(d.err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(d.reason, "deadline"));
	/* Exactly enough time for the wait and one attempt. */
	d = slack_retry_decide(MESH_OK, 429, "1", 1,
	                       1000 + SLACK_ATTEMPT_MIN_MS);
	ck_assert_int_eq(d.action, SLACK_RETRY);
	d = slack_retry_decide(MESH_OK, 429, "1", 1,
	                       1000 + SLACK_ATTEMPT_MIN_MS - 1);
	ck_assert_int_eq(d.action, SLACK_FAIL);
}
END_TEST

START_TEST(retry_after_parsing)
{
	ck_assert_int_eq(slack_retry_after_ms("0"), 0);
	ck_assert_int_eq(slack_retry_after_ms(" 3 "), 3000);
	ck_assert_int_eq(slack_retry_after_ms("29"), 29000);
	ck_assert_int_eq(slack_retry_after_ms("30"), SLACK_RETRY_AFTER_MAX_MS);
	ck_assert_int_eq(slack_retry_after_ms("31"), SLACK_RETRY_AFTER_MAX_MS);
	ck_assert_int_eq(slack_retry_after_ms("99999999999999999999999"),
	                 SLACK_RETRY_AFTER_MAX_MS);
	ck_assert_int_eq(slack_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"),
	                 SLACK_RETRY_AFTER_DEFAULT_MS);
	ck_assert_int_eq(slack_retry_after_ms("-5"),
	                 SLACK_RETRY_AFTER_DEFAULT_MS);
	ck_assert_int_eq(slack_retry_after_ms("5s"),
	                 SLACK_RETRY_AFTER_DEFAULT_MS);
	ck_assert_int_eq(slack_retry_after_ms(""),
	                 SLACK_RETRY_AFTER_DEFAULT_MS);
	ck_assert_int_eq(slack_retry_after_ms(NULL),
	                 SLACK_RETRY_AFTER_DEFAULT_MS);
}
END_TEST

START_TEST(server_errors_back_off_exponentially)
{
	int64_t want = SLACK_BACKOFF_FIRST_MS;

	for (int a = 1; a < SLACK_MAX_ATTEMPTS; a++, want *= 2) {
		slack_decision d =
		    slack_retry_decide(MESH_OK, 503, NULL, a, AMPLE);
		ck_assert_int_eq(d.action, SLACK_RETRY);
		ck_assert_int_eq(d.delay_ms, want);
	}
	ck_assert_int_eq(
	    slack_retry_decide(MESH_OK, 500, NULL, 1, AMPLE).delay_ms, 250);
	ck_assert_int_eq(
	    slack_retry_decide(MESH_OK, 502, NULL, 2, AMPLE).delay_ms, 500);
	ck_assert_int_eq(
	    slack_retry_decide(MESH_OK, 599, NULL, 3, AMPLE).delay_ms, 1000);
	slack_decision d =
	    slack_retry_decide(MESH_OK, 500, NULL, SLACK_MAX_ATTEMPTS, AMPLE);
	ck_assert_int_eq(d.action, SLACK_FAIL);
	ck_assert_int_eq(d.err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(d.reason, "status 500"));
	ck_assert_ptr_nonnull(strstr(d.reason, "4 attempts"));
}
END_TEST

START_TEST(timeouts_and_unreachable_are_retried)
{
	slack_decision d = slack_retry_decide(MESH_ETIMEOUT, 0, NULL, 1, AMPLE);
	ck_assert_int_eq(d.action, SLACK_RETRY);
	ck_assert_int_eq(d.delay_ms, 250);
	d = slack_retry_decide(MESH_EUNAVAILABLE, 0, NULL, 2, AMPLE);
	ck_assert_int_eq(d.action, SLACK_RETRY);
	ck_assert_int_eq(d.delay_ms, 500);
	d = slack_retry_decide(MESH_ETIMEOUT, 0, NULL, SLACK_MAX_ATTEMPTS,
	                       AMPLE);
	ck_assert_int_eq(d.action, SLACK_FAIL);
	ck_assert_int_eq(d.err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(d.reason, "timed out"));
	/* No time for the backoff. */
	d = slack_retry_decide(MESH_EUNAVAILABLE, 0, NULL, 1, 100);
	ck_assert_int_eq(d.action, SLACK_FAIL);
}
END_TEST

START_TEST(client_errors_fail_at_once)
{
	static const struct {
		long status;
		mesh_err err;
	} cases[] = {
	    {400, MESH_EINVAL},       {401, MESH_EFORBIDDEN},
	    {403, MESH_EFORBIDDEN},   {404, MESH_EFORBIDDEN},
	    {405, MESH_EINVAL},       {410, MESH_EFORBIDDEN},
	    {413, MESH_ETOOLARGE},    {422, MESH_EINVAL},
	    {499, MESH_EINVAL},       {302, MESH_EUNAVAILABLE},
	    {100, MESH_EUNAVAILABLE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		/* On the first attempt, with all the time in the world. */
		slack_decision d =
		    slack_retry_decide(MESH_OK, cases[i].status, "1", 1, AMPLE);
		ck_assert_msg(d.action == SLACK_FAIL, "status %ld retried",
		              cases[i].status);
		ck_assert_int_eq(d.err, cases[i].err);
		ck_assert_ptr_nonnull(strstr(d.reason, "status"));
	}
}
END_TEST

static Suite *retry_suite(void)
{
	Suite *s = suite_create("slack_retry");
	TCase *tc = tcase_create("decide");
	tcase_add_test(tc, success_is_delivered);
	tcase_add_test(tc, rate_limit_waits_retry_after);
	tcase_add_test(tc, retry_after_parsing);
	tcase_add_test(tc, server_errors_back_off_exponentially);
	tcase_add_test(tc, timeouts_and_unreachable_are_retried);
	tcase_add_test(tc, client_errors_fail_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(retry_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
