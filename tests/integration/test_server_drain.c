/*
 * test_server_drain.c: a server freed while its drain is still due to run
 * on the loop. It happens when the loop stops in the turn the drain began
 * (a second SIGTERM, or the last client closing at once): whatever the
 * drain left on the loop must not touch the freed server (make asan runs
 * this: a use after free fails it).
 */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "runtime.h"
#include "server.h"

static char dir[64];

static mesh_handler_fn no_methods(const char *method)
{
	(void)method;
	return NULL;
}

static void drained(void *arg)
{
	(*(int *)arg)++;
}

START_TEST(free_in_the_turn_the_drain_began)
{
	struct event_base *base = event_base_new();
	char err[256], cmd[96];
	int done = 0;
	server *s;

	snprintf(dir, sizeof dir, "/tmp/meshtest-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("MESH_RUN_DIR", dir, 1);
	ck_assert_msg(config_load(config_get(), "drainee", err, sizeof err) ==
	                  0,
	              "%s", err);
	runtime_init(base, "drainee");
	s = server_new(base, no_methods);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(server_listen(s, "drainee", err, sizeof err) == 0, "%s",
	              err);
	server_drain(s, 1000, drained, &done);
	server_free(s);
	/* What service_free does last: run what is left, without blocking. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(done, 0);
	event_base_free(base);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("server_drain");
	TCase *tc = tcase_create("drain");

	tcase_add_test(tc, free_in_the_turn_the_drain_began);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
