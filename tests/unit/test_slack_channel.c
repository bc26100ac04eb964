/*
 * Which environment variable holds a channel's webhook, which channel
 * names are accepted, and which webhook URLs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/slack-notify/slack_channel.h"

START_TEST(env_names)
{
	char b[128];

	ck_assert_int_eq(slack_channel_env(NULL, b, sizeof b), 0);
	ck_assert_str_eq(b, "SLACK_WEBHOOK_URL");
	ck_assert_int_eq(slack_channel_env("sales-ops", b, sizeof b), 0);
	ck_assert_str_eq(b, "SLACK_WEBHOOK_URL_SALES_OPS");
	ck_assert_int_eq(slack_channel_env("Alerts_2", b, sizeof b), 0);
	ck_assert_str_eq(b, "SLACK_WEBHOOK_URL_ALERTS_2");
	/* Exactly big enough, then one byte short. */
	ck_assert_int_eq(
	    slack_channel_env("ab", b, strlen("SLACK_WEBHOOK_URL_AB") + 1), 0);
	ck_assert_int_eq(
	    slack_channel_env("ab", b, strlen("SLACK_WEBHOOK_URL_AB")), -1);
	ck_assert_int_eq(slack_channel_env(NULL, b, 5), -1);
	ck_assert_int_eq(slack_channel_env("a b", b, sizeof b), -1);
}
END_TEST

START_TEST(channel_names)
{
	char name[SLACK_CHANNEL_MAX + 2];

	ck_assert_int_eq(slack_channel_valid("general"), 1);
	ck_assert_int_eq(slack_channel_valid("a"), 1);
	ck_assert_int_eq(slack_channel_valid(""), 0);
	ck_assert_int_eq(slack_channel_valid(NULL), 0);
	ck_assert_int_eq(slack_channel_valid("#general"), 0);
	ck_assert_int_eq(slack_channel_valid("a=b"), 0);
	ck_assert_int_eq(slack_channel_valid("../x"), 0);
	memset(name, 'c', SLACK_CHANNEL_MAX);
	name[SLACK_CHANNEL_MAX] = '\0';
	ck_assert_int_eq(slack_channel_valid(name), 1);
	name[SLACK_CHANNEL_MAX] = 'c';
	name[SLACK_CHANNEL_MAX + 1] = '\0';
	ck_assert_int_eq(slack_channel_valid(name), 0);
}
END_TEST

START_TEST(webhook_urls)
{
	ck_assert_int_eq(
	    slack_webhook_url_valid("https://hooks.slack.com/services/T/B/x"),
	    1);
	ck_assert_int_eq(slack_webhook_url_valid("http://127.0.0.1:8/hook"), 1);
	ck_assert_int_eq(slack_webhook_url_valid("https://"), 0);
	ck_assert_int_eq(slack_webhook_url_valid("https:///path"), 0);
	ck_assert_int_eq(slack_webhook_url_valid("ftp://x"), 0);
	ck_assert_int_eq(slack_webhook_url_valid("hooks.slack.com"), 0);
	ck_assert_int_eq(slack_webhook_url_valid(NULL), 0);
}
END_TEST

static Suite *channel_suite(void)
{
	Suite *s = suite_create("slack_channel");
	TCase *tc = tcase_create("channel");
	tcase_add_test(tc, env_names);
	tcase_add_test(tc, channel_names);
	tcase_add_test(tc, webhook_urls);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(channel_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
