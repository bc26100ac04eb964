/*
 * compose-gen: docker-compose.yml from proto/mesh.json.
 *
 *   compose-gen [-C ROOT] [-m MANIFEST] [-o FILE | -c FILE]
 *
 * ROOT (default .) is the repository: the manifest defaults to
 * ROOT/proto/mesh.json and a service is deployed when
 * ROOT/services/<s>/<s>.c exists. Without -o or -c the file goes to
 * stdout; -o FILE replaces FILE atomically; -c FILE only compares and
 * names the first line that differs.
 *
 * Exit codes: 0 done (or FILE is up to date), 1 FILE is stale, 2 usage,
 * 111 system failure (manifest unreadable or invalid, I/O error).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose_render.h"
#include "manifest.h"

#define EXIT_STALE  1
#define EXIT_USAGE  2
#define EXIT_SYSTEM 111

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: compose-gen [-C ROOT] [-m MANIFEST] [-o FILE | -c FILE]\n");
	exit(EXIT_USAGE);
}

/* The whole file, NUL-terminated, or NULL with errno set. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			char *more = realloc(buf, cap + 65536);
			if (!more) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = more;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* 0 when have equals want; otherwise says which line differs. */
static int compare(const char *path, const char *have, size_t have_len,
                   const char *want, size_t want_len)
{
	size_t line = 1, i;

	if (have_len == want_len && memcmp(have, want, want_len) == 0)
		return 0;
	for (i = 0; i < have_len && i < want_len && have[i] == want[i]; i++)
		if (have[i] == '\n')
			line++;
	fprintf(stderr,
	        "compose-gen: %s is stale: line %zu differs from what "
	        "proto/mesh.json and services/ give now; run `make compose` "
	        "and commit it\n",
	        path, line);
	return EXIT_STALE;
}

static int write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	FILE *f;

	if (n < 0 || (size_t)n >= sizeof tmp) {
		fprintf(stderr, "compose-gen: %s: path too long\n", path);
		return EXIT_SYSTEM;
	}
	f = fopen(tmp, "wb");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "compose-gen: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return EXIT_SYSTEM;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *root = ".", *manifest_path = NULL, *out_path = NULL,
	           *check_path = NULL;
	char dflt[PATH_MAX], err[512];
	int c;

	while ((c = getopt(argc, argv, "C:m:o:c:")) != -1) {
		switch (c) {
		case 'C':
			root = optarg;
			break;
		case 'm':
			manifest_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'c':
			check_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (out_path && check_path))
		usage();
	if (!manifest_path) {
		snprintf(dflt, sizeof dflt, "%s/proto/mesh.json", root);
		manifest_path = dflt;
	}
	manifest *m = manifest_load_file(manifest_path, err, sizeof err);
	if (!m) {
		fprintf(stderr, "compose-gen: %s\n", err);
		return EXIT_SYSTEM;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int bad = !mem || compose_render(mem, m, root) != 0;
	if (mem && fclose(mem) != 0)
		bad = 1;
	manifest_free(m);
	if (bad) {
		free(text);
		fprintf(stderr, "compose-gen: out of memory\n");
		return EXIT_SYSTEM;
	}
	int rc = 0;
	if (check_path) {
		size_t have_len;
		char *have = read_all(check_path, &have_len);
		if (!have) {
			fprintf(stderr, "compose-gen: %s: %s\n", check_path,
			        strerror(errno));
			rc = EXIT_SYSTEM;
		} else {
			rc = compare(check_path, have, have_len, text, len);
			free(have);
		}
	} else if (out_path) {
		rc = write_atomic(out_path, text, len);
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "compose-gen: stdout: %s\n", strerror(errno));
		rc = EXIT_SYSTEM;
	}
	free(text);
	return rc;
}
