/*
 * rtt_raw: the physical limit of one hop. A length-prefixed 64-byte
 * message ping-ponged over a Unix stream socket between two processes with
 * plain read(2)/write(2): no event loop, no codec, no JSON.
 *
 *   rtt_raw N [DEPTH [each|batch]]
 *
 * DEPTH 1 (the default) is sequential: one message out, wait for it back.
 * DEPTH > 1 keeps that many messages outstanding. "each" (the default)
 * handles one message per system call on both sides: read one, answer
 * one, as a server that takes requests one at a time. "batch" is the
 * ceiling: every read takes all that is there, and one write answers (or
 * refills) every whole message read. Prints one JSON line: round-trip p50
 * and p99 in microseconds, messages per second.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG       64 /* payload bytes, as the mesh call's JSON */
#define FRAME     (4 + MSG)
#define MAX_DEPTH 1024     /* outstanding messages at most */
#define MAX_N     10000000 /* messages per run at most */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The echo side, one message per call: read one, answer it. */
static void echo_each(int fd)
{
	uint8_t buf[FRAME];

	while (read_all(fd, buf, FRAME) == 0)
		if (write_all(fd, buf, FRAME) != 0)
			return;
}

/* The echo side, batched: answers every whole frame it has, in one write. */
static void echo_batch(int fd)
{
	static uint8_t buf[FRAME * MAX_DEPTH * 2];
	size_t have = 0;

	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof buf - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		have += (size_t)r;
		size_t whole = have / FRAME * FRAME;
		if (whole && write_all(fd, buf, whole) != 0)
			return;
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	long depth = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
	int batch = argc > 3 && strcmp(argv[3], "batch") == 0;
	static uint8_t out[FRAME * MAX_DEPTH], in[FRAME * MAX_DEPTH];
	int sv[2];

	if (n < 100 || n > MAX_N || depth < 1 || depth > MAX_DEPTH ||
	    depth > n || (argc > 3 && !batch && strcmp(argv[3], "each") != 0)) {
		fprintf(stderr,
		        "usage: rtt_raw N(100-%d) [DEPTH(1-%d) [each|batch]]\n",
		        MAX_N, MAX_DEPTH);
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		perror("rtt_raw: socketpair");
		return 1;
	}
	for (long i = 0; i < depth; i++) {
		uint8_t *f = out + i * FRAME;
		f[0] = 0, f[1] = 0, f[2] = 0, f[3] = MSG;
		memset(f + 4, 'x', MSG);
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (batch)
			echo_batch(sv[1]);
		else
			echo_each(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	int64_t *sent = malloc(sizeof *sent * (size_t)n);
	int64_t *lat = malloc(sizeof *lat * (size_t)n);
	if (!sent || !lat)
		return 1;
	long next = 0, got = 0;
	size_t have = 0;
	int64_t start = now_ns();
	/* Fill the window, then one refill write per read. */
	for (; next < depth; next++)
		sent[next] = start;
	if (write_all(sv[0], out, (size_t)depth * FRAME) != 0)
		return 1;
	while (got < n && !batch) {
		if (read_all(sv[0], in, FRAME) != 0) {
			fprintf(stderr, "rtt_raw: echo side closed\n");
			return 1;
		}
		int64_t t = now_ns();
		lat[got] = t - sent[got];
		got++;
		if (next < n) {
			sent[next++] = t;
			if (write_all(sv[0], out, FRAME) != 0)
				return 1;
		}
	}
	while (got < n) {
		ssize_t r = read(sv[0], in + have, sizeof in - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "rtt_raw: echo side closed\n");
			return 1;
		}
		int64_t t = now_ns();
		have += (size_t)r;
		long whole = (long)(have / FRAME);
		for (long i = 0; i < whole; i++, got++)
			lat[got] = t - sent[got];
		memmove(in, in + whole * FRAME, have - (size_t)whole * FRAME);
		have -= (size_t)whole * FRAME;
		long more = whole < n - next ? whole : n - next;
		for (long i = 0; i < more; i++)
			sent[next + i] = t;
		next += more;
		if (more && write_all(sv[0], out, (size_t)more * FRAME) != 0)
			return 1;
	}
	double secs = (double)(now_ns() - start) / 1e9;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
	printf("{\"bench\":\"raw\",\"mode\":\"%s\",\"depth\":%ld,\"n\":%ld,"
	       "\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f,\"per_s\":%.0f,\"failed\":0}\n",
	       batch ? "batch" : "each", depth, n, (double)lat[n / 2] / 1e3,
	       (double)lat[n * 99 / 100] / 1e3, (double)n / secs);
	free(sent);
	free(lat);
	return 0;
}
