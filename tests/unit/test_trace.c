#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace.h"

START_TEST(request_ids_are_uuids_and_differ)
{
	char a[37], b[37];

	trace_new_request_id(a);
	trace_new_request_id(b);
	ck_assert_int_eq(strlen(a), 36);
	ck_assert_str_ne(a, b);
	ck_assert(trace_request_id_valid(a, strlen(a)));
}
END_TEST

static int cmp_ids(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

START_TEST(request_ids_are_unique_and_uuid_shaped)
{
	enum { N = 100000 };
	char(*ids)[37] = malloc(sizeof *ids * N);

	for (int i = 0; i < N; i++) {
		trace_new_request_id(ids[i]);
		ck_assert_int_eq(ids[i][14], '4');
		ck_assert(strchr("89ab", ids[i][19]) != NULL);
		ck_assert_int_eq(ids[i][8], '-');
	}
	qsort(ids, N, sizeof *ids, cmp_ids);
	for (int i = 1; i < N; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);

	/* A forked child does not repeat its parent's ids. */
	int fds[2];
	char parent[37], child[37] = "";
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		trace_new_request_id(child);
		_exit(write(fds[1], child, 37) == 37 ? 0 : 1);
	}
	trace_new_request_id(parent);
	ck_assert_int_eq(read(fds[0], child, 37), 37);
	waitpid(pid, NULL, 0);
	ck_assert_str_ne(parent, child);
	free(ids);
}
END_TEST

START_TEST(traceparent_validation)
{
	const char *good =
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

	ck_assert(trace_parent_valid(good, strlen(good)));
	ck_assert(!trace_parent_valid(good, 54));
	ck_assert(!trace_parent_valid(
	    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 55));
	ck_assert(!trace_parent_valid(
	    "00-00000000000000000000000000000000-00f067aa0ba902b7-01", 55));
	ck_assert(!trace_parent_valid(
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", 55));
	ck_assert(!trace_parent_valid(
	    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", 55));
	ck_assert(!trace_parent_valid(
	    "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 55));
	ck_assert(!trace_parent_valid(NULL, 0));
}
END_TEST

START_TEST(child_keeps_trace_and_makes_a_new_span)
{
	const char *parent =
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	char child[56], fresh[56];

	trace_child(parent, strlen(parent), child);
	ck_assert(trace_parent_valid(child, strlen(child)));
	ck_assert_int_eq(strncmp(child, parent, 35), 0);
	ck_assert_int_ne(strncmp(child + 36, parent + 36, 16), 0);

	trace_child("garbage", 7, fresh);
	ck_assert(trace_parent_valid(fresh, strlen(fresh)));
	ck_assert_int_ne(strncmp(fresh, parent, 35), 0);
}
END_TEST

START_TEST(request_id_rules)
{
	char big[130];

	ck_assert(trace_request_id_valid("abc-123_x.y", 11));
	ck_assert(!trace_request_id_valid("", 0));
	ck_assert(!trace_request_id_valid("has space", 9));
	ck_assert(!trace_request_id_valid("tab\there", 8));
	ck_assert(!trace_request_id_valid("\xc3\xa9", 2));
	memset(big, 'a', sizeof big);
	ck_assert(trace_request_id_valid(big, 128));
	ck_assert(!trace_request_id_valid(big, 129));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");

	tcase_add_test(tc, request_ids_are_uuids_and_differ);
	tcase_add_test(tc, request_ids_are_unique_and_uuid_shaped);
	tcase_add_test(tc, traceparent_validation);
	tcase_add_test(tc, child_keeps_trace_and_makes_a_new_span);
	tcase_add_test(tc, request_id_rules);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
