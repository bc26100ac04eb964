/*
 * address_parse.h: US street addresses to USPS Publication 28 form. Pure:
 * no I/O, no allocation, no global state. Every result lives in fixed
 * buffers of the caller's struct address, whose limits are below.
 *
 * Output is upper case. Punctuation goes Pub 28 style: periods and
 * apostrophes are dropped ("N." -> N, "D.C." -> DC, "O'Hara" -> OHARA),
 * commas, semicolons and line breaks separate parts of the address, '#'
 * is a unit designator, and hyphens and the slash of a fraction stay.
 *
 * How the street line is read, from the right:
 *   unit       the last designator of Appendix C2 with its number ("APT 4",
 *              "Suite 200" -> STE 200, "#4" -> # 4, "Apt #4" -> APT 4), or
 *              one that takes no number (REAR, PH, BSMT...); a bare number
 *              right after a suffix ("Main St 4B") is a unit with
 *              designator "#", as Pub 28 writes a unit of unknown kind;
 *   postdir    a directional, full or abbreviated, one word or two ("North
 *              East" -> NE), when a street name remains before it;
 *   suffix     any spelling of Appendix C1 -> its standard abbreviation,
 *              when a street name remains before it;
 *   predir     a leading directional, when a street name remains after it.
 * So a directional or suffix word that is the whole street name stays the
 * name, as written: "100 North Ave" is NORTH + AVE, "300 E Street" is E + ST,
 * "1 Avenue of the Americas" has no suffix, "100 Park" is PARK.
 * Route-style names keep their number and lose no suffix: "Hwy 71" ->
 * street HIGHWAY 71, "County Rd 12" -> COUNTY ROAD 12, "Loop 360",
 * "FM 1431", "RR 620", "US 290", "I 35".
 *
 * After the street come city, state and ZIP. State is a two-letter code or
 * a full name (50 states, DC, PR and the other territories), any case. The
 * split between street and city follows the commas when there are any;
 * without them the street ends at its first abbreviated or common suffix
 * (with its postdir and unit), which is a guess: "100 Oak Hollow Lake
 * Jackson TX" needs its comma after "Hollow". A result needs a city and a
 * state, or a ZIP.
 *
 * Not handled: PO boxes, rural routes, military (APO/FPO) addresses, and
 * grid house numbers that start with a letter (Wisconsin "N123W456").
 * Two units ("Bldg 2 Apt 4") are kept in their order: unit_type BLDG, unit
 * "2 APT 4"; a third is read as part of the street name.
 */
#ifndef ADDRESS_PARSE_H
#define ADDRESS_PARSE_H

#include <stddef.h>

/* Longest text, and longest single part, accepted, in bytes, NUL excluded:
 * twice the longest real address, small enough to parse on the stack. */
#define ADDRESS_INPUT_MAX 512

/* Field limits, in bytes, NUL excluded. A longer field is an error, never
 * truncated: a truncated street would give a wrong dedupe key. */
#define ADDRESS_NUMBER_MAX 15 /* "123 1/2", "12B", "4500-4510" */
#define ADDRESS_STREET_MAX 64 /* longest USPS street names are ~40 */
#define ADDRESS_UNIT_MAX   15 /* the number of the unit: "4B", "200" */
#define ADDRESS_CITY_MAX   48 /* longest USPS city names are 28 */

/* Enough for every field above with its separators; checked at compile
 * time in address_parse.c. */
#define ADDRESS_LINE_SIZE 256
/* Recommended size of the caller's error buffer: every message fits. */
#define ADDRESS_WHY_SIZE 128

typedef enum address_status {
	ADDRESS_OK = 0,
	ADDRESS_EINPUT,   /* empty, too long, control character, bad UTF-8 */
	ADDRESS_ENUMBER,  /* missing house number */
	ADDRESS_ESTREET,  /* missing street name */
	ADDRESS_ESTATE,   /* unknown state */
	ADDRESS_EZIP,     /* ZIP is not 5 digits or ZIP+4 */
	ADDRESS_EPLACE,   /* neither city and state nor ZIP */
	ADDRESS_ETOOLONG, /* a field longer than its limit */
} address_status;

/* A normalized address. Every field is a NUL-terminated string, "" when
 * absent. The struct owns its buffers; nothing points outside it. */
typedef struct address {
	char number[ADDRESS_NUMBER_MAX + 1];
	char predir[3]; /* N S E W NE NW SE SW */
	char street[ADDRESS_STREET_MAX + 1];
	char suffix[5]; /* standard abbreviation of Appendix C1: "AVE" */
	char postdir[3];
	char unit_type[5]; /* Appendix C2 abbreviation or "#" */
	char unit[ADDRESS_UNIT_MAX + 1];
	char city[ADDRESS_CITY_MAX + 1];
	char state[3];
	char zip5[6];
	char zip4[5];
	/* "123 N MAIN ST APT 4, AUSTIN, TX 78701-1234": the parts present,
	 * joined by ", " (street line, city, "STATE ZIP"). */
	char line[ADDRESS_LINE_SIZE];
	/* The dedupe key, lower case: number|predir|street|suffix|postdir|
	 * unit|place, where unit is the unit number without its designator
	 * (APT 4 and # 4 are one door) and place is the ZIP5, or "city,st"
	 * when there is no ZIP. Identical for every spelling of one address
	 * that this parser reads to the same fields. */
	char key[ADDRESS_LINE_SIZE];
} address;

/* An address given as form fields. Every member may be NULL or "" and is
 * borrowed. number may be left out when street starts with it. unit may be
 * "Apt 4", "#4" or just "4" (then designator "#"). */
typedef struct address_parts {
	const char *number;
	const char *street;
	const char *unit;
	const char *city;
	const char *state;
	const char *zip;
} address_parts;

/*
 * Parses free text ("123 n. main street apt 4, austin, texas 78701-1234")
 * into *out. text is borrowed. On ADDRESS_OK every field of *out is set.
 * On error *out is cleared (all fields "") and, when why is not NULL, a
 * message naming what could not be parsed is written to why (why_size
 * bytes, NUL-terminated, truncated if short; ADDRESS_WHY_SIZE suffices),
 * e.g. "address: unknown state \"XX\"". On success why holds "".
 */
address_status address_parse_text(const char *text, address *out, char *why,
                                  size_t why_size);

/*
 * The same for form fields: parts and its strings are borrowed. The street
 * fields are read exactly as address_parse_text() reads a street line, so
 * the parts of an address and its text give the same struct. Each part is
 * checked like text (ADDRESS_INPUT_MAX, control characters, UTF-8).
 */
address_status address_parse_parts(const address_parts *parts, address *out,
                                   char *why, size_t why_size);

/* The two-letter code of a state or territory name or code, any case, or
 * NULL: "texas" -> "TX", "District of Columbia" -> "DC", "oh" -> "OH".
 * name is borrowed; the result is static. */
const char *address_state_code(const char *name);

/* The standard abbreviation of a street suffix spelling of Appendix C1,
 * any case, or NULL: "Avenue" -> "AVE", "strt" -> "ST". */
const char *address_suffix_abbr(const char *word);

/* The standard abbreviation of a secondary unit designator of Appendix C2,
 * any case, or NULL: "Suite" -> "STE", "#" -> "#". */
const char *address_unit_abbr(const char *word);

#endif
