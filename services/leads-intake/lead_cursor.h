/*
 * lead_cursor.h: the opaque "next" cursor of list paging. It holds the id
 * of the last lead of a page (ids sort by time, so the next page is every
 * id below it), versioned and base64url-encoded so clients treat it as a
 * token and a later format can be told apart. Pure.
 */
#ifndef LEAD_CURSOR_H
#define LEAD_CURSOR_H

#include <stddef.h>

#include "lead_id.h"

/* "1:" + id is 25 bytes; base64url without padding: 8 groups of 4
 * characters, then 2. */
#define LEAD_CURSOR_LEN  34
#define LEAD_CURSOR_SIZE (LEAD_CURSOR_LEN + 1)

/* Encodes the cursor after the lead last_id (a valid id). */
void lead_cursor_encode(const char *last_id, char out[LEAD_CURSOR_SIZE]);
/* Decodes a cursor into the id it continues after. 0, or -1 when it is not
 * a cursor this service made. */
int lead_cursor_decode(const char *cursor, char last_id[LEAD_ID_SIZE]);

#endif
