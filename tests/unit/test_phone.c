/* test_phone.c: phone_to_e164() and phone_is_e164() against tables of
 * inputs with their exact outputs and error messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"

static const struct {
	const char *in;
	const char *out;
} valid[] = {
    {"(512) 555-0142", "+15125550142"},
    {"512.555.0142", "+15125550142"},
    {"+1 512 555 0142", "+15125550142"},
    {"1-512-555-0142", "+15125550142"},
    {"5125550142", "+15125550142"},
    {"+15125550142", "+15125550142"},
    {"15125550142", "+15125550142"},
    {"512-555-0142", "+15125550142"},
    {"512 555 0142", "+15125550142"},
    {"  (512) 555-0142  ", "+15125550142"},
    {"+1 (602) 555-0199", "+16025550199"},
    {"614/555/0123", "+16145550123"},
    {"1 (614) 555-0123", "+16145550123"},
    {"+1-480-555-0100", "+14805550100"},
    {"(212)555-0100", "+12125550100"},
    {"999-999-9999", "+19999999999"},
    {"2002000000", "+12002000000"},
    /* 32 bytes exactly: the limit is inclusive. */
    {"  (512)  555 - 0142             ", "+15125550142"},
};

static const struct {
	const char *in;
	const char *why;
} invalid[] = {
    {"", "phone: empty"},
    {"512-555-014", "phone: expected 10 digits, got 9"},
    {"+1 512 555 014", "phone: expected 10 digits, got 9"},
    {"512-555-01420", "phone: expected 10 digits, got 11"},
    {"25125550142", "phone: expected 10 digits, got 11"},
    {"115125550142", "phone: expected 10 digits, got 12"},
    {"+1", "phone: expected 10 digits, got 0"},
    {"+", "phone: expected 10 digits, got 0"},
    {"   ", "phone: expected 10 digits, got 0"},
    {"---", "phone: expected 10 digits, got 0"},
    {"5", "phone: expected 10 digits, got 1"},
    {"12345678901234567890123456789012", "phone: expected 10 digits, got 32"},
    {"+123456789012345678901234567890", "phone: expected 10 digits, got 29"},
    {"512-555-0142 x123", "phone: extensions are not supported"},
    {"512-555-0142x123", "phone: extensions are not supported"},
    {"512-555-0142 ext. 123", "phone: extensions are not supported"},
    {"512-555-0142 EXT 9", "phone: extensions are not supported"},
    {"512-555-0142 extension 9", "phone: extensions are not supported"},
    {"512-555-0142 #12", "phone: extensions are not supported"},
    {"1-800-FLOWERS", "phone: letters are not allowed"},
    {"512-555-01a2", "phone: letters are not allowed"},
    {"call 512 555 0142", "phone: letters are not allowed"},
    {"512-555-0142 extra", "phone: letters are not allowed"},
    {"+44 20 7946 0958", "phone: only US numbers (+1) are supported"},
    {"+52 55 1234 5678", "phone: only US numbers (+1) are supported"},
    {"512+555+0142", "phone: '+' is only allowed at the start"},
    {"++1 512 555 0142", "phone: '+' is only allowed at the start"},
    {"512_555_0142", "phone: unexpected character"},
    {"512\t555\t0142", "phone: unexpected character"},
    {"512-555-0142\n", "phone: unexpected character"},
    {"512\xc2\xa0"
     "555 0142",
     "phone: unexpected character"},
    {"012-555-0142", "phone: area code cannot start with 0 or 1"},
    {"112-555-0142", "phone: area code cannot start with 0 or 1"},
    {"1-112-555-0142", "phone: area code cannot start with 0 or 1"},
    {"+1 012 555 0142", "phone: area code cannot start with 0 or 1"},
    {"911-555-0142", "phone: area code cannot be an N11 service code"},
    {"(411) 555-0142", "phone: area code cannot be an N11 service code"},
    {"211-555-0142", "phone: area code cannot be an N11 service code"},
    {"512-055-0142", "phone: exchange cannot start with 0 or 1"},
    {"512-155-0142", "phone: exchange cannot start with 0 or 1"},
    {"512-911-0142", "phone: exchange cannot be an N11 service code"},
    {"512-411-0142", "phone: exchange cannot be an N11 service code"},
    /* 33 bytes: one over the limit, even though it is all spaces. */
    {"(512) 555-0142                   ", "phone: longer than 32 bytes"},
    {"+1 (512) 555-0142 +1 (512) 555-0142", "phone: longer than 32 bytes"},
};

START_TEST(test_valid)
{
	char out[PHONE_E164_SIZE];
	const char *why = "unset";
	int rc = phone_to_e164(valid[_i].in, out, &why);
	ck_assert_msg(rc == 0, "\"%s\": %s", valid[_i].in, why);
	ck_assert_str_eq(out, valid[_i].out);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(phone_is_e164(out), 1);
}
END_TEST

START_TEST(test_invalid)
{
	char out[PHONE_E164_SIZE];
	const char *why = NULL;
	memcpy(out, "garbage", 8);
	int rc = phone_to_e164(invalid[_i].in, out, &why);
	ck_assert_msg(rc == -1, "\"%s\" accepted as %s", invalid[_i].in, out);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, invalid[_i].why);
}
END_TEST

START_TEST(test_null_and_no_why)
{
	char out[PHONE_E164_SIZE];
	const char *why = NULL;
	ck_assert_int_eq(phone_to_e164(NULL, out, &why), -1);
	ck_assert_str_eq(why, "phone: missing");
	/* why is optional on both paths. */
	ck_assert_int_eq(phone_to_e164("5125550142", out, NULL), 0);
	ck_assert_str_eq(out, "+15125550142");
	ck_assert_int_eq(phone_to_e164("512", out, NULL), -1);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_long_input_not_read_past_limit)
{
	/* A long buffer without a NUL inside the limit must be refused
	 * without reading the whole of it. */
	size_t n = 4096;
	char *big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '5', n);
	big[n] = '\0';
	char out[PHONE_E164_SIZE];
	const char *why = NULL;
	ck_assert_int_eq(phone_to_e164(big, out, &why), -1);
	ck_assert_str_eq(why, "phone: longer than 32 bytes");
	free(big);
}
END_TEST

START_TEST(test_every_digit_count)
{
	/* Every count of national digits but 10 names the count it got. */
	for (int count = 0; count <= PHONE_INPUT_MAX; count++) {
		char in[PHONE_INPUT_MAX + 1];
		char want[64];
		char out[PHONE_E164_SIZE];
		const char *why = NULL;
		memset(in, '5', (size_t)count);
		in[count] = '\0';
		int rc = phone_to_e164(in, out, &why);
		if (count == 0) {
			ck_assert_str_eq(why, "phone: empty");
			continue;
		}
		if (count == 10) {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(out, "+15555555555");
			continue;
		}
		snprintf(want, sizeof(want),
		         "phone: expected 10 digits, got %d", count);
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(why, want);
	}
}
END_TEST

static const struct {
	const char *s;
	int ok;
} e164[] = {
    {"+15125550142", 1},
    {"+442079460958", 1},
    {"+525512345678", 1},
    {"+861012345678", 1},
    {"+12345678", 1},         /* 8 digits: the minimum */
    {"+123456789012345", 1},  /* 15 digits: the maximum */
    {"+1234567", 0},          /* 7 digits */
    {"+1234567890123456", 0}, /* 16 digits */
    {"+0123456789", 0},       /* leading 0 is no country code */
    {"15125550142", 0},       /* no '+' */
    {"+1 512 555 0142", 0},   /* separators */
    {"+1-512-555-0142", 0},
    {"+1512555014a", 0},
    {"+", 0},
    {"", 0},
    {"++15125550142", 0},
    {"+15125550142\n", 0},
    {" +15125550142", 0},
};

START_TEST(test_is_e164)
{
	ck_assert_msg(phone_is_e164(e164[_i].s) == e164[_i].ok, "\"%s\"",
	              e164[_i].s);
}
END_TEST

START_TEST(test_is_e164_null)
{
	ck_assert_int_eq(phone_is_e164(NULL), 0);
}
END_TEST

static Suite *phone_suite(void)
{
	Suite *s = suite_create("phone");
	TCase *tc = tcase_create("to_e164");
	tcase_add_loop_test(tc, test_valid, 0,
	                    sizeof(valid) / sizeof(valid[0]));
	tcase_add_loop_test(tc, test_invalid, 0,
	                    sizeof(invalid) / sizeof(invalid[0]));
	tcase_add_test(tc, test_null_and_no_why);
	tcase_add_test(tc, test_long_input_not_read_past_limit);
	tcase_add_test(tc, test_every_digit_count);
	suite_add_tcase(s, tc);
	tc = tcase_create("is_e164");
	tcase_add_loop_test(tc, test_is_e164, 0,
	                    sizeof(e164) / sizeof(e164[0]));
	tcase_add_test(tc, test_is_e164_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(phone_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
