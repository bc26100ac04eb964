/* test_time_iso.c: ISO-8601 out, and every form mesh_time_parse takes in. */
#include <check.h>
#include <stdint.h>

#include "mesh.h"

START_TEST(formats_utc_with_milliseconds)
{
	char s[MESH_TIME_SIZE];

	mesh_time_format(0, s);
	ck_assert_str_eq(s, "1970-01-01T00:00:00.000Z");
	mesh_time_format(1767225600123LL, s);
	ck_assert_str_eq(s, "2026-01-01T00:00:00.123Z");
	mesh_time_format(951782400000LL, s); /* a leap day */
	ck_assert_str_eq(s, "2000-02-29T00:00:00.000Z");
	/* Out of range is clamped, the width never changes. */
	mesh_time_format(-1, s);
	ck_assert_str_eq(s, "1970-01-01T00:00:00.000Z");
	mesh_time_format(INT64_MAX, s);
	ck_assert_str_eq(s, "9999-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(parses_every_form)
{
	static const struct {
		const char *in;
		long long ms;
	} ok[] = {
	    {"2026-01-01", 1767225600000LL},
	    {"2026-01-01T00:00:00Z", 1767225600000LL},
	    {"2026-01-01T00:00:00.123Z", 1767225600123LL},
	    {"2026-01-01T00:00:00.1Z", 1767225600100LL},
	    {"2026-01-01T00:00:00.123456Z", 1767225600123LL},
	    {"2026-01-01T02:00:00+02:00", 1767225600000LL},
	    {"2025-12-31T19:00:00-05:00", 1767225600000LL},
	    {"2000-02-29", 951782400000LL},
	    {"1767225600000", 1767225600000LL},
	    {"0", 0},
	    {"253402300799999", 253402300799999LL},
	};
	static const char *const bad[] = {
	    "",
	    "2026-1-01",
	    "2026-02-30",
	    "2025-02-29",
	    "2026-13-01",
	    "2026-01-01T24:00:00Z",
	    "2026-01-01T00:00:00",
	    "2026-01-01T00:00Z",
	    "2026-01-01 00:00:00Z",
	    "2026-01-01T00:00:00.Z",
	    "2026-01-01T00:00:00+2:00",
	    "1969-12-31",
	    "-5",
	    "12abc",
	    "2534023008000000",
	    "253402300800000",
	    "yesterday",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		ck_assert_msg(mesh_time_parse(ok[i].in, &ms) == 0, "%s",
		              ok[i].in);
		ck_assert_msg(ms == ok[i].ms, "%s: %lld", ok[i].in,
		              (long long)ms);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(mesh_time_parse(bad[i], &ms) == -1, "%s", bad[i]);
	ck_assert_int_eq(mesh_time_parse(NULL, &ms), -1);
}
END_TEST

static Suite *time_iso_suite(void)
{
	Suite *s = suite_create("time_iso");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, formats_utc_with_milliseconds);
	tcase_add_test(tc, parses_every_form);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(time_iso_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
