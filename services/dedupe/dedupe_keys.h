/*
 * dedupe_keys.h: the identities dedupe remembers, checked and put in one
 * canonical form, so that two spellings of one seller meet under one key.
 * Pure.
 *
 * A check names up to three identities of a lead, looked up in this order
 * (the first match is reported):
 *   phone        E.164 ("+15125550142"), as leads-intake normalizes it
 *   email        trimmed and lower-cased here again
 *   address_key  the address service's key, lower-cased here again
 * and the lead_id they belong to. An optional scope (a customer id) keeps
 * one investor's leads from matching another's.
 */
#ifndef DEDUPE_KEYS_H
#define DEDUPE_KEYS_H

#include <jansson.h>
#include <stddef.h>

#define DEDUPE_KINDS 3
/* Longest identity value (an email is at most 254; an address key less). */
#define DEDUPE_VALUE_MAX 256
/* Longest lead id and scope. */
#define DEDUPE_ID_MAX 64
/* Window: default, and the bounds DEDUPE_WINDOW_DAYS may take. */
#define DEDUPE_WINDOW_DAYS_DEFAULT 30
#define DEDUPE_WINDOW_DAYS_MAX     3650

typedef struct dedupe_keys {
	int n;                          /* identities given */
	const char *kind[DEDUPE_KINDS]; /* "phone", "email", ... */
	char value[DEDUPE_KINDS][DEDUPE_VALUE_MAX + 1];
	char lead_id[DEDUPE_ID_MAX + 1]; /* "" when not given */
	char scope[DEDUPE_ID_MAX + 1];   /* "_" when not given */
} dedupe_keys;

/*
 * Reads the identities, lead_id and scope from args (borrowed) into *k.
 * need_lead_id: 1 for check (lead_id required, and at least one
 * identity), 0 for forget (lead_id or at least one identity).
 * 0, or -1 with why naming the field ("email: ...").
 */
int dedupe_keys_parse(json_t *args, int need_lead_id, dedupe_keys *k, char *why,
                      size_t why_size);

/* The window in days from the value of DEDUPE_WINDOW_DAYS (NULL or "":
 * the default). 0, or -1 with why when it is not 1-3650. */
int dedupe_window_days(const char *env, int *days, char *why, size_t why_size);

#endif
