/*
 * mesh_wait: how long a service takes to answer again after kill -9.
 *
 *   mesh_wait SERVICE PID TIMEOUT_MS
 *
 * Sends SIGKILL to PID (0: kill nothing, just wait), then every
 * millisecond connects to <MESH_RUN_DIR>/sock/SERVICE.sock and asks
 * `_health` with a raw request frame, until a reply frame comes back or
 * TIMEOUT_MS passes. No mesh client: its reconnect backoff would round the
 * figure up. Prints one JSON line with the milliseconds from the kill to
 * the first answer; exit 1 when it never answered.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#define POLL_GAP_NS   1000000 /* between attempts */
#define MAX_TIMEOUT   60000   /* ms */
#define REPLY_WAIT_MS 2000    /* an accepted request may wait for the process */

/* Whether pid has died (gone, or a zombie its parent has not reaped):
 * SIGKILL is asynchronous, and the old process must not be the one that
 * answers. */
static int is_dead(long pid)
{
	char path[64], buf[256];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return 1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *close_paren = strrchr(buf, ')');
	return close_paren && (close_paren[2] == 'Z' || close_paren[2] == 'X');
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One _health request on a fresh connection: 1 when a reply came. */
static int health_once(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint8_t out[256], in[4096];
	frame req = {.type = FRAME_REQUEST,
	             .id = 1,
	             .deadline_ms = REPLY_WAIT_MS,
	             .method = "_health",
	             .method_len = 7,
	             .caller = "bench",
	             .caller_len = 5,
	             .request_id = "bench-restart",
	             .request_id_len = 13,
	             .payload = "{}",
	             .payload_len = 2};
	size_t n = frame_encode(&req, out, sizeof out), have = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok = 0;

	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (fd < 0 || !n ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    write(fd, out, n) != (ssize_t)n)
		goto done;
	int64_t until = now_ms() + REPLY_WAIT_MS;
	while (!ok && now_ms() < until) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)(until - now_ms())) <= 0)
			break;
		ssize_t r = read(fd, in + have, sizeof in - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		frame f;
		size_t used;
		const char *why;
		frame_status st =
		    frame_decode(in, have, sizeof in, &f, &used, &why);
		if (st == FRAME_NEED_MORE)
			continue;
		ok = st == FRAME_OK && f.type == FRAME_REPLY;
		break;
	}
done:
	if (fd >= 0)
		close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	const char *run = getenv("MESH_RUN_DIR");
	long pid = argc == 4 ? strtol(argv[2], NULL, 10) : -1;
	long timeout = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
	char path[108];

	if (pid < 0 || timeout < 1 || timeout > MAX_TIMEOUT || !run ||
	    snprintf(path, sizeof path, "%s/sock/%s.sock", run, argv[1]) >=
	        (int)sizeof path) {
		fprintf(stderr, "usage: MESH_RUN_DIR=... mesh_wait SERVICE PID "
		                "TIMEOUT_MS(1-60000)\n");
		return 2;
	}
	int64_t start = now_ms();
	if (pid > 0 && kill((pid_t)pid, SIGKILL) != 0) {
		fprintf(stderr, "mesh_wait: kill %ld: %s\n", pid,
		        strerror(errno));
		return 1;
	}
	while (pid > 0 && !is_dead(pid) && now_ms() - start < timeout) {
		struct timespec gap = {0, POLL_GAP_NS / 10};
		nanosleep(&gap, NULL);
	}
	while (now_ms() - start < timeout) {
		if (health_once(path)) {
			printf("{\"service\":\"%s\",\"answered_ms\":%lld}\n",
			       argv[1], (long long)(now_ms() - start));
			return 0;
		}
		struct timespec gap = {0, POLL_GAP_NS};
		nanosleep(&gap, NULL);
	}
	printf("{\"service\":\"%s\",\"answered_ms\":null}\n", argv[1]);
	return 1;
}
