/*
 * slack_render.h: the six Slack message templates, rendered from JSON data
 * into an incoming-webhook payload {"text": ..., "blocks": [...]}.
 *
 * "text" is the fallback Slack shows in notifications; "blocks" is what the
 * channel shows: a headline section, a section of fields, and a context
 * line. Every value taken from data is escaped for Slack mrkdwn (& < >), so
 * a lead named "<!channel>" is shown as written and pings no one.
 *
 * Pure: no I/O, no globals. data is borrowed.
 */
#ifndef SLACK_RENDER_H
#define SLACK_RENDER_H

#include <jansson.h>
#include <stddef.h>

/* A value from data longer than this many bytes is cut at a UTF-8 boundary
 * and ends with "...": Slack refuses a field over 2000 characters and a
 * section text over 3000, and a message is read at a glance. */
#define SLACK_VALUE_MAX_BYTES 300
/* Largest dollar amount shown (data beyond it is refused as out of range):
 * keeps the cents of a double exact and the text readable. */
#define SLACK_MONEY_MAX_DOLLARS 1e12

/* 1 when name is a template: new_lead, hot_lead, payment, alert,
 * offer_graded, daily_digest. */
int slack_template_known(const char *name);

/* s escaped for Slack mrkdwn (& -> &amp;, < -> &lt;, > -> &gt;), its input
 * cut to SLACK_VALUE_MAX_BYTES first. Caller frees; NULL when out of
 * memory. */
char *slack_escape(const char *s);

/* "$1,234" or, with cents, "$1,234.50" ("-$..." below zero) into out.
 * 0, or -1 when the amount is not finite, beyond SLACK_MONEY_MAX_DOLLARS, or
 * out is too small. */
int slack_format_money(double dollars, int with_cents, char *out, size_t cap);

/* Renders template tmpl with data (an object). Returns a new
 * {"text", "blocks"} object, or NULL with err naming the unknown template
 * or the missing/mistyped field ("data.name: required by new_lead"). */
json_t *slack_render(const char *tmpl, const json_t *data, char *err,
                     size_t err_len);

#endif
