/*
 * slack_dedupe.h: the identity of a message for dropping exact repeats:
 * SHA-256 over its channel and its text, in hex. Two sends with the same
 * channel and text within the repeat window post once.
 */
#ifndef SLACK_DEDUPE_H
#define SLACK_DEDUPE_H

/* Seconds a posted message blocks its exact repeat. */
#define SLACK_REPEAT_WINDOW_S 60
/* Hex digest length, NUL excluded. */
#define SLACK_DEDUPE_HEX 64

/* Writes the digest of (channel, text) into hex (SLACK_DEDUPE_HEX + 1
 * bytes). channel NULL is the default channel. 0, or -1 when libcrypto
 * fails. */
int slack_dedupe_digest(const char *channel, const char *text,
                        char hex[SLACK_DEDUPE_HEX + 1]);

#endif
