/*
 * rundir.h: the run directory meshd owns: sock/ (0750), redis/ (0700),
 * logs/. Sockets left by a previous run are removed: a caller would wait
 * for a service that is not coming, instead of hearing at once that it is
 * not running.
 */
#ifndef MESHD_RUNDIR_H
#define MESHD_RUNDIR_H

#include <stddef.h>

/* Whether something accepts connections on the Unix socket at path (a
 * Unix connect is accepted or refused at once: no wait). */
int rundir_socket_answers(const char *path);
/* Creates the folders and removes stale sockets. Fails when another meshd
 * answers on <run_dir>/sock/meshd.sock. 0, or -1 with err. */
int rundir_prepare(const char *run_dir, char *err, size_t err_len);

#endif
