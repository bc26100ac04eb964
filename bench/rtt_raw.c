/*
 * rtt_raw: the physical limit of one hop. A length-prefixed 64-byte
 * message ping-ponged over a Unix stream socket between two processes,
 * blocking reads and writes, nothing else. Prints the median and p99 round
 * trip in microseconds and the rate, as one JSON line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG 64

static int full_read(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	int sv[2];
	uint8_t buf[4 + MSG];

	if (n < 1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	memset(buf, 'x', sizeof buf);
	buf[0] = 0, buf[1] = 0, buf[2] = 0, buf[3] = MSG;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		while (full_read(sv[1], buf, sizeof buf) == 0)
			if (write(sv[1], buf, sizeof buf) !=
			    (ssize_t)sizeof buf)
				break;
		_exit(0);
	}
	close(sv[1]);
	int64_t *lat = malloc(sizeof *lat * (size_t)n);
	int64_t start = now_ns();
	for (int i = 0; i < n; i++) {
		int64_t t = now_ns();
		if (write(sv[0], buf, sizeof buf) != (ssize_t)sizeof buf ||
		    full_read(sv[0], buf, sizeof buf) != 0)
			return 1;
		lat[i] = now_ns() - t;
	}
	double secs = (double)(now_ns() - start) / 1e9;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("{\"bench\":\"raw_unix_pingpong\",\"n\":%d,\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f,\"per_s\":%.0f}\n",
	       n, (double)lat[n / 2] / 1e3, (double)lat[n * 99 / 100] / 1e3,
	       n / secs);
	free(lat);
	return 0;
}
