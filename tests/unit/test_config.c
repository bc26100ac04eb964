#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mesh.h"

static void clear_env(void)
{
	const char *vars[] = {
	    "MESH_RUN_DIR",   "MESH_MANIFEST",      "REDIS_URL",
	    "MESH_LISTEN",    "MESH_INSTANCE",      "LOG_LEVEL",
	    "MESH_MAX_FRAME", "MESH_MAX_IN_FLIGHT", "MESH_DRAIN_MS"};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
}

START_TEST(defaults)
{
	config c = {0};
	char err[256];

	clear_env();
	c.max_frame = 1;
	ck_assert_int_eq(config_load(&c, "valuation", err, sizeof err), 0);
	ck_assert_str_eq(c.run_dir, "run");
	ck_assert_str_eq(c.sock_dir, "run/sock");
	ck_assert_str_eq(c.redis_url, "unix://run/redis/redis.sock");
	ck_assert_str_eq(c.instance, "valuation-1");
}
END_TEST

START_TEST(environment_overrides_and_errors_name_the_variable)
{
	config c = *config_get();
	char err[256];

	clear_env();
	setenv("MESH_RUN_DIR", "/tmp/x", 1);
	setenv("LOG_LEVEL", "warn", 1);
	setenv("MESH_MAX_FRAME", "65536", 1);
	ck_assert_int_eq(config_load(&c, "s", err, sizeof err), 0);
	ck_assert_str_eq(c.sock_dir, "/tmp/x/sock");
	ck_assert_str_eq(c.redis_url, "unix:///tmp/x/redis/redis.sock");
	ck_assert_int_eq(c.log_level, MESH_LOG_WARN);
	ck_assert_int_eq(c.max_frame, 65536);

	setenv("LOG_LEVEL", "loud", 1);
	ck_assert_int_eq(config_load(&c, "s", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "LOG_LEVEL"));
	setenv("LOG_LEVEL", "info", 1);
	setenv("MESH_MAX_IN_FLIGHT", "0", 1);
	ck_assert_int_eq(config_load(&c, "s", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "MESH_MAX_IN_FLIGHT"));
	setenv("MESH_MAX_IN_FLIGHT", "12abc", 1);
	ck_assert_int_eq(config_load(&c, "s", err, sizeof err), -1);
	unsetenv("MESH_MAX_IN_FLIGHT");
	char longdir[400];
	memset(longdir, 'd', sizeof longdir - 1);
	longdir[sizeof longdir - 1] = '\0';
	setenv("MESH_RUN_DIR", longdir, 1);
	ck_assert_int_eq(config_load(&c, "s", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "MESH_RUN_DIR"));
}
END_TEST

START_TEST(error_table)
{
	ck_assert_str_eq(mesh_strerror(MESH_ENOTFOUND), "not_found");
	ck_assert_int_eq(mesh_err_http_status(MESH_ETIMEOUT), 504);
	ck_assert_int_eq(mesh_err_http_status(MESH_EPAYMENT), 402);
	ck_assert_int_eq(mesh_err_from_name("rate_limited"), MESH_ERATELIMITED);
	ck_assert_int_eq(mesh_err_from_name("no-such"), MESH_EINTERNAL);
	ck_assert_int_eq(mesh_err_from_name(NULL), MESH_EINTERNAL);
	ck_assert_str_eq(mesh_strerror((mesh_err)999), "internal");
	for (int e = 0; e < MESH_ERR_COUNT; e++)
		ck_assert_int_eq(mesh_err_from_name(mesh_strerror((mesh_err)e)),
		                 e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, environment_overrides_and_errors_name_the_variable);
	tcase_add_test(tc, error_table);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
