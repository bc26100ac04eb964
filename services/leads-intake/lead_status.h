/*
 * lead_status.h: a lead's pipeline. The forward path is
 *   new -> contacted -> offer_sent -> under_contract -> closed
 * one step at a time, and any status that is not terminal may move to dead.
 * closed and dead are terminal. Pure.
 */
#ifndef LEAD_STATUS_H
#define LEAD_STATUS_H

#include <stddef.h>

typedef enum lead_status {
	LEAD_NEW,
	LEAD_CONTACTED,
	LEAD_OFFER_SENT,
	LEAD_UNDER_CONTRACT,
	LEAD_CLOSED,
	LEAD_DEAD,
	LEAD_STATUS_COUNT
} lead_status;

/* What lead_status_check() decided. */
typedef enum lead_move {
	LEAD_MOVE_OK,
	LEAD_MOVE_UNKNOWN, /* the target is no status at all: bad_request */
	LEAD_MOVE_REFUSED, /* a status, but not reachable from here: conflict */
} lead_move;

/* The status named name, or -1 (also for NULL). */
int lead_status_parse(const char *name);
/* The wire name of s ("offer_sent"); "" for an out-of-range value. */
const char *lead_status_name(lead_status s);
/* 1 for closed and dead. */
int lead_status_terminal(lead_status s);
/* 1 when a lead in from may move to to. */
int lead_status_allowed(lead_status from, lead_status to);
/*
 * Checks the move from -> to (names as on the wire; from must be a status).
 * On anything but LEAD_MOVE_OK, why (why_size bytes) says what is wrong,
 * naming both states and what is allowed instead:
 *   status: cannot move from new to closed (allowed: contacted, dead)
 */
lead_move lead_status_check(const char *from, const char *to, char *why,
                            size_t why_size);

#endif
