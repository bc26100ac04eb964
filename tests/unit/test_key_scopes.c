/*
 * test_key_scopes.c: scope syntax at its limits and the allows relation,
 * "*" and "admin" included (rules in services/auth/key_scopes.h).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/auth/key_scopes.h"

START_TEST(valid_scopes)
{
	ck_assert(key_scope_valid("leads:read"));
	ck_assert(key_scope_valid("comps:write"));
	ck_assert(key_scope_valid("crm-sync:re-sync"));
	ck_assert(key_scope_valid("a:b"));
	ck_assert(key_scope_valid("*"));
	ck_assert(key_scope_valid("admin"));
}
END_TEST

static const char *const invalid[] = {
    "",           "leads",      "leads:",      ":read",       "leads:read:x",
    "Leads:read", "leads:Read", "leads :read", "leads:read ", "leads_x:read",
    "leads:r3ad", "**",         "admin:",      "ADMIN",       "*:read",
    "leads:*",    " admin",
};

START_TEST(invalid_scopes)
{
	ck_assert_msg(!key_scope_valid(invalid[_i]), "\"%s\"", invalid[_i]);
}
END_TEST

START_TEST(scope_length_limit)
{
	char s[SCOPE_MAX_LEN + 2];

	/* "a:" followed by b's, exactly SCOPE_MAX_LEN bytes, then one more. */
	memset(s, 'b', sizeof s);
	s[0] = 'a';
	s[1] = ':';
	s[SCOPE_MAX_LEN] = '\0';
	ck_assert(key_scope_valid(s));
	s[SCOPE_MAX_LEN] = 'b';
	s[SCOPE_MAX_LEN + 1] = '\0';
	ck_assert(!key_scope_valid(s));
}
END_TEST

START_TEST(allows_exact)
{
	ck_assert(key_scope_allows("leads:read", "leads:read"));
	ck_assert(!key_scope_allows("leads:read", "leads:write"));
	ck_assert(!key_scope_allows("leads:write", "leads:read"));
	ck_assert(!key_scope_allows("comps:write", "leads:write"));
}
END_TEST

START_TEST(allows_star)
{
	ck_assert(key_scope_allows("*", "leads:read"));
	ck_assert(key_scope_allows("*", "billing:write"));
	ck_assert(key_scope_allows("*", "*"));
	/* "*" is every resource scope, not key management. */
	ck_assert(!key_scope_allows("*", "admin"));
}
END_TEST

START_TEST(allows_admin)
{
	ck_assert(key_scope_allows("admin", "admin"));
	ck_assert(key_scope_allows("admin", "leads:read"));
	ck_assert(key_scope_allows("admin", "*"));
	ck_assert(!key_scope_allows("leads:read", "admin"));
}
END_TEST

START_TEST(allows_malformed)
{
	ck_assert(!key_scope_allows("leads:*", "leads:read"));
	ck_assert(!key_scope_allows("Admin", "leads:read"));
	ck_assert(!key_scope_allows("leads:read", "leads:*"));
	ck_assert(!key_scope_allows("", ""));
}
END_TEST

START_TEST(allows_any_of_array)
{
	json_t *have = json_pack("[s, i, s]", "leads:read", 7, "comps:write");

	ck_assert(key_scopes_allow(have, "leads:read"));
	ck_assert(key_scopes_allow(have, "comps:write"));
	ck_assert(!key_scopes_allow(have, "leads:write"));
	ck_assert(!key_scopes_allow(have, "admin"));
	ck_assert(!key_scopes_allow(NULL, "leads:read"));
	json_decref(have);
	have = json_pack("[s]", "admin");
	ck_assert(key_scopes_allow(have, "flags:write"));
	json_decref(have);
}
END_TEST

static void check_fails(json_t *scopes, const char *want)
{
	char why[256];

	ck_assert_int_eq(key_scopes_check(scopes, why, sizeof why), -1);
	ck_assert_msg(strstr(why, want) != NULL, "why = \"%s\", want \"%s\"",
	              why, want);
	json_decref(scopes);
}

START_TEST(check_lists)
{
	char why[256];
	json_t *ok = json_pack("[s, s, s]", "leads:read", "*", "admin");

	ck_assert_int_eq(key_scopes_check(ok, why, sizeof why), 0);
	json_decref(ok);
	check_fails(NULL, "non-empty array");
	check_fails(json_string("leads:read"), "non-empty array");
	check_fails(json_array(), "non-empty array");
	check_fails(json_pack("[s, i]", "leads:read", 1), "scopes[1]");
	check_fails(json_pack("[s, s]", "leads:read", "leads"), "scopes[1]");
	check_fails(json_pack("[s, s]", "leads:read", "leads:read"),
	            "listed twice");
	/* A NUL inside a JSON string must not pass as "leads:re". */
	check_fails(json_pack("[o]", json_stringn("leads:re\0d", 10)),
	            "scopes[0]");
}
END_TEST

START_TEST(check_count_limit)
{
	char why[256], name[16];
	json_t *a = json_array();

	/* SCOPES_MAX distinct scopes "aa:x", "ba:x", ... */
	for (int i = 0; i < SCOPES_MAX; i++) {
		name[0] = (char)('a' + i % 26);
		name[1] = (char)('a' + i / 26);
		name[2] = ':';
		name[3] = 'x';
		name[4] = '\0';
		json_array_append_new(a, json_string(name));
	}
	ck_assert_int_eq(key_scopes_check(a, why, sizeof why), 0);
	json_array_append_new(a, json_string("zz:y"));
	ck_assert_int_eq(key_scopes_check(a, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "at most 32"));
	json_decref(a);
}
END_TEST

static Suite *key_scopes_suite(void)
{
	Suite *s = suite_create("key_scopes");
	TCase *tc = tcase_create("syntax");
	tcase_add_test(tc, valid_scopes);
	tcase_add_loop_test(tc, invalid_scopes, 0,
	                    sizeof invalid / sizeof invalid[0]);
	tcase_add_test(tc, scope_length_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("allows");
	tcase_add_test(tc, allows_exact);
	tcase_add_test(tc, allows_star);
	tcase_add_test(tc, allows_admin);
	tcase_add_test(tc, allows_malformed);
	tcase_add_test(tc, allows_any_of_array);
	suite_add_tcase(s, tc);
	tc = tcase_create("check");
	tcase_add_test(tc, check_lists);
	tcase_add_test(tc, check_count_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(key_scopes_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
