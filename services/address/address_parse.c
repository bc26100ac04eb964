/*
 * address_parse.c: free text or form fields to USPS Publication 28 form.
 * The text is cut into upper-case words (tokens) grouped into segments at
 * commas; ZIP, state and city are peeled off the right, and the street line
 * is read right to left (unit, postdir, suffix), then left (predir). The
 * rules and their edge cases are in address_parse.h.
 */
#include "address_parse.h"

#include <stdio.h>
#include <string.h>

#include "usps_suffixes.h"

/* Every input byte becomes at most one token byte and one NUL. */
#define TOKEN_BUF_SIZE (2 * ADDRESS_INPUT_MAX + 2)
#define TOKENS_MAX     (ADDRESS_INPUT_MAX + 1)
/* Longest state name in words ("UNITED STATES VIRGIN ISLANDS" is 4). */
#define STATE_WORDS_MAX 4
/* Longest state name in bytes, with room to spare for the join. */
#define STATE_NAME_MAX 40

_Static_assert(ADDRESS_LINE_SIZE > ADDRESS_NUMBER_MAX + 3 + ADDRESS_STREET_MAX +
                                       5 + 3 + 5 + ADDRESS_UNIT_MAX +
                                       ADDRESS_CITY_MAX + 3 + 10 + 5 * 2 + 16,
               "ADDRESS_LINE_SIZE too small for the one-line form");

typedef struct token {
	const char *s; /* upper case, NUL-terminated */
	int seg;       /* segment: the comma-separated part it was found in */
} token;

typedef struct tokens {
	char buf[TOKEN_BUF_SIZE];
	size_t used;
	token t[TOKENS_MAX];
	int n;
	int seg;      /* segment of the next token */
	int seg_used; /* whether segment seg already has a token */
} tokens;

/* ---- Tables: Appendix C2, directionals, states -------------------------- */

static const struct {
	const char *word;
	const char *abbr;
} unit_words[] = {
    {"#", "#"},           {"APARTMENT", "APT"},   {"APT", "APT"},
    {"BASEMENT", "BSMT"}, {"BSMT", "BSMT"},       {"BUILDING", "BLDG"},
    {"BLDG", "BLDG"},     {"DEPARTMENT", "DEPT"}, {"DEPT", "DEPT"},
    {"FLOOR", "FL"},      {"FLR", "FL"},          {"FL", "FL"},
    {"FRONT", "FRNT"},    {"FRNT", "FRNT"},       {"HANGAR", "HNGR"},
    {"HNGR", "HNGR"},     {"KEY", "KEY"},         {"LOBBY", "LBBY"},
    {"LBBY", "LBBY"},     {"LOT", "LOT"},         {"LOWER", "LOWR"},
    {"LOWR", "LOWR"},     {"OFFICE", "OFC"},      {"OFC", "OFC"},
    {"PENTHOUSE", "PH"},  {"PH", "PH"},           {"PIER", "PIER"},
    {"REAR", "REAR"},     {"ROOM", "RM"},         {"RM", "RM"},
    {"SIDE", "SIDE"},     {"SLIP", "SLIP"},       {"SPACE", "SPC"},
    {"SPC", "SPC"},       {"STOP", "STOP"},       {"SUITE", "STE"},
    {"STE", "STE"},       {"TRAILER", "TRLR"},    {"TRLR", "TRLR"},
    {"UNIT", "UNIT"},     {"UPPER", "UPPR"},      {"UPPR", "UPPR"},
};

static const struct {
	const char *word;
	const char *abbr;
} dir_words[] = {
    {"N", "N"},          {"S", "S"},          {"E", "E"},
    {"W", "W"},          {"NE", "NE"},        {"NW", "NW"},
    {"SE", "SE"},        {"SW", "SW"},        {"NORTH", "N"},
    {"SOUTH", "S"},      {"EAST", "E"},       {"WEST", "W"},
    {"NORTHEAST", "NE"}, {"NORTHWEST", "NW"}, {"SOUTHEAST", "SE"},
    {"SOUTHWEST", "SW"},
};

static const struct {
	const char *code;
	const char *name;
} states[] = {
    {"AL", "ALABAMA"},
    {"AK", "ALASKA"},
    {"AZ", "ARIZONA"},
    {"AR", "ARKANSAS"},
    {"CA", "CALIFORNIA"},
    {"CO", "COLORADO"},
    {"CT", "CONNECTICUT"},
    {"DE", "DELAWARE"},
    {"DC", "DISTRICT OF COLUMBIA"},
    {"DC", "D C"},
    {"FL", "FLORIDA"},
    {"GA", "GEORGIA"},
    {"HI", "HAWAII"},
    {"ID", "IDAHO"},
    {"IL", "ILLINOIS"},
    {"IN", "INDIANA"},
    {"IA", "IOWA"},
    {"KS", "KANSAS"},
    {"KY", "KENTUCKY"},
    {"LA", "LOUISIANA"},
    {"ME", "MAINE"},
    {"MD", "MARYLAND"},
    {"MA", "MASSACHUSETTS"},
    {"MI", "MICHIGAN"},
    {"MN", "MINNESOTA"},
    {"MS", "MISSISSIPPI"},
    {"MO", "MISSOURI"},
    {"MT", "MONTANA"},
    {"NE", "NEBRASKA"},
    {"NV", "NEVADA"},
    {"NH", "NEW HAMPSHIRE"},
    {"NJ", "NEW JERSEY"},
    {"NM", "NEW MEXICO"},
    {"NY", "NEW YORK"},
    {"NC", "NORTH CAROLINA"},
    {"ND", "NORTH DAKOTA"},
    {"OH", "OHIO"},
    {"OK", "OKLAHOMA"},
    {"OR", "OREGON"},
    {"PA", "PENNSYLVANIA"},
    {"RI", "RHODE ISLAND"},
    {"SC", "SOUTH CAROLINA"},
    {"SD", "SOUTH DAKOTA"},
    {"TN", "TENNESSEE"},
    {"TX", "TEXAS"},
    {"UT", "UTAH"},
    {"VT", "VERMONT"},
    {"VA", "VIRGINIA"},
    {"WA", "WASHINGTON"},
    {"WV", "WEST VIRGINIA"},
    {"WI", "WISCONSIN"},
    {"WY", "WYOMING"},
    {"PR", "PUERTO RICO"},
    {"GU", "GUAM"},
    {"VI", "VIRGIN ISLANDS"},
    {"VI", "US VIRGIN ISLANDS"},
    {"VI", "UNITED STATES VIRGIN ISLANDS"},
    {"AS", "AMERICAN SAMOA"},
    {"MP", "NORTHERN MARIANA ISLANDS"},
};

/* Words that, before a number, make a route-style street name ("FM 1431",
 * "US 290"). Suffix spellings of HIGHWAY and its kin are added by
 * is_route_word(). */
static const char *const route_words[] = {"FM", "RR", "RM", "CR", "SH",
                                          "SR", "US", "IH", "I",  "INTERSTATE"};
/* Suffixes that, before a number, are a route, written out in full. */
static const char *const route_suffixes[] = {
    "HIGHWAY", "FREEWAY", "EXPRESSWAY", "ROUTE", "TURNPIKE", "LOOP", "SPUR"};
/* ROAD is a route only after one of these: "County Rd 12", "Ranch Road
 * 620", "Farm to Market Road 1431"; "Main Rd 4" is a road and a unit. */
static const char *const road_routes[] = {"COUNTY", "RANCH",   "MARKET",
                                          "STATE",  "PRIVATE", "FOREST"};
/* Suffixes written out that still end a street for sure when the street
 * and city are not separated by a comma. */
static const char *const strong_suffixes[] = {
    "STREET", "AVENUE",  "BOULEVARD", "DRIVE",  "LANE",    "ROAD", "COURT",
    "PLACE",  "TERRACE", "PARKWAY",   "CIRCLE", "HIGHWAY", "WAY"};
/* What a trailing country is written as. */
static const char *const countries[] = {"USA", "US", "UNITED STATES",
                                        "UNITED STATES OF AMERICA"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *const *list, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], w) == 0)
			return 1;
	return 0;
}

static const char *unit_lookup(const char *w)
{
	for (size_t i = 0; i < COUNT(unit_words); i++)
		if (strcmp(unit_words[i].word, w) == 0)
			return unit_words[i].abbr;
	return NULL;
}

static const char *dir_lookup(const char *w)
{
	for (size_t i = 0; i < COUNT(dir_words); i++)
		if (strcmp(dir_words[i].word, w) == 0)
			return dir_words[i].abbr;
	return NULL;
}

/* "NORTH EAST", "N E", "South West" -> NE, SW; NULL otherwise. */
static const char *dir_compound(const char *a, const char *b)
{
	static const char *const pairs[] = {"NE", "NW", "SE", "SW"};
	const char *x = dir_lookup(a);
	const char *y = dir_lookup(b);
	if (!x || !y || x[1] || y[1])
		return NULL;
	for (size_t i = 0; i < COUNT(pairs); i++)
		if (pairs[i][0] == x[0] && pairs[i][1] == y[0])
			return pairs[i];
	return NULL;
}

static const char *state_lookup(const char *joined)
{
	for (size_t i = 0; i < COUNT(states); i++)
		if (strcmp(states[i].code, joined) == 0 ||
		    strcmp(states[i].name, joined) == 0)
			return states[i].code;
	return NULL;
}

/* ---- Character classes and input checks -------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int has_digit(const char *s)
{
	for (; *s; s++)
		if (is_digit(*s))
			return 1;
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

static int all_letters(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!is_upper(*s))
			return 0;
	return 1;
}

/* A house number: starts with a digit; digits, letters, '-' and '/'. */
static int is_house_number(const char *s)
{
	if (!is_digit(s[0]))
		return 0;
	for (; *s; s++)
		if (!is_digit(*s) && !is_upper(*s) && *s != '-' && *s != '/')
			return 0;
	return 1;
}

/* "1/2", "3/4": the fraction of "123 1/2". */
static int is_fraction(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || !slash[1])
		return 0;
	for (const char *p = s; *p; p++)
		if (p != slash && !is_digit(*p))
			return 0;
	return 1;
}

/* What may follow a unit designator: something with a digit ("4", "4B",
 * "B-12", "200"), or a single letter ("Apt B"). */
static int is_unit_number(const char *s)
{
	if (is_upper(s[0]) && !s[1])
		return 1;
	if (!has_digit(s))
		return 0;
	for (; *s; s++)
		if (!is_digit(*s) && !is_upper(*s) && *s != '-')
			return 0;
	return 1;
}

typedef enum input_check {
	INPUT_OK,
	INPUT_TOO_LONG,
	INPUT_CONTROL,
	INPUT_UTF8
} input_check;

/* Tab, CR and LF are whitespace (a textarea address spans lines); other
 * C0 and C1 controls and DEL are refused, as is anything but well-formed
 * UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
static input_check check_input(const char *text, size_t *len)
{
	size_t n = strnlen(text, ADDRESS_INPUT_MAX + 1);
	if (n > ADDRESS_INPUT_MAX)
		return INPUT_TOO_LONG;
	*len = n;
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
			    c == 0x7f)
				return INPUT_CONTROL;
			i++;
			continue;
		}
		size_t more;
		unsigned cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return INPUT_UTF8;
		}
		if (n - i <= more)
			return INPUT_UTF8;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return INPUT_UTF8;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return INPUT_UTF8;
		if (cp <= 0x9f)
			return INPUT_CONTROL;
		i += more + 1;
	}
	return INPUT_OK;
}

/* ---- Tokens -------------------------------------------------------------- */

static void tokens_init(tokens *tk)
{
	tk->used = 0;
	tk->n = 0;
	tk->seg = 0;
	tk->seg_used = 0;
}

static void tokens_break(tokens *tk)
{
	if (tk->seg_used) {
		tk->seg++;
		tk->seg_used = 0;
	}
}

/* Ends the token started at buf[start]: hyphens and slashes at its ends
 * are separators, and a token left empty is dropped. */
static void token_end(tokens *tk, size_t start)
{
	char *b = tk->buf + start;
	size_t n = tk->used - start;
	while (n && (b[n - 1] == '-' || b[n - 1] == '/'))
		n--;
	size_t skip = 0;
	while (skip < n && (b[skip] == '-' || b[skip] == '/'))
		skip++;
	n -= skip;
	if (n == 0 || tk->n >= TOKENS_MAX) {
		tk->used = start;
		return;
	}
	memmove(b, b + skip, n);
	b[n] = '\0';
	tk->used = start + n + 1;
	tk->t[tk->n].s = b;
	tk->t[tk->n].seg = tk->seg;
	tk->n++;
	tk->seg_used = 1;
}

static void token_push(tokens *tk, const char *s)
{
	if (tk->n >= TOKENS_MAX)
		return;
	tk->t[tk->n].s = s;
	tk->t[tk->n].seg = tk->seg;
	tk->n++;
	tk->seg_used = 1;
}

static int is_word_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '/' || c >= 0x80;
}

static int is_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Cuts checked input s[0..len) into tokens appended to tk. */
static void tokenize(tokens *tk, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = tk->used;
	int in_word = 0;
	size_t run = 0; /* letters since the token start or a kept period */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = u[i];
		if (is_word_byte(c)) {
			if (!in_word) {
				start = tk->used;
				in_word = 1;
				run = 0;
			}
			tk->buf[tk->used++] =
			    (char)((c >= 'a' && c <= 'z') ? c - 32 : c);
			run++;
			/* Latin-1 small letters (U+00E0..U+00FE but the
			 * division sign) to capitals: "Cañon" -> CAÑON. */
			if (c == 0xc3 && i + 1 < len && u[i + 1] >= 0xa0 &&
			    u[i + 1] <= 0xbe && u[i + 1] != 0xb7) {
				tk->buf[tk->used++] = (char)(u[i + 1] - 0x20);
				i++;
			}
			continue;
		}
		if (c == '\'') /* O'Hara -> OHARA */
			continue;
		/* A period between single letters joins them (D.C. -> DC,
		 * N.E. -> NE); any other period separates (St.Louis). */
		if (c == '.' && in_word && run == 1 && is_letter(u[i - 1]) &&
		    i + 1 < len && is_letter(u[i + 1]) &&
		    (i + 2 >= len || !is_word_byte(u[i + 2]))) {
			run = 0;
			continue;
		}
		if (in_word) {
			token_end(tk, start);
			in_word = 0;
		}
		if (c == '#')
			token_push(tk, "#");
		else if (c == ',' || c == ';' || c == '\n' || c == '\r')
			tokens_break(tk);
	}
	if (in_word)
		token_end(tk, start);
}

/* Joins tokens [a, b) with single spaces into out (cap bytes); 0 if it
 * does not fit. */
static int join(const tokens *tk, int a, int b, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = a; i < b; i++) {
		size_t len = strlen(tk->t[i].s);
		if (n + (i > a) + len + 1 > cap)
			return 0;
		if (i > a)
			out[n++] = ' ';
		memcpy(out + n, tk->t[i].s, len + 1);
		n += len;
	}
	return 1;
}

/* ---- Word classes that need context -------------------------------------- */

static int is_suffix(const char *w)
{
	return usps_suffix_find(w) != NULL;
}

/* Whether tok[i], followed by a number, makes a route-style name. lo is the
 * first street-name token, for the word before ROAD. */
static int is_route_word(const tokens *tk, int i, int lo)
{
	const char *w = tk->t[i].s;
	if (in_list(route_words, COUNT(route_words), w))
		return 1;
	const usps_suffix *sfx = usps_suffix_find(w);
	if (!sfx)
		return 0;
	if (in_list(route_suffixes, COUNT(route_suffixes), sfx->name))
		return 1;
	return strcmp(sfx->name, "ROAD") == 0 && i > lo &&
	       in_list(road_routes, COUNT(road_routes), tk->t[i - 1].s);
}

/* A suffix that is surely the end of the street: abbreviated ("ST"), or
 * one of the common ones written out ("STREET"). "LAKE" or "SHORE" may be
 * part of the name ("Lake Shore Dr") or of the city ("Lake Jackson"). */
static int is_strong_suffix(const char *w)
{
	const usps_suffix *sfx = usps_suffix_find(w);
	return sfx && (strcmp(sfx->name, w) != 0 ||
	               in_list(strong_suffixes, COUNT(strong_suffixes), w));
}

/* A designator that may stand alone at the end of a street line. KEY and
 * TRAILER are also street suffixes ("Ocean Key"), so they need a number. */
static int is_lone_unit(const char *w)
{
	return strcmp(w, "#") != 0 && unit_lookup(w) && !is_suffix(w);
}

/* Whether tokens [a, b) are a whole unit: "Apt 4", "#4", "Apt # 4",
 * "Rear": a segment of its own that belongs to the street line. */
static int is_unit_run(const tokens *tk, int a, int b)
{
	int n = b - a;
	if (n == 1)
		return is_lone_unit(tk->t[a].s);
	if (n == 3 && strcmp(tk->t[a + 1].s, "#") != 0)
		return 0;
	return (n == 2 || n == 3) && unit_lookup(tk->t[a].s) &&
	       is_unit_number(tk->t[b - 1].s);
}

/* The state whose name or code ends at token end-1, starting at lo or
 * later, within one segment: its code, and *start its first token. */
static const char *state_at(const tokens *tk, int lo, int end, int *start)
{
	for (int k = STATE_WORDS_MAX; k >= 1; k--) {
		int a = end - k;
		char buf[STATE_NAME_MAX];
		if (a < lo || tk->t[a].seg != tk->t[end - 1].seg)
			continue;
		if (!join(tk, a, end, buf, sizeof(buf)))
			continue;
		const char *code = state_lookup(buf);
		if (code) {
			*start = a;
			return code;
		}
	}
	return NULL;
}

/* A two-letter word where a state belongs that is no state: not a
 * directional, designator or suffix either ("Main Ln 78701"). */
static int looks_like_state(const char *w)
{
	return strlen(w) == 2 && all_letters(w) && !dir_lookup(w) &&
	       !unit_lookup(w) && !is_suffix(w);
}

/* ZIP5, ZIP+4 as 12345-6789 or 123456789, into zip5 and zip4. */
static int zip_parse(const char *s, char zip5[6], char zip4[5])
{
	size_t n = strlen(s);
	if (n == 5 && all_digits(s, 5)) {
		memcpy(zip5, s, 6);
		zip4[0] = '\0';
		return 1;
	}
	char d[10];
	if (n == 10 && s[5] == '-') {
		memcpy(d, s, 5);
		memcpy(d + 5, s + 6, 5);
	} else if (n == 9) {
		memcpy(d, s, 10);
	} else {
		return 0;
	}
	if (!all_digits(d, 9))
		return 0;
	memcpy(zip5, d, 5);
	zip5[5] = '\0';
	memcpy(zip4, d + 5, 4);
	zip4[4] = '\0';
	return 1;
}

/* ---- The street line ----------------------------------------------------- */

static address_status fail(address *out, char *why, size_t why_size,
                           address_status st, const char *msg)
{
	memset(out, 0, sizeof(*out));
	if (why && why_size)
		snprintf(why, why_size, "%s", msg);
	return st;
}

#define FAIL(st, msg) fail(out, why, why_size, st, msg)

/* Appends s to buf (a field of cap bytes) after a space when not first. */
static int field_add(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	size_t len = strlen(s);
	if (n + (n > 0) + len + 1 > cap)
		return 0;
	if (n > 0)
		buf[n++] = ' ';
	memcpy(buf + n, s, len + 1);
	return 1;
}

/* Takes a unit off the end of tokens [s, *e): a designator and its number
 * ("Apt 4", "# 4", "Apt # 4") or a designator that stands alone ("Rear"),
 * leaving at least one token. */
static int take_unit(const tokens *tk, int s, int *e, const char **type,
                     const char **num)
{
	const token *t = tk->t;
	int end = *e;
	if (end - s >= 2 && unit_lookup(t[end - 2].s) &&
	    is_unit_number(t[end - 1].s)) {
		*type = unit_lookup(t[end - 2].s);
		*num = t[end - 1].s;
		end -= 2;
		if (strcmp(*type, "#") == 0 && end - 1 >= s &&
		    unit_lookup(t[end - 1].s) &&
		    strcmp(t[end - 1].s, "#") != 0) {
			*type = unit_lookup(t[end - 1].s);
			end--;
		}
	} else if (end - s >= 2 && is_lone_unit(t[end - 1].s)) {
		*type = unit_lookup(t[end - 1].s);
		*num = NULL;
		end--;
	} else {
		return 0;
	}
	*e = end;
	return 1;
}

/* Reads the street line, tokens [a, b): number, directionals, name,
 * suffix, unit, into out. */
static address_status parse_street(const tokens *tk, int a, int b, address *out,
                                   char *why, size_t why_size)
{
	const token *t = tk->t;
	if (a >= b || !is_house_number(t[a].s))
		return FAIL(ADDRESS_ENUMBER, "address: missing house number");
	if (!field_add(out->number, sizeof(out->number), t[a].s))
		return FAIL(ADDRESS_ETOOLONG,
		            "address: house number longer than 15 bytes");
	int s = a + 1, e = b;
	if (s < e && is_fraction(t[s].s)) {
		if (!field_add(out->number, sizeof(out->number), t[s].s))
			return FAIL(ADDRESS_ETOOLONG, "address: house number "
			                              "longer than 15 bytes");
		s++;
	}

	/* Unit. "RM 2222" alone is Ranch-to-Market Road 2222, not a room.
	 * An outer unit before it ("Bldg 2 Apt 4") is kept in front: type
	 * BLDG, number "2 APT 4", so the line and the key keep both. */
	const char *unit_type = NULL, *unit = NULL;
	const char *inner_type = NULL, *inner = NULL;
	int route_only =
	    e - s == 2 && is_route_word(tk, s, s) && has_digit(t[s + 1].s);
	if (!route_only && take_unit(tk, s, &e, &unit_type, &unit)) {
		if (e - s >= 3) {
			inner_type = unit_type;
			inner = unit;
			if (!take_unit(tk, s, &e, &unit_type, &unit)) {
				unit_type = inner_type;
				unit = inner;
				inner_type = inner = NULL;
			}
		}
	} else if (e - s >= 3 && is_unit_number(t[e - 1].s) &&
	           has_digit(t[e - 1].s) && is_suffix(t[e - 2].s) &&
	           !is_route_word(tk, e - 2, s)) {
		unit_type = "#";
		unit = t[e - 1].s;
		e--;
	}

	const char *dir;
	if (e - s >= 3 && (dir = dir_compound(t[e - 2].s, t[e - 1].s))) {
		memcpy(out->postdir, dir, 3);
		e -= 2;
	} else if (e - s >= 2 && (dir = dir_lookup(t[e - 1].s))) {
		memcpy(out->postdir, dir, strlen(dir) + 1);
		e--;
	}

	int route =
	    e - s >= 2 && has_digit(t[e - 1].s) && is_route_word(tk, e - 2, s);
	const usps_suffix *sfx;
	if (!route && e - s >= 2 && (sfx = usps_suffix_find(t[e - 1].s))) {
		memcpy(out->suffix, sfx->abbr, strlen(sfx->abbr) + 1);
		e--;
	}

	if (e - s >= 3 && (dir = dir_compound(t[s].s, t[s + 1].s))) {
		memcpy(out->predir, dir, 3);
		s += 2;
	} else if (e - s >= 2 && (dir = dir_lookup(t[s].s))) {
		memcpy(out->predir, dir, strlen(dir) + 1);
		s++;
	}

	if (s >= e)
		return FAIL(ADDRESS_ESTREET, "address: missing street name");
	for (int i = s; i < e; i++) {
		const char *w = t[i].s;
		/* Route words are written out: HWY 71 -> HIGHWAY 71. */
		if (route && i == e - 2 && (sfx = usps_suffix_find(w)))
			w = sfx->name;
		if (!field_add(out->street, sizeof(out->street), w))
			return FAIL(
			    ADDRESS_ETOOLONG,
			    "address: street name longer than 64 bytes");
	}
	if (unit_type)
		memcpy(out->unit_type, unit_type, strlen(unit_type) + 1);
	const char *unit_parts[] = {unit, inner_type, inner};
	for (size_t i = 0; i < COUNT(unit_parts); i++)
		if (unit_parts[i] &&
		    !field_add(out->unit, sizeof(out->unit), unit_parts[i]))
			return FAIL(
			    ADDRESS_ETOOLONG,
			    "address: unit number longer than 15 bytes");
	return ADDRESS_OK;
}

/* Where the street ends in tokens [a, b) that hold the street and the city
 * with no comma between: after the first suffix that surely ends it, with
 * the postdir and unit that follow; b when no suffix is found. */
static int street_end(const tokens *tk, int a, int b)
{
	const token *t = tk->t;
	int name = a + 1;
	if (name < b && is_fraction(t[name].s))
		name++;
	int end = -1, route = 0;
	for (int p = name; p < b && end < 0; p++) {
		if (p + 1 < b && has_digit(t[p + 1].s) &&
		    is_route_word(tk, p, name)) {
			end = p + 2;
			route = 1;
		} else if (p > name && is_suffix(t[p].s) &&
		           (p + 1 == b || is_strong_suffix(t[p].s) ||
		            !is_suffix(t[p + 1].s))) {
			end = p + 1;
		}
	}
	if (end < 0)
		return b;
	if (end + 1 < b && dir_compound(t[end].s, t[end + 1].s))
		end += 2;
	else if (end < b && dir_lookup(t[end].s))
		end++;
	if (end < b && !route && !unit_lookup(t[end].s) &&
	    has_digit(t[end].s) && is_unit_number(t[end].s))
		return end + 1;
	/* At most two units, as parse_street() reads them. */
	for (int k = 0; k < 2 && end < b && unit_lookup(t[end].s); k++) {
		int j = end + 1;
		if (j < b && strcmp(t[end].s, "#") != 0 &&
		    strcmp(t[j].s, "#") == 0)
			j++;
		if (j < b && is_unit_number(t[j].s))
			end = j + 1;
		else if (is_lone_unit(t[end].s))
			end++;
		else
			break;
	}
	return end;
}

/* ---- Results ----------------------------------------------------------- */

static void lower_into(char *dst, size_t cap, size_t *n, const char *s)
{
	for (; *s && *n + 1 < cap; s++)
		dst[(*n)++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s;
	dst[*n] = '\0';
}

/* The one-line form and the dedupe key from the fields. The sizes are
 * checked at compile time, so neither can be cut short. */
static void address_finish(address *a)
{
	char street[ADDRESS_LINE_SIZE] = "";
	const char *parts[] = {a->number,  a->predir,    a->street, a->suffix,
	                       a->postdir, a->unit_type, a->unit};
	for (size_t i = 0; i < COUNT(parts); i++)
		if (parts[i][0])
			field_add(street, sizeof(street), parts[i]);

	char zip[11] = "";
	if (a->zip5[0])
		snprintf(zip, sizeof(zip), "%s%s%s", a->zip5,
		         a->zip4[0] ? "-" : "", a->zip4);
	char tail[16] = "";
	snprintf(tail, sizeof(tail), "%s%s%s", a->state,
	         a->state[0] && zip[0] ? " " : "", zip);

	size_t n = (size_t)snprintf(a->line, sizeof(a->line), "%s", street);
	if (a->city[0])
		n += (size_t)snprintf(a->line + n, sizeof(a->line) - n, ", %s",
		                      a->city);
	if (tail[0])
		snprintf(a->line + n, sizeof(a->line) - n, ", %s", tail);

	const char *unit_id = a->unit[0] ? a->unit : a->unit_type;
	const char *fields[] = {a->number, a->predir,  a->street,
	                        a->suffix, a->postdir, unit_id};
	size_t k = 0;
	for (size_t i = 0; i < COUNT(fields); i++) {
		lower_into(a->key, sizeof(a->key), &k, fields[i]);
		lower_into(a->key, sizeof(a->key), &k, "|");
	}
	if (a->zip5[0]) {
		lower_into(a->key, sizeof(a->key), &k, a->zip5);
	} else {
		lower_into(a->key, sizeof(a->key), &k, a->city);
		lower_into(a->key, sizeof(a->key), &k, ",");
		lower_into(a->key, sizeof(a->key), &k, a->state);
	}
}

static address_status input_fail(address *out, char *why, size_t why_size,
                                 input_check c)
{
	switch (c) {
	case INPUT_TOO_LONG:
		return FAIL(ADDRESS_EINPUT,
		            "address: input longer than 512 bytes");
	case INPUT_CONTROL:
		return FAIL(ADDRESS_EINPUT,
		            "address: control character in input");
	default:
		return FAIL(ADDRESS_EINPUT, "address: invalid UTF-8 in input");
	}
}

static address_status set_city(const tokens *tk, int a, int b, address *out,
                               char *why, size_t why_size)
{
	if (!join(tk, a, b, out->city, sizeof(out->city)))
		return FAIL(ADDRESS_ETOOLONG,
		            "address: city longer than 48 bytes");
	return ADDRESS_OK;
}

static address_status unknown_state(address *out, char *why, size_t why_size,
                                    const char *what)
{
	char msg[ADDRESS_WHY_SIZE];
	snprintf(msg, sizeof(msg), "address: unknown state \"%.40s\"", what);
	return FAIL(ADDRESS_ESTATE, msg);
}

static address_status check_place(address *out, char *why, size_t why_size)
{
	if (!out->zip5[0] && !(out->city[0] && out->state[0]))
		return FAIL(ADDRESS_EPLACE, "address: missing city or ZIP");
	address_finish(out);
	if (why && why_size)
		why[0] = '\0';
	return ADDRESS_OK;
}

/* ---- Free text ------------------------------------------------------------
 */

/* The first token after the street segments: the first segment, and the
 * ones after it that are only a unit ("123 Main St, Apt 4, Austin"). */
static int street_segments_end(const tokens *tk, int n)
{
	int i = 0;
	while (i < n && tk->t[i].seg == tk->t[0].seg)
		i++;
	while (i < n) {
		int j = i;
		while (j < n && tk->t[j].seg == tk->t[i].seg)
			j++;
		if (!is_unit_run(tk, i, j))
			break;
		i = j;
	}
	return i;
}

/* Tokens that end the text with a country ("..., TX 78701, USA"): how
 * many, or 0. Only after a ZIP or a state or on their own segment, so
 * that "US 290" keeps its US. */
static int country_tail(const tokens *tk, int n)
{
	for (int k = 4; k >= 1; k--) {
		char buf[STATE_NAME_MAX];
		int a = n - k, st;
		if (a < 1 || !join(tk, a, n, buf, sizeof(buf)) ||
		    !in_list(countries, COUNT(countries), buf))
			continue;
		if (tk->t[a].seg != tk->t[a - 1].seg ||
		    has_digit(tk->t[a - 1].s) || state_at(tk, 0, a, &st))
			return k;
	}
	return 0;
}

address_status address_parse_text(const char *text, address *out, char *why,
                                  size_t why_size)
{
	tokens tk;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	input_check c = check_input(text ? text : "", &len);
	if (c != INPUT_OK)
		return input_fail(out, why, why_size, c);
	tokens_init(&tk);
	tokenize(&tk, text ? text : "", len);
	int n = tk.n;
	n -= country_tail(&tk, n);
	if (n <= 0)
		return FAIL(ADDRESS_EINPUT, "address: empty input");
	const token *t = tk.t;

	/* ZIP: the last token, when it has the shape of one or sits where
	 * one belongs (after a state, or first after a comma). */
	int zip_start = n, zip_bad = 0, st;
	if (n >= 3 && all_digits(t[n - 1].s, 4) && all_digits(t[n - 2].s, 5) &&
	    t[n - 1].seg == t[n - 2].seg) {
		memcpy(out->zip5, t[n - 2].s, 6);
		memcpy(out->zip4, t[n - 1].s, 5);
		zip_start = n - 2;
	} else if (n >= 2 && has_digit(t[n - 1].s)) {
		const char *z = t[n - 1].s;
		size_t digits = 0;
		int numeric = 1;
		for (const char *p = z; *p; p++) {
			digits += is_digit(*p);
			numeric &= is_digit(*p) || *p == '-';
		}
		if ((numeric && digits >= 5) || state_at(&tk, 2, n - 1, &st) ||
		    t[n - 1].seg != t[n - 2].seg) {
			zip_start = n - 1;
			zip_bad = !zip_parse(z, out->zip5, out->zip4);
		}
	}

	/* State: a name or code right before the ZIP, after at least a
	 * number and a street word. */
	int state_start = zip_start;
	const char *code = state_at(&tk, 2, zip_start, &state_start);
	if (!code)
		state_start = zip_start;
	int streets = street_segments_end(&tk, n);

	int city_a, city_b, street_b;
	for (;;) {
		if (streets < state_start) {
			street_b = streets;
		} else {
			street_b = street_end(&tk, 0, state_start);
		}
		city_a = street_b;
		city_b = state_start;
		/* "123 Oak Ct 78701": CT is the street's suffix, not
		 * Connecticut, when no city stands between them. */
		if (code && city_a == city_b && state_start + 1 == zip_start &&
		    (is_suffix(t[state_start].s) ||
		     unit_lookup(t[state_start].s) ||
		     dir_lookup(t[state_start].s)) &&
		    t[state_start].seg == t[state_start - 1].seg) {
			code = NULL;
			state_start = zip_start;
			continue;
		}
		break;
	}

	address_status r = parse_street(&tk, 0, street_b, out, why, why_size);
	if (r != ADDRESS_OK)
		return r;

	/* Where a state belongs, but none: a two-letter word before the
	 * ZIP, or words in a segment of their own after the city's that are
	 * not (only) a state ("Austin, New Texas 78701"). */
	int last = zip_start;
	while (last > 0 && t[last - 1].seg == t[zip_start - 1].seg)
		last--;
	if (!code && zip_start < n && zip_start - 1 >= 2 &&
	    looks_like_state(t[zip_start - 1].s))
		return unknown_state(out, why, why_size, t[zip_start - 1].s);
	if ((!code || state_start != last) && last > streets &&
	    last < zip_start && t[last].seg != t[streets].seg) {
		char buf[ADDRESS_WHY_SIZE];
		int all_alpha = 1;
		for (int i = last; i < zip_start; i++)
			all_alpha &= all_letters(t[i].s);
		if (all_alpha && join(&tk, last, zip_start, buf, sizeof(buf)))
			return unknown_state(out, why, why_size, buf);
	}
	if (zip_bad)
		return FAIL(ADDRESS_EZIP,
		            "address: ZIP must be 5 digits or ZIP+4");
	if (code)
		memcpy(out->state, code, 3);
	r = set_city(&tk, city_a, city_b, out, why, why_size);
	if (r != ADDRESS_OK)
		return r;
	return check_place(out, why, why_size);
}

/* ---- Form fields ----------------------------------------------------------
 */

address_status address_parse_parts(const address_parts *parts, address *out,
                                   char *why, size_t why_size)
{
	static const address_parts none;
	const char *fields[6];
	size_t lens[6];
	tokens tk;

	memset(out, 0, sizeof(*out));
	if (!parts)
		parts = &none;
	fields[0] = parts->number;
	fields[1] = parts->street;
	fields[2] = parts->unit;
	fields[3] = parts->city;
	fields[4] = parts->state;
	fields[5] = parts->zip;
	for (int i = 0; i < 6; i++) {
		if (!fields[i])
			fields[i] = "";
		input_check c = check_input(fields[i], &lens[i]);
		if (c != INPUT_OK)
			return input_fail(out, why, why_size, c);
	}
	if (lens[0] + lens[1] + lens[2] + 2 > ADDRESS_INPUT_MAX)
		return FAIL(ADDRESS_EINPUT,
		            "address: input longer than 512 bytes");

	/* The street line: number, street and unit, a bare unit number
	 * getting the designator "#" as Pub 28 writes an unknown one. */
	tokens_init(&tk);
	tokenize(&tk, fields[0], lens[0]);
	tokenize(&tk, fields[1], lens[1]);
	int u = tk.n;
	tokenize(&tk, fields[2], lens[2]);
	if (tk.n > u && !unit_lookup(tk.t[u].s) && tk.n < TOKENS_MAX) {
		memmove(&tk.t[u + 1], &tk.t[u],
		        (size_t)(tk.n - u) * sizeof(tk.t[0]));
		tk.t[u].s = "#";
		tk.n++;
	}
	if (tk.n == 0 && !lens[3] && !lens[4] && !lens[5])
		return FAIL(ADDRESS_EINPUT, "address: empty input");
	address_status r = parse_street(&tk, 0, tk.n, out, why, why_size);
	if (r != ADDRESS_OK)
		return r;

	tokens_init(&tk);
	tokenize(&tk, fields[4], lens[4]);
	if (tk.n > 0) {
		char buf[ADDRESS_WHY_SIZE];
		const char *code = NULL;
		if (join(&tk, 0, tk.n, buf, sizeof(buf)))
			code = state_lookup(buf);
		if (!code)
			return unknown_state(out, why, why_size, buf);
		memcpy(out->state, code, 3);
	}

	tokens_init(&tk);
	tokenize(&tk, fields[5], lens[5]);
	if (tk.n == 2 && all_digits(tk.t[0].s, 5) && all_digits(tk.t[1].s, 4)) {
		memcpy(out->zip5, tk.t[0].s, 6);
		memcpy(out->zip4, tk.t[1].s, 5);
	} else if (tk.n > 0 &&
	           (tk.n > 1 || !zip_parse(tk.t[0].s, out->zip5, out->zip4))) {
		return FAIL(ADDRESS_EZIP,
		            "address: ZIP must be 5 digits or ZIP+4");
	}

	tokens_init(&tk);
	tokenize(&tk, fields[3], lens[3]);
	r = set_city(&tk, 0, tk.n, out, why, why_size);
	if (r != ADDRESS_OK)
		return r;
	return check_place(out, why, why_size);
}

/* ---- Lookups --------------------------------------------------------------
 */

/* Upper-cases word into buf (cap bytes); 0 if it does not fit. */
static int upper_copy(const char *word, char *buf, size_t cap)
{
	size_t n = 0;
	for (; word && *word; word++) {
		if (n + 1 >= cap)
			return 0;
		char ch = *word;
		buf[n++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
	}
	buf[n] = '\0';
	return n > 0;
}

const char *address_state_code(const char *name)
{
	tokens tk;
	size_t len;
	char buf[STATE_NAME_MAX];
	if (!name || check_input(name, &len) != INPUT_OK)
		return NULL;
	tokens_init(&tk);
	tokenize(&tk, name, len);
	if (tk.n == 0 || !join(&tk, 0, tk.n, buf, sizeof(buf)))
		return NULL;
	return state_lookup(buf);
}

const char *address_suffix_abbr(const char *word)
{
	char buf[16];
	if (!upper_copy(word, buf, sizeof(buf)))
		return NULL;
	const usps_suffix *sfx = usps_suffix_find(buf);
	return sfx ? sfx->abbr : NULL;
}

const char *address_unit_abbr(const char *word)
{
	char buf[16];
	if (!upper_copy(word, buf, sizeof(buf)))
		return NULL;
	return unit_lookup(buf);
}
