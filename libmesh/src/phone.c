/*
 * phone.c: US phone numbers to E.164 under the NANP rules, and the E.164
 * syntax check. See phone.h for what is accepted and why.
 */
#include "phone.h"

#include "mesh.h"

#include <string.h>

#define COUNT_MSG(n) "phone: expected 10 digits, got " #n

/* One static message per digit count, so *why stays a static string: input
 * is at most PHONE_INPUT_MAX bytes, hence at most that many digits. */
static const char *const count_msgs[PHONE_INPUT_MAX + 1] = {
    COUNT_MSG(0),  COUNT_MSG(1),  COUNT_MSG(2),  COUNT_MSG(3),  COUNT_MSG(4),
    COUNT_MSG(5),  COUNT_MSG(6),  COUNT_MSG(7),  COUNT_MSG(8),  COUNT_MSG(9),
    COUNT_MSG(10), COUNT_MSG(11), COUNT_MSG(12), COUNT_MSG(13), COUNT_MSG(14),
    COUNT_MSG(15), COUNT_MSG(16), COUNT_MSG(17), COUNT_MSG(18), COUNT_MSG(19),
    COUNT_MSG(20), COUNT_MSG(21), COUNT_MSG(22), COUNT_MSG(23), COUNT_MSG(24),
    COUNT_MSG(25), COUNT_MSG(26), COUNT_MSG(27), COUNT_MSG(28), COUNT_MSG(29),
    COUNT_MSG(30), COUNT_MSG(31), COUNT_MSG(32)};

static int fail(char *out, const char **why, const char *msg)
{
	out[0] = '\0';
	if (why)
		*why = msg;
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_separator(char c)
{
	return c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' ||
	       c == '/';
}

/* The words people write before an extension, lower case. */
static int is_extension_word(const char *w, size_t n)
{
	static const char *const words[] = {"x", "ex", "ext", "extn",
	                                    "extension"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && strncmp(words[i], w, n) == 0)
			return 1;
	return 0;
}

/* The letter run starting at p, lower-cased into buf (truncated to cap-1;
 * a run that long is no extension word anyway). Returns the run length. */
static size_t letter_run(const char *p, char *buf, size_t cap)
{
	size_t n = 0;
	while (is_alpha(p[n])) {
		if (n + 1 < cap)
			buf[n] = (char)(p[n] | 0x20);
		n++;
	}
	return n;
}

int phone_to_e164(const char *in, char out[PHONE_E164_SIZE], const char **why)
{
	char digits[PHONE_INPUT_MAX + 1];
	size_t n = 0;

	if (!in)
		return fail(out, why, "phone: missing");
	size_t len = strnlen(in, PHONE_INPUT_MAX + 1);
	if (len == 0)
		return fail(out, why, "phone: empty");
	if (len > PHONE_INPUT_MAX)
		return fail(out, why, "phone: longer than 32 bytes");

	const char *p = in;
	while (*p == ' ')
		p++;
	int plus = *p == '+';
	if (plus)
		p++;
	for (; *p; p++) {
		if (is_digit(*p)) {
			digits[n++] = *p;
		} else if (is_separator(*p)) {
			continue;
		} else if (*p == '+') {
			return fail(out, why,
			            "phone: '+' is only allowed at the start");
		} else if (*p == '#') {
			return fail(out, why,
			            "phone: extensions are not supported");
		} else if (is_alpha(*p)) {
			char word[16];
			size_t wn = letter_run(p, word, sizeof(word));
			if (wn < sizeof(word) && is_extension_word(word, wn))
				return fail(
				    out, why,
				    "phone: extensions are not supported");
			return fail(out, why, "phone: letters are not allowed");
		} else {
			return fail(out, why, "phone: unexpected character");
		}
	}

	const char *nat = digits;
	size_t nat_len = n;
	if (plus) {
		if (n > 0 && digits[0] != '1')
			return fail(
			    out, why,
			    "phone: only US numbers (+1) are supported");
		if (n > 0) {
			nat++;
			nat_len--;
		}
	} else if (n == 11 && digits[0] == '1') {
		nat++;
		nat_len--;
	}
	if (nat_len != 10)
		return fail(out, why, count_msgs[nat_len]);

	/* NANP: NXX-NXX-XXXX, N = 2..9; N11 codes are service codes (411,
	 * 911, ...) and are never assigned as area codes or exchanges. */
	if (nat[0] < '2')
		return fail(out, why,
		            "phone: area code cannot start with 0 or 1");
	if (nat[1] == '1' && nat[2] == '1')
		return fail(out, why,
		            "phone: area code cannot be an N11 service code");
	if (nat[3] < '2')
		return fail(out, why,
		            "phone: exchange cannot start with 0 or 1");
	if (nat[4] == '1' && nat[5] == '1')
		return fail(out, why,
		            "phone: exchange cannot be an N11 service code");

	out[0] = '+';
	out[1] = '1';
	memcpy(out + 2, nat, 10);
	out[12] = '\0';
	if (why)
		*why = NULL;
	return 0;
}

int phone_is_e164(const char *s)
{
	if (!s || s[0] != '+' || s[1] == '0')
		return 0;
	size_t n = 0;
	for (const char *p = s + 1; *p; p++) {
		if (!is_digit(*p) || ++n > PHONE_E164_MAX_DIGITS)
			return 0;
	}
	return n >= PHONE_E164_MIN_DIGITS;
}

int mesh_phone_e164(const char *in, char out[16], const char **why)
{
	return phone_to_e164(in, out, why);
}

int mesh_phone_is_e164(const char *s)
{
	return phone_is_e164(s);
}
