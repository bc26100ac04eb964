#include <check.h>
#include <string.h>

#include "../../services/gateway/route_match.h"

static const char *routes_json =
    "{\"version\":1,\"services\":{\"gateway\":{},"
    "\"leads\":{\"methods\":[\"create\",\"get\",\"list\",\"update\","
    "\"export\",\"followups\"]}},"
    "\"routes\":["
    "{\"method\":\"POST\",\"path\":\"/api/leads\",\"service\":\"leads\","
    "\"call\":\"create\",\"auth\":\"public\",\"cors\":true},"
    "{\"method\":\"GET\",\"path\":\"/api/leads\",\"service\":\"leads\","
    "\"call\":\"list\"},"
    "{\"method\":\"GET\",\"path\":\"/api/leads/:id\",\"service\":\"leads\","
    "\"call\":\"get\"},"
    "{\"method\":\"PATCH\",\"path\":\"/api/leads/:id\",\"service\":\"leads\","
    "\"call\":\"update\"},"
    "{\"method\":\"GET\",\"path\":\"/api/leads/export\",\"service\":\"leads\","
    "\"call\":\"export\"},"
    "{\"method\":\"GET\",\"path\":\"/api/leads/:id/followups\","
    "\"service\":\"leads\",\"call\":\"followups\"}]}";

static manifest *m;

static void setup(void)
{
	char err[256];

	m = manifest_load_string(routes_json, err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
}

static void teardown(void)
{
	manifest_free(m);
}

START_TEST(literal_and_parameter_routes)
{
	route_match r;

	ck_assert_int_eq(route_find(m, "POST", "/api/leads", &r), ROUTE_FOUND);
	ck_assert_str_eq(r.route->method, "create");
	ck_assert_int_eq(json_object_size(r.params), 0);
	json_decref(r.params);

	ck_assert_int_eq(route_find(m, "GET", "/api/leads/ld_42", &r),
	                 ROUTE_FOUND);
	ck_assert_str_eq(r.route->method, "get");
	ck_assert_str_eq(json_string_value(json_object_get(r.params, "id")),
	                 "ld_42");
	json_decref(r.params);

	/* A literal segment is more specific than a parameter. */
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/export", &r),
	                 ROUTE_FOUND);
	ck_assert_str_eq(r.route->method, "export");
	json_decref(r.params);

	ck_assert_int_eq(route_find(m, "GET", "/api/leads/7/followups", &r),
	                 ROUTE_FOUND);
	ck_assert_str_eq(r.route->method, "followups");
	json_decref(r.params);

	/* A trailing slash names the same resource. */
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/", &r), ROUTE_FOUND);
	ck_assert_str_eq(r.route->method, "list");
	json_decref(r.params);
}
END_TEST

START_TEST(misses_and_wrong_methods)
{
	route_match r;

	ck_assert_int_eq(route_find(m, "GET", "/api/nothing", &r),
	                 ROUTE_NOT_FOUND);
	ck_assert_ptr_null(r.params);
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/1/2", &r),
	                 ROUTE_NOT_FOUND);
	ck_assert_int_eq(route_find(m, "DELETE", "/api/leads", &r),
	                 ROUTE_WRONG_METHOD);
	ck_assert_str_eq(r.allow, "POST, GET");
	ck_assert_int_eq(route_find(m, "DELETE", "/api/leads/9", &r),
	                 ROUTE_WRONG_METHOD);
	ck_assert_str_eq(r.allow, "GET, PATCH");
}
END_TEST

START_TEST(parameters_are_decoded_and_checked)
{
	route_match r;

	ck_assert_int_eq(route_find(m, "GET", "/api/leads/a%20b%2Fc", &r),
	                 ROUTE_FOUND);
	ck_assert_str_eq(json_string_value(json_object_get(r.params, "id")),
	                 "a b/c");
	json_decref(r.params);
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/%C3%A9", &r),
	                 ROUTE_FOUND);
	json_decref(r.params);

	ck_assert_int_eq(route_find(m, "GET", "/api/leads/%4", &r),
	                 ROUTE_BAD_PATH);
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/%zz", &r),
	                 ROUTE_BAD_PATH);
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/%00", &r),
	                 ROUTE_BAD_PATH);
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/%0a", &r),
	                 ROUTE_BAD_PATH);
	/* Not UTF-8 once decoded. */
	ck_assert_int_eq(route_find(m, "GET", "/api/leads/%ff", &r),
	                 ROUTE_BAD_PATH);
	ck_assert_int_eq(route_find(m, "GET", "api/leads", &r), ROUTE_BAD_PATH);
	ck_assert_int_eq(route_find(m, "GET", "/api//leads", &r),
	                 ROUTE_BAD_PATH);
	ck_assert_int_eq(route_find(m, "GET", NULL, &r), ROUTE_BAD_PATH);

	/* A parameter of exactly the maximum decodes; one more byte does not.
	 */
	char path[600] = "/api/leads/";
	size_t base = strlen(path);
	memset(path + base, 'a', ROUTE_MAX_PARAM - 1);
	path[base + ROUTE_MAX_PARAM - 1] = '\0';
	ck_assert_int_eq(route_find(m, "GET", path, &r), ROUTE_FOUND);
	json_decref(r.params);
	path[base + ROUTE_MAX_PARAM - 1] = 'a';
	path[base + ROUTE_MAX_PARAM] = '\0';
	ck_assert_int_eq(route_find(m, "GET", path, &r), ROUTE_BAD_PATH);
}
END_TEST

START_TEST(segment_count_is_bounded)
{
	route_match r;
	char path[4 * (ROUTE_MAX_SEGMENTS + 2)] = "";

	for (int i = 0; i < ROUTE_MAX_SEGMENTS + 1; i++)
		strcat(path, "/a");
	ck_assert_int_eq(route_find(m, "GET", path, &r), ROUTE_BAD_PATH);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("route_match");
	TCase *tc = tcase_create("route_match");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, literal_and_parameter_routes);
	tcase_add_test(tc, misses_and_wrong_methods);
	tcase_add_test(tc, parameters_are_decoded_and_checked);
	tcase_add_test(tc, segment_count_is_bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
