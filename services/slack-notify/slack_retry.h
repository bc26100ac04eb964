/*
 * slack_retry.h: what to do after one attempt to post to a Slack incoming
 * webhook: done, wait and try again, or give up with an error code.
 *
 * Slack answers 2xx when it took the message; 429 with Retry-After when
 * the webhook is rate limited; 5xx when it is in trouble; other 4xx
 * (invalid_payload, no_service, channel_not_found, ...) for a request that
 * will never succeed, so it is never repeated.
 *
 * Pure: no I/O, no clock; the caller passes the time it has left.
 */
#ifndef SLACK_RETRY_H
#define SLACK_RETRY_H

#include <stdint.h>

#include "mesh.h"

/* Attempts per delivery, the first included. */
#define SLACK_MAX_ATTEMPTS 4
/* Backoff after a 5xx, a timeout or an unreachable Slack: 250 ms, doubled
 * per attempt (250, 500, 1000). */
#define SLACK_BACKOFF_FIRST_MS 250
/* Retry-After is obeyed up to this; a longer wait is capped to it. */
#define SLACK_RETRY_AFTER_MAX_MS 30000
/* The wait after a 429 without a usable Retry-After. */
#define SLACK_RETRY_AFTER_DEFAULT_MS 1000
/* An attempt is not started with less time than this left before the
 * request's deadline: it could not finish. */
#define SLACK_ATTEMPT_MIN_MS 200

typedef enum slack_action {
	SLACK_DELIVERED, /* Slack took the message */
	SLACK_RETRY,     /* wait delay_ms, then attempt again */
	SLACK_FAIL       /* give up with err */
} slack_action;

typedef struct slack_decision {
	slack_action action;
	int64_t delay_ms;
	mesh_err err;
	char reason[160]; /* for SLACK_FAIL: a message a person can act on */
} slack_decision;

/* The milliseconds a Retry-After header asks for (delta-seconds only;
 * an HTTP-date, garbage or NULL gives SLACK_RETRY_AFTER_DEFAULT_MS), capped
 * at SLACK_RETRY_AFTER_MAX_MS. */
int64_t slack_retry_after_ms(const char *header);

/* Decides after attempt number `attempt` (from 1). transport is MESH_OK
 * when a response arrived (then status and retry_after, which may be NULL,
 * describe it), or MESH_ETIMEOUT / MESH_EUNAVAILABLE when none did.
 * time_left_ms is what remains of the request's deadline now. */
slack_decision slack_retry_decide(mesh_err transport, long status,
                                  const char *retry_after, int attempt,
                                  int64_t time_left_ms);

#endif
