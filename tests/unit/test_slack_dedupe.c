/*
 * The repeat identity: SHA-256 of channel and text, stable, and different
 * whenever either differs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/slack-notify/slack_dedupe.h"

START_TEST(known_digest)
{
	char hex[SLACK_DEDUPE_HEX + 1];

	/* SHA-256 of "\0abc" (default channel, text "abc"), computed with
	 * printf '\0abc' | sha256sum. */
	ck_assert_int_eq(slack_dedupe_digest(NULL, "abc", hex), 0);
	ck_assert_str_eq(
	    hex,
	    "609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1");
	ck_assert_uint_eq(strlen(hex), SLACK_DEDUPE_HEX);
}
END_TEST

START_TEST(channel_and_text_both_count)
{
	char a[SLACK_DEDUPE_HEX + 1], b[SLACK_DEDUPE_HEX + 1];

	ck_assert_int_eq(slack_dedupe_digest("sales", "hi", a), 0);
	ck_assert_int_eq(slack_dedupe_digest("sales", "hi", b), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(slack_dedupe_digest("ops", "hi", b), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(slack_dedupe_digest("sales", "hi!", b), 0);
	ck_assert_str_ne(a, b);
	/* The separator keeps the split point in the identity. */
	ck_assert_int_eq(slack_dedupe_digest("a", "bc", a), 0);
	ck_assert_int_eq(slack_dedupe_digest("ab", "c", b), 0);
	ck_assert_str_ne(a, b);
	/* "" is the default channel. */
	ck_assert_int_eq(slack_dedupe_digest("", "x", a), 0);
	ck_assert_int_eq(slack_dedupe_digest(NULL, "x", b), 0);
	ck_assert_str_eq(a, b);
}
END_TEST

static Suite *dedupe_suite(void)
{
	Suite *s = suite_create("slack_dedupe");
	TCase *tc = tcase_create("digest");
	tcase_add_test(tc, known_digest);
	tcase_add_test(tc, channel_and_text_both_count);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dedupe_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
