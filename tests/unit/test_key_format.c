/*
 * test_key_format.c: base62 of 256-bit numbers against vectors computed
 * independently (Python int.to_bytes), key and key id shapes, and the
 * ADMIN_API_KEY check at its boundaries.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/auth/key_format.h"

static const struct {
	uint8_t bytes[KEY_RANDOM_BYTES];
	const char *digits;
} vectors[] = {
    {{0}, "0000000000000000000000000000000000000000000"},
    {{[31] = 1}, "0000000000000000000000000000000000000000001"},
    {{[31] = 62}, "0000000000000000000000000000000000000000010"},
    {{0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
     "003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf"},
    {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
     "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1"},
};

START_TEST(base62_vectors)
{
	char out[KEY_DIGITS + 1];
	uint8_t back[KEY_RANDOM_BYTES];

	base62_encode_256(vectors[_i].bytes, out);
	ck_assert_str_eq(out, vectors[_i].digits);
	ck_assert_int_eq(base62_decode_256(vectors[_i].digits, back), 0);
	ck_assert_mem_eq(back, vectors[_i].bytes, KEY_RANDOM_BYTES);
}
END_TEST

START_TEST(base62_round_trip_pseudo_random)
{
	uint8_t in[KEY_RANDOM_BYTES], back[KEY_RANDOM_BYTES];
	char out[KEY_DIGITS + 1];
	unsigned seed = 12345;

	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof in; i++)
			in[i] = (uint8_t)(rand_r(&seed) >> 7);
		base62_encode_256(in, out);
		ck_assert_uint_eq(strlen(out), KEY_DIGITS);
		ck_assert_int_eq(base62_decode_256(out, back), 0);
		ck_assert_mem_eq(back, in, sizeof in);
	}
}
END_TEST

START_TEST(base62_decode_rejects)
{
	uint8_t out[KEY_RANDOM_BYTES];

	/* 2^256 itself: one past the largest 32-byte value. */
	ck_assert_int_eq(
	    base62_decode_256("yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp2",
	                      out),
	    -1);
	ck_assert_int_eq(
	    base62_decode_256("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
	                      out),
	    -1);
	ck_assert_int_eq(
	    base62_decode_256("000000000000000000000000000000000000000000-",
	                      out),
	    -1);
	ck_assert_int_eq(
	    base62_decode_256("00000000000000000000 000000000000000000000000",
	                      out),
	    -1);
	/* A short string stops at its NUL, which is not a digit. */
	ck_assert_int_eq(base62_decode_256("0000", out), -1);
}
END_TEST

START_TEST(key_make_and_valid)
{
	uint8_t b[KEY_RANDOM_BYTES];
	char key[KEY_LEN + 1];

	memset(b, 0xa5, sizeof b);
	key_format_make(b, key);
	ck_assert_uint_eq(strlen(key), 51);
	ck_assert(strncmp(key, "lm_live_", 8) == 0);
	ck_assert(key_format_valid(key));
}
END_TEST

static const char *const bad_keys[] = {
    "",
    "lm_live_",
    /* one digit short and one too many */
    "lm_live_000000000000000000000000000000000000000000",
    "lm_live_00000000000000000000000000000000000000000000",
    /* wrong prefix, right length */
    "lm_test_0000000000000000000000000000000000000000000",
    "LM_LIVE_0000000000000000000000000000000000000000000",
    /* a character outside base62 */
    "lm_live_000000000000000000000000000000000000000000_",
    "lm_live_00000000000000000000000000000000000000000+0",
    /* right shape, but more than 256 bits */
    "lm_live_yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp2",
    "lm_live_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
};

START_TEST(key_invalid)
{
	ck_assert_msg(!key_format_valid(bad_keys[_i]), "\"%s\"", bad_keys[_i]);
}
END_TEST

START_TEST(key_valid_extremes)
{
	ck_assert(key_format_valid(
	    "lm_live_0000000000000000000000000000000000000000000"));
	ck_assert(key_format_valid(
	    "lm_live_yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1"));
}
END_TEST

START_TEST(key_id_shape)
{
	uint8_t zero[KEY_ID_RANDOM_BYTES] = {0};
	uint8_t ones[KEY_ID_RANDOM_BYTES];
	/* The 5-bit groups 1, 2, ..., 12, then 4 unused bits. */
	uint8_t mixed[KEY_ID_RANDOM_BYTES] = {0x08, 0x86, 0x42, 0x98,
	                                      0xe8, 0x4a, 0x96, 0xc0};
	char id[KEY_ID_LEN + 1];

	key_id_make(zero, id);
	ck_assert_str_eq(id, "key_aaaaaaaaaaaa");
	memset(ones, 0xff, sizeof ones);
	key_id_make(ones, id);
	ck_assert_str_eq(id, "key_777777777777");
	key_id_make(mixed, id);
	ck_assert_str_eq(id, "key_bcdefghijklm");
	ck_assert(key_id_valid(id));
}
END_TEST

START_TEST(key_id_valid_rejects)
{
	ck_assert(key_id_valid("key_abcdefgh2345"));
	ck_assert(!key_id_valid("key_admin"));
	ck_assert(!key_id_valid("key_abcdefgh234"));
	ck_assert(!key_id_valid("key_abcdefgh23456"));
	ck_assert(!key_id_valid("key_abcdefgh2341"));
	ck_assert(!key_id_valid("key_Abcdefgh2345"));
	ck_assert(!key_id_valid("kez_abcdefgh2345"));
	ck_assert(!key_id_valid(""));
}
END_TEST

START_TEST(admin_key_bounds)
{
	char k[ADMIN_KEY_MAX_LEN + 2];
	const char *why = NULL;

	memset(k, 'a', sizeof k);
	k[ADMIN_KEY_MIN_LEN - 1] = '\0';
	ck_assert_int_eq(admin_key_check(k, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "too short"));
	memset(k, 'a', sizeof k);
	k[ADMIN_KEY_MIN_LEN] = '\0';
	ck_assert_int_eq(admin_key_check(k, &why), 0);
	memset(k, 'a', sizeof k);
	k[ADMIN_KEY_MAX_LEN] = '\0';
	ck_assert_int_eq(admin_key_check(k, &why), 0);
	memset(k, 'a', sizeof k);
	k[ADMIN_KEY_MAX_LEN + 1] = '\0';
	ck_assert_int_eq(admin_key_check(k, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "too long"));
	ck_assert_int_eq(admin_key_check("", &why), -1);
}
END_TEST

START_TEST(admin_key_charset)
{
	const char *why = NULL;

	ck_assert_int_eq(
	    admin_key_check("correct horse battery staple!!", &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "printable ASCII"));
	ck_assert_int_eq(admin_key_check("abcdefghijklmnopqrstuvwx\t", &why),
	                 -1);
	ck_assert_int_eq(
	    admin_key_check("abcdefghijklmnopqrstuvw\xc3\xa9", &why), -1);
	ck_assert_int_eq(
	    admin_key_check("Zm9vYmFyYmF6cXV4+/=~!@#$%^&*()", &why), 0);
	/* The message never quotes the key. */
	ck_assert_int_eq(admin_key_check("s3cr3t", &why), -1);
	ck_assert_ptr_null(strstr(why, "s3cr3t"));
}
END_TEST

static Suite *key_format_suite(void)
{
	Suite *s = suite_create("key_format");
	TCase *tc = tcase_create("base62");
	tcase_add_loop_test(tc, base62_vectors, 0,
	                    sizeof vectors / sizeof vectors[0]);
	tcase_add_test(tc, base62_round_trip_pseudo_random);
	tcase_add_test(tc, base62_decode_rejects);
	suite_add_tcase(s, tc);
	tc = tcase_create("keys");
	tcase_add_test(tc, key_make_and_valid);
	tcase_add_loop_test(tc, key_invalid, 0,
	                    sizeof bad_keys / sizeof bad_keys[0]);
	tcase_add_test(tc, key_valid_extremes);
	tcase_add_test(tc, key_id_shape);
	tcase_add_test(tc, key_id_valid_rejects);
	suite_add_tcase(s, tc);
	tc = tcase_create("admin");
	tcase_add_test(tc, admin_key_bounds);
	tcase_add_test(tc, admin_key_charset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(key_format_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
