/*
 * admin_key.h: the bootstrap admin API key. With ADMIN_API_KEY unset, a
 * platform started with the embedded defaults still needs a way in: meshd
 * makes a random key once, keeps it in <run>/admin.key (0600), and hands it
 * to the services as ADMIN_API_KEY.
 */
#ifndef MESHD_ADMIN_KEY_H
#define MESHD_ADMIN_KEY_H

#include <stddef.h>

/* Sets ADMIN_API_KEY from the environment or the key file (made when
 * missing). path gets the key file, or "" when the environment gave the
 * key. 0, or -1 with err. */
int admin_key_ensure(const char *run_dir, char *path, size_t path_len,
                     char *err, size_t err_len);

#endif
