#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int make_dir(const char *path, mode_t mode, char *err, size_t err_len)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int rundir_socket_answers(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ok;

	if (fd < 0)
		return 0;
	if (strlen(path) >= sizeof sun.sun_path) {
		close(fd);
		return 0;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return ok;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int rundir_prepare(const char *run_dir, char *err, size_t err_len)
{
	char path[600];
	DIR *d;
	struct dirent *e;

	if (make_dir(run_dir, 0750, err, err_len))
		return -1;
	snprintf(path, sizeof path, "%s/sock", run_dir);
	if (make_dir(path, 0750, err, err_len))
		return -1;
	snprintf(path, sizeof path, "%s/redis", run_dir);
	if (make_dir(path, 0700, err, err_len))
		return -1;
	snprintf(path, sizeof path, "%s/logs", run_dir);
	if (make_dir(path, 0750, err, err_len))
		return -1;
	snprintf(path, sizeof path, "%s/sock/meshd.sock", run_dir);
	if (rundir_socket_answers(path)) {
		snprintf(err, err_len,
		         "another meshd is running on %s (%s answers)", run_dir,
		         path);
		return -1;
	}
	snprintf(path, sizeof path, "%s/sock", run_dir);
	d = opendir(path);
	if (!d) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		/* <service>.sock, and .<service>.<pid>.tmp from a bind that
		 * never got renamed. */
		if (!ends_with(e->d_name, ".sock") &&
		    !(e->d_name[0] == '.' && ends_with(e->d_name, ".tmp")))
			continue;
		snprintf(path, sizeof path, "%s/sock/%s", run_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return 0;
}
