/*
 * lead_id.h: lead ids. "ld_" + 12 base32 characters of the creation time
 * in milliseconds + 8 base32 characters of randomness. The alphabet
 * (Crockford's, lower case) is in ASCII order, so ids sort by creation time
 * as plain strings: the list index is a lexicographic sorted set of ids.
 * Pure: the caller supplies the clock and the random bytes.
 */
#ifndef LEAD_ID_H
#define LEAD_ID_H

#include <stdint.h>

#define LEAD_ID_PREFIX "ld_"
/* 12 characters hold 60 bits of milliseconds: far past any real clock. */
#define LEAD_ID_TIME_CHARS 12
/* 40 random bits: two leads in one millisecond collide once in 10^12. */
#define LEAD_ID_RAND_CHARS 8
#define LEAD_ID_RAND_BYTES 5
#define LEAD_ID_LEN        (3 + LEAD_ID_TIME_CHARS + LEAD_ID_RAND_CHARS)
#define LEAD_ID_SIZE       (LEAD_ID_LEN + 1)

/* Writes the id for ms (>= 0) and rnd into out. */
void lead_id_format(int64_t ms, const unsigned char rnd[LEAD_ID_RAND_BYTES],
                    char out[LEAD_ID_SIZE]);
/* The smallest id any lead created at ms can have (the "since" bound). */
void lead_id_floor(int64_t ms, char out[LEAD_ID_SIZE]);
/* 1 when s is a well-formed lead id, 0 otherwise (also for NULL). */
int lead_id_valid(const char *s);
/* The creation time of a well-formed id, or -1. */
int64_t lead_id_ms(const char *id);

#endif
