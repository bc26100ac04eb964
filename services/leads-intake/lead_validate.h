/*
 * lead_validate.h: what a seller lead form may send, checked and
 * normalized before anything is stored. The public form may send only the
 * fields of a lead: any other field is refused by name. Every problem is
 * reported, not just the first, so a form can mark all its fields at once;
 * each message starts with the field it is about. Pure (the phone
 * normalizer is libmesh's, itself pure).
 *
 * Fields (all strings may be sent with surrounding blanks; "" counts as
 * absent, since forms send empty inputs):
 *   name          required, 1-LEAD_NAME_MAX characters, one line
 *   phone, email  at least one; phone -> E.164 (US), email -> lower case
 *   address       free text, or the parts street, unit, city, state, zip:
 *                 one form or the other is required; parsed by the address
 *                 service, which names what it cannot read
 *   beds          integer 0-50          baths      0-50 in steps of 0.5
 *   sqft          integer 100-100000    year_built integer 1700-2100
 *   condition     integer 1 (needs everything) - 5 (move-in ready)
 *   timeline      asap, 30_days, 90_days, 6_months, 12_months, flexible
 *   property_type single_family, multi_family, condo, townhouse, mobile,
 *                 land, other
 *   occupancy     owner, tenant, vacant
 *   asking_price, amount_owed   dollars 0-LEAD_PRICE_MAX (amount_owed
 *                 lets lead-score weigh equity)
 *   motivation, notes   text up to LEAD_TEXT_MAX characters
 *   source        where the lead came from, up to LEAD_SOURCE_MAX chars
 *   customer_id   the investor whose form this is (quota, routing):
 *                 [A-Za-z0-9_-]{1,64}
 *   sms_consent   boolean: the seller agreed to text messages
 * Numbers may come as JSON numbers or as numeric strings ("3").
 * "_meta" (added by the gateway) is allowed and not copied.
 */
#ifndef LEAD_VALIDATE_H
#define LEAD_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#define LEAD_NAME_MAX        200  /* characters */
#define LEAD_TEXT_MAX        2000 /* characters of motivation, notes */
#define LEAD_SOURCE_MAX      100  /* characters */
#define LEAD_ADDRESS_MAX     512  /* bytes of the text or of one part */
#define LEAD_CUSTOMER_ID_MAX 64
#define LEAD_PRICE_MAX       1000000000.0
/* RFC 5321: 254 for the whole address, 64 for the part before '@'. */
#define LEAD_EMAIL_MAX       254
#define LEAD_EMAIL_LOCAL_MAX 64
/* Stripe's limit for the same header. */
#define LEAD_IDEMPOTENCY_KEY_MAX 255
/* Room for every message of a form that gets everything wrong. */
#define LEAD_WHY_SIZE 2048

/*
 * Checks args (borrowed) and builds *lead (the normalized fields, without
 * the address) and *address (the arguments for address.normalize: "text",
 * or "street", "unit", "city", "state", "zip"). Both new references, owned
 * by the caller. 0, or -1 with both NULL and why holding every problem,
 * joined by "; ".
 */
int lead_validate(json_t *args, json_t **lead, json_t **address, char *why,
                  size_t why_size);

/* Trims, lower-cases and checks an email address into out (out_size >=
 * LEAD_EMAIL_MAX + 1). 0, or -1 with why ("email: ..."). */
int lead_email_normalize(const char *in, char *out, size_t out_size, char *why,
                         size_t why_size);

/* The Idempotency-Key the gateway put in args._meta.idempotency_key.
 * 0 with *key NULL when there is none, 0 with *key set (borrowed from
 * args), or -1 with why when it is not 1-255 printable ASCII characters. */
int lead_idempotency_key(json_t *args, const char **key, char *why,
                         size_t why_size);

#endif
