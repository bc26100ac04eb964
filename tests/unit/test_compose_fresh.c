/*
 * test_compose_fresh: the checked-in docker-compose.yml is exactly what
 * tools/compose-gen makes from proto/mesh.json and services/ now, and the
 * generator deploys only services that have a main file. Runs the built
 * generator (bin/compose-gen, or $MESH_TEST_BIN/compose-gen) from the
 * repository root.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

/* The generator answers in milliseconds; a hang is a failure. */
#define GEN_TIMEOUT_MS 10000
#define OUT_MAX        (256 * 1024)

typedef struct gen_result {
	int status;
	char out[OUT_MAX];
	char err[4096];
} gen_result;

static gen_result res;
static char dir[] = "/tmp/test_compose_fresh.XXXXXX";

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Runs compose-gen with args (NULL-terminated); fills res. */
static void gen(const char *const *args)
{
	char out[300], err[300];
	const char *argv[16] = {proc_bin_path("compose-gen")};
	size_t n = 1;

	for (; args[n - 1] && n + 1 < sizeof argv / sizeof *argv; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	snprintf(out, sizeof out, "%s/stdout", dir);
	snprintf(err, sizeof err, "%s/stderr", dir);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	res.status = proc_wait(pid, GEN_TIMEOUT_MS);
	if (res.status < 0)
		proc_kill(pid);
	ck_assert_msg(res.status != 127, "cannot run %s: build it first",
	              argv[0]);
	slurp(out, res.out, sizeof res.out);
	slurp(err, res.err, sizeof res.err);
}

static void setup(void)
{
	char path[300];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/proto", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/services", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/test_compose_fresh.XXXXXX");
}

/* A main file for service s under the temp root. */
static void add_main(const char *s)
{
	char path[300];

	snprintf(path, sizeof path, "%s/services/%s", dir, s);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/services/%s/%s.c", dir, s, s);
	spit(path, "int main(void) { return 0; }\n");
}

static const char small_manifest[] =
    "{\"version\": 1, \"services\": {"
    "\"gateway\": {\"calls\": [\"front\"]},"
    "\"front\": {\"methods\": [\"go\"], \"calls\": [\"back\", \"spare\"]},"
    "\"back\": {\"methods\": [\"work\"]},"
    "\"spare\": {\"methods\": [\"idle\"]}},"
    "\"routes\": [{\"method\": \"POST\", \"path\": \"/go\", \"service\": "
    "\"front\", \"call\": \"go\", \"auth\": \"public\"}]}\n";

static void write_manifest(const char *text)
{
	char path[300];

	snprintf(path, sizeof path, "%s/proto/mesh.json", dir);
	spit(path, text);
}

START_TEST(checked_in_file_is_what_the_generator_makes)
{
	const char *args[] = {"-c", "docker-compose.yml", NULL};

	gen(args);
	ck_assert_msg(res.status == 0,
	              "docker-compose.yml is stale or unreadable (exit %d): %s",
	              res.status, res.err);
	ck_assert_str_eq(res.err, "");
}
END_TEST

START_TEST(a_stale_file_fails_and_names_the_line)
{
	const char *args[] = {"-c", "docker-compose.yml", NULL};
	char copy[300], text[OUT_MAX];
	const char *gen_args[] = {NULL};

	gen(gen_args);
	ck_assert_int_eq(res.status, 0);
	slurp("docker-compose.yml", text, sizeof text);
	snprintf(copy, sizeof copy, "%s/docker-compose.yml", dir);
	/* One character changed on line 1. */
	text[0] = '!';
	spit(copy, text);
	args[1] = copy;
	gen(args);
	ck_assert_int_eq(res.status, 1);
	ck_assert_ptr_nonnull(strstr(res.err, "is stale: line 1 differs"));
	ck_assert_ptr_nonnull(strstr(res.err, "make compose"));

	/* A file that ends early is stale too, at the line where it ends. */
	spit(copy, "# docker-compose.yml: generated");
	gen(args);
	ck_assert_int_eq(res.status, 1);
	ck_assert_ptr_nonnull(strstr(res.err, "line 1 differs"));
}
END_TEST

START_TEST(only_services_with_a_main_file_are_deployed)
{
	const char *args[] = {"-C", dir, NULL};

	write_manifest(small_manifest);
	add_main("gateway");
	add_main("front");
	gen(args);
	ck_assert_int_eq(res.status, 0);
	ck_assert_ptr_nonnull(strstr(res.out, "\n  redis:\n"));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  gateway:\n"));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  front:\n"));
	ck_assert_ptr_null(strstr(res.out, "\n  back:\n"));
	ck_assert_ptr_null(strstr(res.out, "\n  spare:\n"));
	ck_assert_ptr_nonnull(strstr(
	    res.out, "# Not deployed yet (no main file):\n#   back spare\n"));
	/* front waits for Redis only: what it calls is not deployed. */
	const char *front = strstr(res.out, "\n  front:\n");
	ck_assert_ptr_nonnull(
	    strstr(front, "    depends_on:\n      redis:\n        condition: "
	                  "service_healthy\n    healthcheck:\n"));
	ck_assert_ptr_nonnull(
	    strstr(front, "test: [\"CMD\", \"meshprobe\", \"front\"]"));
	/* Only the gateway publishes a port. */
	ck_assert_ptr_nonnull(strstr(
	    res.out, "      - \"${BIND_ADDR:-0.0.0.0}:${PORT:-8080}:8080\"\n"));
	ck_assert_ptr_eq(strstr(res.out, "ports:"),
	                 strstr(strstr(res.out, "\n  gateway:\n"), "ports:"));

	add_main("back");
	gen(args);
	ck_assert_int_eq(res.status, 0);
	front = strstr(res.out, "\n  front:\n");
	ck_assert_ptr_nonnull(front);
	ck_assert_ptr_nonnull(strstr(front, "      back:\n        condition: "
	                                    "service_healthy\n"));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  back:\n"));
	ck_assert_ptr_nonnull(
	    strstr(res.out, "# Not deployed yet (no main file):\n#   spare\n"));
}
END_TEST

START_TEST(the_file_it_writes_is_the_file_it_checks)
{
	char out[300];
	const char *args[] = {"-C", dir, "-o", out, NULL};
	const char *check[] = {"-C", dir, "-c", out, NULL};

	snprintf(out, sizeof out, "%s/docker-compose.yml", dir);
	write_manifest(small_manifest);
	add_main("gateway");
	gen(args);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(res.out, "");
	gen(check);
	ck_assert_int_eq(res.status, 0);
	/* A new main file makes the written file stale. */
	add_main("spare");
	gen(check);
	ck_assert_int_eq(res.status, 1);
}
END_TEST

START_TEST(bad_manifest_and_usage_errors)
{
	const char *args[] = {"-C", dir, NULL};
	const char *both[] = {"-o", "a", "-c", "b", NULL};
	const char *extra[] = {"surplus", NULL};

	write_manifest("{\"version\": 1, \"services\": {\"a\": "
	               "{\"calls\": [\"nobody\"]}}}\n");
	gen(args);
	ck_assert_int_eq(res.status, 111);
	ck_assert_ptr_nonnull(
	    strstr(res.err, "services.a.calls[0]: unknown service"));
	ck_assert_str_eq(res.out, "");

	gen(both);
	ck_assert_int_eq(res.status, 2);
	ck_assert_ptr_nonnull(strstr(res.err, "usage: compose-gen"));
	gen(extra);
	ck_assert_int_eq(res.status, 2);
}
END_TEST

static Suite *compose_suite(void)
{
	Suite *s = suite_create("compose");
	TCase *tc = tcase_create("generator");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, checked_in_file_is_what_the_generator_makes);
	tcase_add_test(tc, a_stale_file_fails_and_names_the_line);
	tcase_add_test(tc, only_services_with_a_main_file_are_deployed);
	tcase_add_test(tc, the_file_it_writes_is_the_file_it_checks);
	tcase_add_test(tc, bad_manifest_and_usage_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(compose_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
