#include <check.h>
#include <string.h>

#include "../../services/gateway/key_cache.h"
#include "../../services/gateway/scopes.h"

static manifest_route route(manifest_auth auth, char **scopes, size_t n)
{
	manifest_route r = {0};

	r.auth = auth;
	r.scopes = scopes;
	r.n_scopes = n;
	return r;
}

START_TEST(scope_rules)
{
	char lr[] = "leads:read", lw[] = "leads:write";
	char *need_read[] = {lr};
	char *need_two[] = {lr, lw};
	manifest_route pub = route(MANIFEST_AUTH_PUBLIC, NULL, 0);
	manifest_route read = route(MANIFEST_AUTH_KEY, need_read, 1);
	manifest_route two = route(MANIFEST_AUTH_KEY, need_two, 2);
	manifest_route admin = route(MANIFEST_AUTH_ADMIN, NULL, 0);
	json_t *none = json_array(), *reader = json_pack("[s]", "leads:read");
	json_t *star = json_pack("[s]", "*"), *adm = json_pack("[s]", "admin");
	json_t *both = json_pack("[s,s]", "leads:write", "leads:read");
	const char *missing;

	ck_assert(scopes_allow(&pub, none, &missing));
	ck_assert(scopes_allow(&read, reader, &missing));
	ck_assert(!scopes_allow(&read, none, &missing));
	ck_assert_str_eq(missing, "leads:read");
	ck_assert(!scopes_allow(&two, reader, &missing));
	ck_assert_str_eq(missing, "leads:write");
	ck_assert(scopes_allow(&two, both, &missing));
	/* "*" is every key route but not the admin ones; admin is all. */
	ck_assert(scopes_allow(&two, star, &missing));
	ck_assert(!scopes_allow(&admin, star, &missing));
	ck_assert_str_eq(missing, "admin");
	ck_assert(scopes_allow(&admin, adm, &missing));
	ck_assert(scopes_allow(&two, adm, &missing));
	ck_assert(!scopes_allow(&read, NULL, &missing));
	json_decref(none);
	json_decref(reader);
	json_decref(star);
	json_decref(adm);
	json_decref(both);
}
END_TEST

START_TEST(key_cache_expires_and_holds_no_key)
{
	uint8_t a[32], b[32];
	json_t *id = json_pack("{s:s}", "key_id", "key_1");

	key_cache_digest("lm_live_secret_one", a);
	key_cache_digest("lm_live_secret_two", b);
	ck_assert(memcmp(a, b, 32) != 0);
	ck_assert_ptr_null(key_cache_get(a, 1000));
	key_cache_put(a, id, 1000);
	ck_assert_ptr_eq(key_cache_get(a, 1000), id);
	ck_assert_ptr_eq(key_cache_get(a, 1000 + KEY_CACHE_TTL_MS - 1), id);
	ck_assert_ptr_null(key_cache_get(b, 1000));
	/* At the TTL a revoked key stops working at the edge. */
	ck_assert_ptr_null(key_cache_get(a, 1000 + KEY_CACHE_TTL_MS));
	key_cache_put(a, id, 2000);
	key_cache_clear();
	ck_assert_ptr_null(key_cache_get(a, 2000));
	json_decref(id);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("edge policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, scope_rules);
	tcase_add_test(tc, key_cache_expires_and_holds_no_key);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
