/* lead_status.c: the pipeline's transition table (see lead_status.h). */
#include "lead_status.h"

#include <stdio.h>
#include <string.h>

static const char *const names[LEAD_STATUS_COUNT] = {
    "new", "contacted", "offer_sent", "under_contract", "closed", "dead",
};

int lead_status_parse(const char *name)
{
	for (int i = 0; name && i < LEAD_STATUS_COUNT; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *lead_status_name(lead_status s)
{
	return (int)s >= 0 && s < LEAD_STATUS_COUNT ? names[s] : "";
}

int lead_status_terminal(lead_status s)
{
	return s == LEAD_CLOSED || s == LEAD_DEAD;
}

int lead_status_allowed(lead_status from, lead_status to)
{
	if ((int)from < 0 || from >= LEAD_STATUS_COUNT || (int)to < 0 ||
	    to >= LEAD_STATUS_COUNT || lead_status_terminal(from))
		return 0;
	/* The forward path is the enum's order up to closed. */
	return to == LEAD_DEAD || (to == from + 1 && to <= LEAD_CLOSED);
}

/* "contacted, dead", or "none: <from> is final". */
static void allowed_list(lead_status from, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (int to = 0; to < LEAD_STATUS_COUNT; to++) {
		if (!lead_status_allowed(from, (lead_status)to))
			continue;
		int w = snprintf(out + n, size - n, "%s%s", n ? ", " : "",
		                 names[to]);
		if (w < 0 || (size_t)w >= size - n)
			return;
		n += (size_t)w;
	}
	if (n == 0)
		snprintf(out, size, "none, %s is final", names[from]);
}

lead_move lead_status_check(const char *from, const char *to, char *why,
                            size_t why_size)
{
	int f = lead_status_parse(from), t = lead_status_parse(to);
	char allowed[128];

	if (t < 0) {
		snprintf(
		    why, why_size,
		    "status: unknown status \"%.40s\" (expected one of new, "
		    "contacted, offer_sent, under_contract, closed, dead)",
		    to ? to : "");
		return LEAD_MOVE_UNKNOWN;
	}
	if (f < 0) {
		snprintf(why, why_size,
		         "status: the lead's status \"%.40s\" is "
		         "unknown",
		         from ? from : "");
		return LEAD_MOVE_REFUSED;
	}
	if (lead_status_allowed((lead_status)f, (lead_status)t)) {
		if (why_size)
			why[0] = '\0';
		return LEAD_MOVE_OK;
	}
	allowed_list((lead_status)f, allowed, sizeof allowed);
	snprintf(why, why_size,
	         "status: cannot move from %s to %s (allowed: %s)", names[f],
	         names[t], allowed);
	return LEAD_MOVE_REFUSED;
}
