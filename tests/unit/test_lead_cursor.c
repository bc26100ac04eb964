/* test_lead_cursor.c: cursors round-trip and refuse what they did not
 * make. */
#include <check.h>
#include <string.h>

#include "../../services/leads-intake/lead_cursor.h"

START_TEST(round_trip)
{
	const char *ids[] = {"ld_00000000000000000000",
	                     "ld_0001m8g7sz5ebq79yrzk",
	                     "ld_zzzzzzzzzzzzzzzzzzzz"};
	char cursor[LEAD_CURSOR_SIZE], back[LEAD_ID_SIZE];

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		lead_cursor_encode(ids[i], cursor);
		ck_assert_int_eq(strlen(cursor), LEAD_CURSOR_LEN);
		/* URL-safe: it goes back in a query string as is. */
		ck_assert_uint_eq(strspn(cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                                 "abcdefghijklmnopqrstuvwxyz"
		                                 "0123456789-_"),
		                  LEAD_CURSOR_LEN);
		ck_assert_int_eq(lead_cursor_decode(cursor, back), 0);
		ck_assert_str_eq(back, ids[i]);
	}
	/* The exact bytes: base64url of "1:" + id. */
	lead_cursor_encode("ld_0001m8g7sz5ebq79yrzk", cursor);
	ck_assert_str_eq(cursor, "MTpsZF8wMDAxbThnN3N6NWVicTc5eXJ6aw");
}
END_TEST

START_TEST(refuses_foreign_cursors)
{
	char back[LEAD_ID_SIZE], cursor[LEAD_CURSOR_SIZE];

	ck_assert_int_eq(lead_cursor_decode(NULL, back), -1);
	ck_assert_int_eq(lead_cursor_decode("", back), -1);
	ck_assert_int_eq(lead_cursor_decode("garbage", back), -1);
	/* One character short and one too many. */
	lead_cursor_encode("ld_0001m8g7sz5ebq79yrzk", cursor);
	cursor[LEAD_CURSOR_LEN - 1] = '\0';
	ck_assert_int_eq(lead_cursor_decode(cursor, back), -1);
	ck_assert_int_eq(
	    lead_cursor_decode("MTpsZF8wMDAxbThnN3N6NWVicTc5eXJ6awA", back),
	    -1);
	/* Standard base64 characters are not ours. */
	ck_assert_int_eq(
	    lead_cursor_decode("MTpsZF8wMDAxbThnN3N6NWVicTc5eXJ6a+", back), -1);
	/* Version 2, same id: refused. ("2:" + id) */
	ck_assert_int_eq(
	    lead_cursor_decode("MjpsZF8wMDAxbThnN3N6NWVicTc5eXJ6aw", back), -1);
	/* Right shape, but the id inside is not an id ("1:" + 23 x "x"). */
	ck_assert_int_eq(
	    lead_cursor_decode("MTp4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eA", back), -1);
}
END_TEST

static Suite *lead_cursor_suite(void)
{
	Suite *s = suite_create("lead_cursor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, refuses_foreign_cursors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lead_cursor_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
