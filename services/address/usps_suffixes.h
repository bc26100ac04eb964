/*
 * usps_suffixes.h: USPS Publication 28, Appendix C1, street suffix
 * abbreviations: every primary street suffix name, the spellings the Postal
 * Service recognizes for it, and its standard abbreviation. Pure data.
 */
#ifndef ADDRESS_USPS_SUFFIXES_H
#define ADDRESS_USPS_SUFFIXES_H

#include <stddef.h>

typedef struct usps_suffix {
	const char *name;      /* primary street suffix name: "AVENUE" */
	const char *abbr;      /* Postal Service standard: "AVE" */
	const char *spellings; /* space-separated, upper case, name included */
} usps_suffix;

/* The table in Appendix C1 order; static storage, never freed. */
extern const usps_suffix usps_suffix_table[];
extern const size_t usps_suffix_table_len;

/*
 * The entry a spelling belongs to, or NULL. word is upper case and
 * NUL-terminated, borrowed. A standard abbreviation always maps to its own
 * entry: Pub 28 lists "MDW" as a spelling of MEADOWS, but MDW is the
 * standard abbreviation of MEADOW, and the standard wins.
 */
const usps_suffix *usps_suffix_find(const char *word);

#endif
