#include "admin_key.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADMIN_KEY_RANDOM_BYTES 24 /* 192 bits, as hex after the prefix */

static int read_key(const char *path, char *key, size_t key_len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(key, (int)key_len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	key[strcspn(key, "\r\n")] = '\0';
	return key[0] ? 0 : -1;
}

static int make_key(const char *path, char *key, size_t key_len, char *err,
                    size_t err_len)
{
	unsigned char raw[ADMIN_KEY_RANDOM_BYTES];
	int n = snprintf(key, key_len, "lm_admin_");

	if (RAND_bytes(raw, sizeof raw) != 1) {
		snprintf(err, err_len, "admin key: no random bytes");
		return -1;
	}
	for (size_t i = 0; i < sizeof raw && (size_t)n + 2 < key_len; i++)
		n += snprintf(key + n, key_len - (size_t)n, "%02x", raw[i]);
	/* O_EXCL: two meshd starting at once must not each write a key. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(key);
	int ok = write(fd, key, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	close(fd);
	if (!ok) {
		snprintf(err, err_len, "%s: cannot write", path);
		unlink(path);
		return -1;
	}
	return 0;
}

int admin_key_ensure(const char *run_dir, char *path, size_t path_len,
                     char *err, size_t err_len)
{
	const char *env = getenv("ADMIN_API_KEY");
	char key[128];

	path[0] = '\0';
	if (env && *env)
		return 0;
	if (snprintf(path, path_len, "%s/admin.key", run_dir) >=
	    (int)path_len) {
		snprintf(err, err_len, "admin key: path too long");
		return -1;
	}
	mkdir(run_dir, 0750);
	if (read_key(path, key, sizeof key) != 0 &&
	    make_key(path, key, sizeof key, err, err_len) != 0)
		return -1;
	setenv("ADMIN_API_KEY", key, 1);
	return 0;
}
