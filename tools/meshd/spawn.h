/*
 * spawn.h: starting one supervised process: fork and exec with its output
 * appended to a log file, in a process group of its own (a Ctrl-C in
 * meshd's terminal reaches meshd alone, which then stops the others in
 * order), and tied to meshd's life by PR_SET_PDEATHSIG.
 */
#ifndef MESHD_SPAWN_H
#define MESHD_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* Starts path with argv (NULL-terminated, argv[0] included) and the
 * environment of meshd, plus MESH_INSTANCE=instance when instance is not
 * NULL. stdout and stderr are appended to log_path, stdin is /dev/null.
 * Returns the pid, or -1 with err filled. An exec failure shows up as an
 * exit with status 127 and a line in the log. */
pid_t spawn_process(const char *path, const char *const argv[],
                    const char *log_path, const char *instance, char *err,
                    size_t err_len);

/* "exited with status 1", "killed by signal 9 (Killed)". */
void spawn_describe_status(int wstatus, char *out, size_t out_len);

#endif
