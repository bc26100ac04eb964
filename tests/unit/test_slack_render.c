/*
 * The six Slack templates: what the channel shows (text and blocks), the
 * mrkdwn escaping of every user value, and the errors for unknown
 * templates and missing or mistyped data.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/slack-notify/slack_render.h"

static char err[256];

/* Renders from a JSON literal; fails the test when it does not render. */
static json_t *render_ok(const char *tmpl, const char *data_json)
{
	json_t *data = json_loads(data_json, 0, NULL);
	ck_assert_msg(data != NULL, "bad test JSON: %s", data_json);
	json_t *msg = slack_render(tmpl, data, err, sizeof err);
	ck_assert_msg(msg != NULL, "%s: %s", tmpl, err);
	json_decref(data);
	return msg;
}

/* Renders and expects an error naming `needle`. */
static void render_bad(const char *tmpl, const char *data_json,
                       const char *needle)
{
	json_t *data = json_loads(data_json, 0, NULL);
	ck_assert_ptr_nonnull(data);
	err[0] = '\0';
	json_t *msg = slack_render(tmpl, data, err, sizeof err);
	ck_assert_ptr_null(msg);
	ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"",
	              err, needle);
	json_decref(data);
}

static const char *text_of(json_t *msg)
{
	return json_string_value(json_object_get(msg, "text"));
}

/* Every mrkdwn text in the blocks, concatenated. */
static char *blocks_text(json_t *msg)
{
	char *all = json_dumps(json_object_get(msg, "blocks"), JSON_COMPACT);
	ck_assert_ptr_nonnull(all);
	return all;
}

START_TEST(new_lead_reads_like_the_seed)
{
	json_t *m = render_ok("new_lead",
	                      "{\"id\": \"L-17\", \"name\": \"Jane Seller\","
	                      " \"phone\": \"+15125550100\","
	                      " \"email\": \"jane@example.com\","
	                      " \"address\": {\"one_line\": \"12 Oak St, "
	                      "Austin, TX 78701\", \"city\": \"Austin\"},"
	                      " \"created_at\": \"2025-07-01T08:00:00Z\"}");
	const char *t = text_of(m);

	ck_assert_ptr_nonnull(
	    strstr(t, "*New Lead!*\nJane Seller - +15125550100"));
	ck_assert_ptr_nonnull(
	    strstr(t, "Address: 12 Oak St, Austin, TX 78701"));
	ck_assert_ptr_nonnull(strstr(t, "Email: jane@example.com"));
	ck_assert_ptr_nonnull(strstr(t, "Lead L-17"));
	/* No valuation or score given: none shown. */
	ck_assert_ptr_null(strstr(t, "Est. value"));
	ck_assert_ptr_null(strstr(t, "Score"));

	json_t *blocks = json_object_get(m, "blocks");
	ck_assert_int_eq(json_array_size(blocks), 3);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(blocks, 0), "type")),
	                 "section");
	json_t *fields = json_object_get(json_array_get(blocks, 1), "fields");
	ck_assert_int_eq(json_array_size(fields), 4);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(fields, 0), "text")),
	                 "*Name*\nJane Seller");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(blocks, 2), "type")),
	                 "context");
	json_decref(m);
}
END_TEST

START_TEST(new_lead_shows_valuation_and_score_when_present)
{
	json_t *m =
	    render_ok("new_lead",
	              "{\"name\": \"Jo\", \"phone\": \"5125550100\","
	              " \"valuation\": {\"value\": 312000, \"low\": 290000,"
	              " \"high\": 335000}, \"score\": 87, \"tier\": \"hot\"}");
	ck_assert_ptr_nonnull(strstr(text_of(m), "Est. value: $312,000 "
	                                         "($290,000 - $335,000)"));
	ck_assert_ptr_nonnull(strstr(text_of(m), "Score: 87 (hot)"));
	json_decref(m);

	m = render_ok("new_lead", "{\"name\": \"Jo\", \"email\": \"j@x.io\","
	                          " \"valuation\": 1250000.4}");
	ck_assert_ptr_nonnull(strstr(text_of(m), "Jo - j@x.io"));
	ck_assert_ptr_nonnull(strstr(text_of(m), "Est. value: $1,250,000"));
	json_decref(m);

	/* An address object without one_line: built from its parts. */
	m = render_ok("new_lead",
	              "{\"name\": \"Jo\", \"phone\": \"1\", \"address\":"
	              " {\"street\": \"12 Oak St\", \"city\": \"Austin\","
	              " \"state\": \"TX\", \"zip\": \"78701\"}}");
	ck_assert_ptr_nonnull(
	    strstr(text_of(m), "Address: 12 Oak St, Austin, TX 78701"));
	json_decref(m);
}
END_TEST

START_TEST(channel_mention_is_escaped)
{
	json_t *m = render_ok("new_lead", "{\"name\": \"<!channel>\","
	                                  " \"phone\": \"<@U123>\"}");
	char *b = blocks_text(m);

	ck_assert_ptr_nonnull(
	    strstr(text_of(m), "&lt;!channel&gt; - &lt;@U123&gt;"));
	ck_assert_ptr_null(strstr(text_of(m), "<!channel>"));
	ck_assert_ptr_null(strstr(b, "<!channel>"));
	ck_assert_ptr_null(strstr(b, "<@U123>"));
	ck_assert_ptr_nonnull(strstr(b, "&lt;!channel&gt;"));
	free(b);
	json_decref(m);
}
END_TEST

START_TEST(ampersand_and_script_are_escaped)
{
	json_t *m = render_ok("alert", "{\"message\": \"Tom & Jerry "
	                               "<script>alert(1)</script>\","
	                               " \"service\": \"a&b\"}");
	char *b = blocks_text(m);

	ck_assert_ptr_nonnull(strstr(text_of(m),
	                             "Tom &amp; Jerry &lt;script&gt;alert(1)"
	                             "&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(text_of(m), "Service: a&amp;b"));
	ck_assert_ptr_null(strstr(b, "<script>"));
	free(b);
	json_decref(m);
}
END_TEST

START_TEST(escape_function)
{
	char *s = slack_escape("a & b < c > d &amp;");
	ck_assert_str_eq(s, "a &amp; b &lt; c &gt; d &amp;amp;");
	free(s);
	s = slack_escape("");
	ck_assert_str_eq(s, "");
	free(s);
	/* Slack's control sequences are the only thing to neutralise:
	 * formatting characters pass through. */
	s = slack_escape("*bold* _it_ `code`");
	ck_assert_str_eq(s, "*bold* _it_ `code`");
	free(s);
}
END_TEST

START_TEST(long_values_are_cut_at_the_limit)
{
	char in[SLACK_VALUE_MAX_BYTES + 2];
	char *s;

	memset(in, 'x', SLACK_VALUE_MAX_BYTES);
	in[SLACK_VALUE_MAX_BYTES] = '\0';
	s = slack_escape(in);
	ck_assert_uint_eq(strlen(s), SLACK_VALUE_MAX_BYTES);
	free(s);

	in[SLACK_VALUE_MAX_BYTES] = 'y';
	in[SLACK_VALUE_MAX_BYTES + 1] = '\0';
	s = slack_escape(in);
	ck_assert_uint_eq(strlen(s), SLACK_VALUE_MAX_BYTES + 3);
	ck_assert_str_eq(s + SLACK_VALUE_MAX_BYTES, "...");
	free(s);

	/* A two-byte character across the cut is dropped whole. */
	memset(in, 'x', SLACK_VALUE_MAX_BYTES + 1);
	in[SLACK_VALUE_MAX_BYTES - 1] = (char)0xC3;
	in[SLACK_VALUE_MAX_BYTES] = (char)0xA9;
	in[SLACK_VALUE_MAX_BYTES + 1] = '\0';
	s = slack_escape(in);
	ck_assert_uint_eq(strlen(s), SLACK_VALUE_MAX_BYTES - 1 + 3);
	ck_assert_str_eq(s + SLACK_VALUE_MAX_BYTES - 1, "...");
	free(s);

	/* Escaping happens after the cut: "&" at the end still whole. */
	memset(in, '&', SLACK_VALUE_MAX_BYTES);
	in[SLACK_VALUE_MAX_BYTES] = '\0';
	s = slack_escape(in);
	ck_assert_uint_eq(strlen(s), 5 * SLACK_VALUE_MAX_BYTES);
	free(s);
}
END_TEST

START_TEST(money_format)
{
	char b[64];

	ck_assert_int_eq(slack_format_money(0, 1, b, sizeof b), 0);
	ck_assert_str_eq(b, "$0.00");
	ck_assert_int_eq(slack_format_money(999, 0, b, sizeof b), 0);
	ck_assert_str_eq(b, "$999");
	ck_assert_int_eq(slack_format_money(1000, 0, b, sizeof b), 0);
	ck_assert_str_eq(b, "$1,000");
	ck_assert_int_eq(slack_format_money(1234567.891, 1, b, sizeof b), 0);
	ck_assert_str_eq(b, "$1,234,567.89");
	ck_assert_int_eq(slack_format_money(-49.5, 1, b, sizeof b), 0);
	ck_assert_str_eq(b, "-$49.50");
	ck_assert_int_eq(
	    slack_format_money(SLACK_MONEY_MAX_DOLLARS, 0, b, sizeof b), 0);
	ck_assert_str_eq(b, "$1,000,000,000,000");
	ck_assert_int_eq(
	    slack_format_money(SLACK_MONEY_MAX_DOLLARS * 1.01, 0, b, sizeof b),
	    -1);
	ck_assert_int_eq(slack_format_money(1.0 / 0.0, 0, b, sizeof b), -1);
	ck_assert_int_eq(slack_format_money(1000, 1, b, 6), -1);
}
END_TEST

START_TEST(payment_alert_offer_hot)
{
	json_t *m = render_ok("payment", "{\"customer\": \"Acme Homes\","
	                                 " \"amount\": 49}");
	ck_assert_str_eq(text_of(m), "*Payment!* Acme Homes paid $49.00");
	json_decref(m);
	m = render_ok("payment",
	              "{\"customer_email\": \"a@b.co\","
	              " \"amount_cents\": 19900, \"plan\": \"pro\"}");
	ck_assert_ptr_nonnull(
	    strstr(text_of(m), "a@b.co paid $199.00\nPlan: pro"));
	json_decref(m);
	m = render_ok("payment", "{\"customer\": \"X\", \"amount\": 10,"
	                         " \"currency\": \"eur\"}");
	ck_assert_ptr_nonnull(strstr(text_of(m), "X paid 10.00 eur"));
	json_decref(m);

	m = render_ok("alert", "{\"message\": \"disk full\","
	                       " \"severity\": \"critical\"}");
	ck_assert_str_eq(text_of(m), "*Alert!* [critical]\ndisk full");
	json_decref(m);

	m = render_ok("offer_graded",
	              "{\"letter\": \"B\", \"score\": 82, \"address\": \"1 A "
	              "St\", \"offer\": 200000, \"red_flags\": [\"short "
	              "close\", {\"message\": \"no earnest money\"}]}");
	ck_assert_ptr_nonnull(strstr(text_of(m), "*Offer graded B* (82/100) "
	                                         "for 1 A St"));
	ck_assert_ptr_nonnull(strstr(text_of(m), "Offer: $200,000"));
	ck_assert_ptr_nonnull(
	    strstr(text_of(m), "Red flags: short close, no earnest money"));
	json_decref(m);

	m = render_ok("hot_lead",
	              "{\"lead_id\": 42, \"score\": 91,"
	              " \"tier\": \"hot\", \"factors\":"
	              " [\"foreclosure\", {\"label\": \"equity\"}]}");
	ck_assert_ptr_nonnull(
	    strstr(text_of(m), "*Hot Lead!* Lead 42 scored 91/100"));
	ck_assert_ptr_nonnull(strstr(text_of(m), "Why: foreclosure, equity"));
	json_decref(m);
}
END_TEST

START_TEST(digest_text)
{
	json_t *m =
	    render_ok("daily_digest", "{\"date\": \"2025-07-01\", \"counts\":"
	                              " {\"new_lead\": 7, \"payment\": 1,"
	                              " \"hot_lead\": 0, \"bogus\": 99}}");
	ck_assert_str_eq(text_of(m),
	                 "*Daily digest for 2025-07-01*: 8 messages "
	                 "sent\nnew_lead: 7\npayment: 1");
	json_t *fields = json_object_get(
	    json_array_get(json_object_get(m, "blocks"), 1), "fields");
	ck_assert_int_eq(json_array_size(fields), 2);
	json_decref(m);

	m = render_ok("daily_digest", "{\"date\": \"2025-07-02\", \"counts\": {"
	                              "\"alert\": 1}}");
	ck_assert_str_eq(text_of(m), "*Daily digest for 2025-07-02*: 1 message "
	                             "sent\nalert: 1");
	json_decref(m);

	m = render_ok("daily_digest",
	              "{\"date\": \"2025-07-03\", \"counts\": {}}");
	ck_assert_str_eq(text_of(m),
	                 "*Daily digest for 2025-07-03*: nothing was sent");
	/* No fields: no empty fields section (Slack refuses one). */
	ck_assert_int_eq(json_array_size(json_object_get(m, "blocks")), 1);
	json_decref(m);

	render_bad("daily_digest", "{\"counts\": {}}", "data.date");
	render_bad("daily_digest", "{\"date\": \"x\"}", "data.counts");
	render_bad("daily_digest",
	           "{\"date\": \"x\", \"counts\": {\"alert\": -1}}",
	           "data.counts.alert");
}
END_TEST

START_TEST(errors_name_what_is_wrong)
{
	json_t *d = json_object();

	ck_assert_ptr_null(slack_render("birthday", d, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "template"));
	ck_assert_ptr_nonnull(strstr(err, "birthday"));
	ck_assert_ptr_null(slack_render(NULL, d, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "template"));
	ck_assert_ptr_null(slack_render("alert", NULL, err, sizeof err));
	ck_assert_str_eq(err, "data: expected an object");
	json_decref(d);

	render_bad("new_lead", "{\"phone\": \"1\"}",
	           "data.name: required by new_lead");
	render_bad("new_lead", "{\"name\": \"\", \"phone\": \"1\"}",
	           "data.name");
	render_bad("new_lead", "{\"name\": \"Jo\"}",
	           "data.phone or data.email");
	render_bad("new_lead", "{\"name\": 42, \"phone\": \"1\"}",
	           "data.name: expected a string");
	render_bad("new_lead",
	           "{\"name\": \"Jo\", \"phone\": \"1\", \"score\": \"x\"}",
	           "data.score: expected a number");
	render_bad("new_lead",
	           "{\"name\": \"Jo\", \"phone\": \"1\", \"address\": 7}",
	           "data.address");
	render_bad("new_lead",
	           "{\"name\": \"Jo\", \"phone\": \"1\", \"valuation\": 1e13}",
	           "data.valuation: out of range");
	render_bad("hot_lead", "{\"name\": \"Jo\"}", "data.score");
	render_bad("hot_lead", "{\"score\": 90}", "data.name or data.lead_id");
	render_bad("hot_lead",
	           "{\"score\": 90, \"name\": \"a\", \"factors\": [1]}",
	           "data.factors[0]");
	render_bad("payment", "{\"amount\": 5}", "data.customer");
	render_bad("payment", "{\"customer\": \"x\"}", "data.amount");
	render_bad("alert", "{}", "data.message");
	render_bad("offer_graded", "{\"score\": 3}", "data.letter");
	ck_assert_int_eq(slack_template_known("payment"), 1);
	ck_assert_int_eq(slack_template_known("Payment"), 0);
	ck_assert_int_eq(slack_template_known(NULL), 0);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("slack_render");
	TCase *tc = tcase_create("templates");
	tcase_add_test(tc, new_lead_reads_like_the_seed);
	tcase_add_test(tc, new_lead_shows_valuation_and_score_when_present);
	tcase_add_test(tc, payment_alert_offer_hot);
	tcase_add_test(tc, digest_text);
	tcase_add_test(tc, errors_name_what_is_wrong);
	suite_add_tcase(s, tc);
	tc = tcase_create("escaping");
	tcase_add_test(tc, channel_mention_is_escaped);
	tcase_add_test(tc, ampersand_and_script_are_escaped);
	tcase_add_test(tc, escape_function);
	tcase_add_test(tc, long_values_are_cut_at_the_limit);
	tcase_add_test(tc, money_format);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
