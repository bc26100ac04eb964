/*
 * log.h: structured log lines, and their batched one-way shipping to the
 * logger service when the manifest binds it.
 */
#ifndef MESH_LOG_H
#define MESH_LOG_H

#include "manifest.h"

/* Records waiting to ship, at most; past it the oldest are dropped and
 * the next batch says how many. */
#define LOG_MAX_QUEUED 2000
/* A batch ships when it holds this many records, or after LOG_FLUSH_MS. */
#define LOG_BATCH    64
#define LOG_FLUSH_MS 100

/* Ships to the logger when m binds this service to it. */
void log_init(const manifest *m);
/* Sends what is queued now (before exit). */
void log_flush(void);
void log_shutdown(void);

#endif
