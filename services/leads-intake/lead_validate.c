/* lead_validate.c: the seller lead form, checked (see lead_validate.h). */
#include "lead_validate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh.h"

/* The fields a lead may carry besides name, phone, email and address. */
typedef enum field_kind {
	F_INT,
	F_NUM,
	F_HALF,
	F_ENUM,
	F_TEXT,
	F_LINE,
	F_ID,
	F_BOOL
} field_kind;

typedef struct field_spec {
	const char *name;
	field_kind kind;
	double min, max;          /* F_INT, F_NUM, F_HALF; chars for text */
	const char *const *words; /* F_ENUM, NULL-terminated */
	const char *expect;       /* the message's "expected ..." */
} field_spec;

static const char *const timelines[] = {
    "asap", "30_days", "90_days", "6_months", "12_months", "flexible", NULL};
static const char *const property_types[] = {
    "single_family", "multi_family", "condo", "townhouse",
    "mobile",        "land",         "other", NULL};
static const char *const occupancies[] = {"owner", "tenant", "vacant", NULL};

static const field_spec optional_fields[] = {
    {"beds", F_INT, 0, 50, NULL, "an integer 0-50"},
    {"baths", F_HALF, 0, 50, NULL, "a number 0-50 in steps of 0.5"},
    {"sqft", F_INT, 100, 100000, NULL, "an integer 100-100000"},
    {"year_built", F_INT, 1700, 2100, NULL, "an integer 1700-2100"},
    {"condition", F_INT, 1, 5, NULL, "an integer 1-5"},
    {"timeline", F_ENUM, 0, 0, timelines,
     "one of asap, 30_days, 90_days, 6_months, 12_months, flexible"},
    {"property_type", F_ENUM, 0, 0, property_types,
     "one of single_family, multi_family, condo, townhouse, mobile, land, "
     "other"},
    {"occupancy", F_ENUM, 0, 0, occupancies, "one of owner, tenant, vacant"},
    {"asking_price", F_NUM, 0, LEAD_PRICE_MAX, NULL,
     "a number of dollars 0-1000000000"},
    {"amount_owed", F_NUM, 0, LEAD_PRICE_MAX, NULL,
     "a number of dollars 0-1000000000"},
    {"motivation", F_TEXT, 0, LEAD_TEXT_MAX, NULL,
     "text of at most 2000 characters"},
    {"notes", F_TEXT, 0, LEAD_TEXT_MAX, NULL,
     "text of at most 2000 characters"},
    {"source", F_LINE, 0, LEAD_SOURCE_MAX, NULL,
     "one line of at most 100 characters"},
    {"customer_id", F_ID, 0, LEAD_CUSTOMER_ID_MAX, NULL,
     "1-64 characters of A-Z a-z 0-9 _ -"},
    {"sms_consent", F_BOOL, 0, 0, NULL, "true or false"},
};

#define N_OPTIONAL (sizeof optional_fields / sizeof optional_fields[0])

static const char *const address_parts[] = {"street", "unit", "city", "state",
                                            "zip"};
#define N_PARTS (sizeof address_parts / sizeof address_parts[0])

static const char *const core_fields[] = {"name", "phone", "email", "address",
                                          "_meta"};
#define N_CORE (sizeof core_fields / sizeof core_fields[0])

/* Problems found so far, joined by "; " into a caller's buffer. */
typedef struct problems {
	char *buf;
	size_t size, len;
	int count;
} problems;

static void problem(problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(problems *p, const char *fmt, ...)
{
	va_list ap;
	int w;

	p->count++;
	if (p->size == 0 || p->len + 1 >= p->size)
		return;
	if (p->len) {
		w = snprintf(p->buf + p->len, p->size - p->len, "; ");
		p->len += (size_t)w < p->size - p->len ? (size_t)w
		                                       : p->size - p->len - 1;
	}
	va_start(ap, fmt);
	w = vsnprintf(p->buf + p->len, p->size - p->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		p->len += (size_t)w < p->size - p->len ? (size_t)w
		                                       : p->size - p->len - 1;
}

static int in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static const field_spec *optional_spec(const char *name)
{
	for (size_t i = 0; i < N_OPTIONAL; i++)
		if (strcmp(optional_fields[i].name, name) == 0)
			return &optional_fields[i];
	return NULL;
}

/* Characters (code points) of valid UTF-8: jansson has checked it. */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* A copy of s without leading and trailing blanks; caller frees. */
static char *trimmed(const char *s)
{
	size_t len;

	while (*s && isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

/* 1 when s has a control character; newlines and tabs pass if allowed. */
static int has_control(const char *s, int allow_newlines)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (allow_newlines && (c == '\n' || c == '\r' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

/* A number from a JSON number or a numeric string; 0, or -1. */
static int number_of(json_t *v, double *out)
{
	const char *s;
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || !(isdigit((unsigned char)*s) || *s == '-' || *s == '.'))
		return -1;
	*out = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return *end || !isfinite(*out) ? -1 : 0;
}

/* "" or blanks: the form left the field empty. */
static int blank(json_t *v)
{
	const char *s = json_string_value(v);

	if (!s)
		return json_is_null(v);
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

static void check_optional(const field_spec *f, json_t *v, json_t *lead,
                           problems *p)
{
	double d;
	char *s;

	switch (f->kind) {
	case F_INT:
	case F_NUM:
	case F_HALF:
		if (number_of(v, &d) != 0 || d < f->min || d > f->max ||
		    (f->kind == F_INT && d != floor(d)) ||
		    (f->kind == F_HALF && d * 2 != floor(d * 2))) {
			problem(p, "%s: expected %s", f->name, f->expect);
			return;
		}
		json_object_set_new(lead, f->name,
		                    d == floor(d) && f->kind != F_HALF
		                        ? json_integer((json_int_t)d)
		                        : json_real(d));
		return;
	case F_BOOL:
		if (!json_is_boolean(v)) {
			problem(p, "%s: expected %s", f->name, f->expect);
			return;
		}
		json_object_set(lead, f->name, v);
		return;
	default:
		break;
	}
	if (!json_is_string(v)) {
		problem(p, "%s: expected %s", f->name, f->expect);
		return;
	}
	s = trimmed(json_string_value(v));
	if (!s) {
		problem(p, "%s: out of memory", f->name);
		return;
	}
	int ok = 1;
	size_t len = strlen(s);
	if (f->kind == F_ENUM) {
		ok = 0;
		for (const char *const *w = f->words; *w; w++)
			ok |= strcmp(*w, s) == 0;
	} else if (f->kind == F_ID) {
		ok = len >= 1 && len <= (size_t)f->max;
		for (size_t i = 0; ok && i < len; i++)
			ok = isalnum((unsigned char)s[i]) || s[i] == '_' ||
			     s[i] == '-';
	} else {
		ok = utf8_chars(s, len) <= (size_t)f->max &&
		     !has_control(s, f->kind == F_TEXT);
	}
	if (ok)
		json_object_set_new(lead, f->name, json_string(s));
	else
		problem(p, "%s: expected %s", f->name, f->expect);
	free(s);
}

static void check_name(json_t *args, json_t *lead, problems *p)
{
	json_t *v = json_object_get(args, "name");
	char *s;

	if (!v || blank(v)) {
		problem(p, "name: required");
		return;
	}
	if (!json_is_string(v)) {
		problem(p, "name: expected a string");
		return;
	}
	s = trimmed(json_string_value(v));
	if (!s)
		return problem(p, "name: out of memory");
	if (utf8_chars(s, strlen(s)) > LEAD_NAME_MAX)
		problem(p, "name: longer than %d characters", LEAD_NAME_MAX);
	else if (has_control(s, 0))
		problem(p, "name: control characters are not allowed");
	else
		json_object_set_new(lead, "name", json_string(s));
	free(s);
}

static void check_contact(json_t *args, json_t *lead, problems *p)
{
	json_t *phone = json_object_get(args, "phone");
	json_t *email = json_object_get(args, "email");
	char out[LEAD_EMAIL_MAX + 1], why[128];
	const char *pwhy;

	if ((!phone || blank(phone)) && (!email || blank(email))) {
		problem(p, "phone: a phone number or an email address is "
		           "required");
		return;
	}
	if (phone && !blank(phone)) {
		if (!json_is_string(phone))
			problem(p, "phone: expected a string");
		else if (mesh_phone_e164(json_string_value(phone), out, &pwhy))
			problem(p, "%s", pwhy);
		else
			json_object_set_new(lead, "phone", json_string(out));
	}
	if (email && !blank(email)) {
		if (!json_is_string(email))
			problem(p, "email: expected a string");
		else if (lead_email_normalize(json_string_value(email), out,
		                              sizeof out, why, sizeof why))
			problem(p, "%s", why);
		else
			json_object_set_new(lead, "email", json_string(out));
	}
}

/* The address arguments, when the address is usable at all. */
static json_t *check_address(json_t *args, problems *p)
{
	json_t *text = json_object_get(args, "address");
	json_t *out = json_object();
	int parts = 0, before = p->count;

	for (size_t i = 0; i < N_PARTS; i++) {
		json_t *v = json_object_get(args, address_parts[i]);
		if (!v || blank(v))
			continue;
		if (!json_is_string(v) ||
		    json_string_length(v) > LEAD_ADDRESS_MAX) {
			problem(p, "%s: expected text of at most %d bytes",
			        address_parts[i], LEAD_ADDRESS_MAX);
			continue;
		}
		json_object_set(out, address_parts[i], v);
		parts++;
	}
	if (text && !blank(text)) {
		if (!json_is_string(text) ||
		    json_string_length(text) > LEAD_ADDRESS_MAX)
			problem(p, "address: expected text of at most %d bytes",
			        LEAD_ADDRESS_MAX);
		else if (parts)
			problem(p, "address: give the address as text or as "
			           "street/unit/city/state/zip, not both");
		else
			json_object_set(out, "text", text);
	} else if (!parts && p->count == before) {
		problem(p, "address: required (as text, or as street with "
		           "city and state or zip)");
	}
	if (p->count != before) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int lead_validate(json_t *args, json_t **lead, json_t **address, char *why,
                  size_t why_size)
{
	problems p = {why, why_size, 0, 0};
	const char *key;
	json_t *v, *out, *addr;

	*lead = NULL;
	*address = NULL;
	if (why_size)
		why[0] = '\0';
	if (!json_is_object(args)) {
		problem(&p, "lead: expected a JSON object");
		return -1;
	}
	json_object_foreach(args, key, v)
	{
		if (!in_list(core_fields, N_CORE, key) &&
		    !in_list(address_parts, N_PARTS, key) &&
		    !optional_spec(key))
			problem(&p, "%.64s: unknown field", key);
	}
	out = json_object();
	check_name(args, out, &p);
	check_contact(args, out, &p);
	addr = check_address(args, &p);
	for (size_t i = 0; i < N_OPTIONAL; i++) {
		v = json_object_get(args, optional_fields[i].name);
		if (v && !blank(v))
			check_optional(&optional_fields[i], v, out, &p);
	}
	if (p.count) {
		json_decref(out);
		json_decref(addr);
		return -1;
	}
	*lead = out;
	*address = addr;
	return 0;
}

static int local_char(char c)
{
	return isalnum((unsigned char)c) || strchr("!#$%&'*+/=?^_`{|}~-.", c);
}

/* A DNS name of at least two labels, each 1-63 of [a-z0-9-] not starting
 * or ending with '-', the last alphabetic. */
static int domain_valid(const char *d)
{
	size_t label = 0, labels = 0, tld_alpha = 1;
	char prev = '.';

	for (const char *c = d;; c++) {
		if (*c == '.' || *c == '\0') {
			if (label == 0 || prev == '-')
				return 0;
			labels++;
			if (*c == '\0')
				break;
			label = 0;
			tld_alpha = 1;
		} else if (isalnum((unsigned char)*c) || *c == '-') {
			if (label == 0 && *c == '-')
				return 0;
			if (++label > 63)
				return 0;
			tld_alpha &= isalpha((unsigned char)*c) != 0;
		} else {
			return 0;
		}
		prev = *c;
	}
	return labels >= 2 && tld_alpha && label >= 2;
}

int lead_email_normalize(const char *in, char *out, size_t out_size, char *why,
                         size_t why_size)
{
	char *s = in ? trimmed(in) : NULL;
	char *at;
	size_t len;

	if (!s) {
		snprintf(why, why_size, "email: expected a string");
		return -1;
	}
	len = strlen(s);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	at = strchr(s, '@');
	if (len == 0) {
		snprintf(why, why_size, "email: empty");
	} else if (len > LEAD_EMAIL_MAX || len >= out_size) {
		snprintf(why, why_size, "email: longer than %d characters",
		         LEAD_EMAIL_MAX);
	} else if (!at || strchr(at + 1, '@')) {
		snprintf(why, why_size, "email: expected one @ in \"%.64s\"",
		         s);
	} else {
		size_t local = (size_t)(at - s);
		int ok = local >= 1 && local <= LEAD_EMAIL_LOCAL_MAX &&
		         s[0] != '.' && at[-1] != '.';
		for (size_t i = 0; ok && i < local; i++)
			ok = local_char(s[i]) &&
			     !(s[i] == '.' && s[i + 1] == '.');
		if (!ok)
			snprintf(why, why_size,
			         "email: the part before @ is not valid in "
			         "\"%.64s\"",
			         s);
		else if (!domain_valid(at + 1))
			snprintf(why, why_size,
			         "email: the domain \"%.64s\" is not valid",
			         at + 1);
		else {
			memcpy(out, s, len + 1);
			free(s);
			return 0;
		}
	}
	free(s);
	return -1;
}

int lead_idempotency_key(json_t *args, const char **key, char *why,
                         size_t why_size)
{
	json_t *meta = json_object_get(args, "_meta");
	json_t *v = json_object_get(meta, "idempotency_key");
	const char *s = json_string_value(v);
	size_t len;

	*key = NULL;
	if (!v || json_is_null(v))
		return 0;
	len = s ? strlen(s) : 0;
	int ok = s && len >= 1 && len <= LEAD_IDEMPOTENCY_KEY_MAX;
	for (size_t i = 0; ok && i < len; i++)
		ok = s[i] > 0x20 && s[i] < 0x7f;
	if (!ok) {
		snprintf(why, why_size,
		         "Idempotency-Key: expected 1-%d printable ASCII "
		         "characters without spaces",
		         LEAD_IDEMPOTENCY_KEY_MAX);
		return -1;
	}
	*key = s;
	return 0;
}
