/*
 * phone.h: phone number normalization shared by leads-intake and sms.
 * Pure: no I/O, no allocation, no global state; safe to call from any
 * handler.
 *
 * The product serves US real estate, so phone_to_e164() accepts only North
 * American Numbering Plan numbers (country code 1) and applies the NANP
 * rules. phone_is_e164() is the looser check the sms service needs for a
 * number that is already in E.164 form, whatever its country.
 */
#ifndef MESH_PHONE_H
#define MESH_PHONE_H

/* Longest input phone_to_e164() reads, in bytes, NUL excluded. Longer input
 * is refused before it is looked at: the longest sensible spelling,
 * "+1 (512) 555-0142", is 17 bytes. */
#define PHONE_INPUT_MAX 32
/* Size of the output buffer of phone_to_e164(): "+1" and 10 digits need 13
 * bytes with the NUL; 16 leaves room for any E.164 string but the longest. */
#define PHONE_E164_SIZE 16
/* E.164 allows at most 15 digits after the '+'; fewer than 8 is no real
 * subscriber number anywhere. */
#define PHONE_E164_MIN_DIGITS 8
#define PHONE_E164_MAX_DIGITS 15

/*
 * Normalizes a US (NANP) phone number to E.164: "(512) 555-0142",
 * "512.555.0142", "+1 512 555 0142", "1-512-555-0142" and "5125550142" all
 * give "+15125550142".
 *
 * Accepted: digits, spaces, and the separators ( ) - . / ; an optional
 * leading '+' (then the country code must be 1); an optional leading country
 * code 1 without '+' when 11 digits are given.
 * Refused, with *why naming the reason:
 *   - NULL or empty input, input over PHONE_INPUT_MAX bytes;
 *   - an extension ("x123", "ext. 123", "extension 123", "#123"): a lead's
 *     callback number must be dialable as is, and silently dropping the
 *     extension would send SMS to a switchboard;
 *   - letters (vanity numbers like 1-800-FLOWERS), other characters;
 *   - a country code other than 1 after '+';
 *   - any count of national digits but 10;
 *   - NANP rules: an area code or exchange starting with 0 or 1, an area
 *     code or exchange of the N11 form (211..911 are service codes).
 *
 * in is borrowed. out (PHONE_E164_SIZE bytes, owned by the caller) receives
 * the NUL-terminated E.164 string on success and "" on failure. why may be
 * NULL; it is set to NULL on success and, on failure, to a static string
 * ("phone: ...") the caller must not free. Returns 0 on success, -1 on
 * failure.
 */
int phone_to_e164(const char *in, char out[PHONE_E164_SIZE], const char **why);

/*
 * 1 when s is a syntactically valid E.164 number of any country: '+', then
 * PHONE_E164_MIN_DIGITS..PHONE_E164_MAX_DIGITS digits, the first not 0, and
 * nothing else (no spaces, no separators). 0 otherwise, also for NULL.
 * s is borrowed.
 */
int phone_is_e164(const char *s);

#endif
