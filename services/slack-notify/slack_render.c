#include "slack_render.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Escaped strings one rendering may hold at once (every template stays far
 * below it; past it rendering fails rather than leaks). */
#define RENDER_MAX_STRINGS 64

typedef struct sbuf {
	char *s;
	size_t len, cap;
	int oom;
} sbuf;

typedef struct render {
	const json_t *data;
	const char *tmpl;
	char *err;
	size_t err_len;
	int failed;
	sbuf head;      /* the headline, mrkdwn */
	sbuf text;      /* the fallback text after the headline */
	sbuf context;   /* the small print under the fields */
	json_t *fields; /* section fields */
	char *owned[RENDER_MAX_STRINGS];
	size_t n_owned;
} render;

static void sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		sb_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

static const char *const templates[] = {
    "new_lead", "hot_lead", "payment", "alert", "offer_graded", "daily_digest",
};

int slack_template_known(const char *name)
{
	for (size_t i = 0; name && i < sizeof templates / sizeof *templates;
	     i++)
		if (strcmp(name, templates[i]) == 0)
			return 1;
	return 0;
}

char *slack_escape(const char *s)
{
	size_t n = strlen(s);
	int cut = 0;

	if (n > SLACK_VALUE_MAX_BYTES) {
		n = SLACK_VALUE_MAX_BYTES;
		/* Back up to the first byte of a UTF-8 sequence so the cut
		 * never splits a character. */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		cut = 1;
	}
	char *out = malloc(n * 5 + 4);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		default:
			out[o++] = s[i];
			continue;
		}
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
	}
	if (cut) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

int slack_format_money(double dollars, int with_cents, char *out, size_t cap)
{
	char digits[32];
	int neg = dollars < 0;

	if (!isfinite(dollars) || fabs(dollars) > SLACK_MONEY_MAX_DOLLARS)
		return -1;
	long long cents = llround(fabs(dollars) * 100.0);
	if (!with_cents)
		cents = (cents + 50) / 100 * 100;
	long long whole = cents / 100;
	snprintf(digits, sizeof digits, "%lld", whole);

	size_t nd = strlen(digits), o = 0;
	/* sign, '$', digits, a comma per three digits, ".cc", NUL */
	if (cap < 2 + nd + nd / 3 + 3 + 1)
		return -1;
	if (neg && cents > 0)
		out[o++] = '-';
	out[o++] = '$';
	for (size_t i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	if (with_cents)
		o += (size_t)snprintf(out + o, cap - o, ".%02lld", cents % 100);
	out[o] = '\0';
	return 0;
}

static void fail(render *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(render *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	va_start(ap, fmt);
	vsnprintf(r->err, r->err_len, fmt, ap);
	va_end(ap);
}

/* Keeps s until the rendering ends; returns it. */
static const char *own(render *r, char *s)
{
	if (!s) {
		fail(r, "out of memory");
		return NULL;
	}
	if (r->n_owned == RENDER_MAX_STRINGS) {
		free(s);
		fail(r, "%s: too many values", r->tmpl);
		return NULL;
	}
	r->owned[r->n_owned++] = s;
	return s;
}

static const char *esc(render *r, const char *s)
{
	return s ? own(r, slack_escape(s)) : NULL;
}

/* data[key] as an escaped string; NULL when absent or null. Another type
 * fails the rendering. */
static const char *opt_str(render *r, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		fail(r, "data.%s: expected a string", key);
		return NULL;
	}
	if (json_string_length(v) == 0)
		return NULL;
	return esc(r, json_string_value(v));
}

/* Like opt_str, but an integer is accepted too (ids). */
static const char *opt_id(render *r, const char *key)
{
	json_t *v = json_object_get(r->data, key);
	char buf[32];

	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		return esc(r, buf);
	}
	return opt_str(r, r->data, key);
}

/* 1 and *out when data[key] is a number, 0 when absent or null. */
static int opt_num(render *r, const char *key, double *out)
{
	json_t *v = json_object_get(r->data, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v)) {
		fail(r, "data.%s: expected a number", key);
		return 0;
	}
	*out = json_number_value(v);
	if (!isfinite(*out)) {
		fail(r, "data.%s: expected a finite number", key);
		return 0;
	}
	return 1;
}

static void need(render *r, const char *what)
{
	fail(r, "data.%s: required by %s", what, r->tmpl);
}

static const char *number_text(render *r, double v)
{
	char buf[48];

	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, sizeof buf, "%.0f", v);
	else
		snprintf(buf, sizeof buf, "%.1f", v);
	return own(r, strdup(buf));
}

static const char *money_text(render *r, const char *key, double v,
                              int with_cents)
{
	char buf[64];

	if (slack_format_money(v, with_cents, buf, sizeof buf) != 0) {
		fail(r, "data.%s: out of range", key);
		return NULL;
	}
	return own(r, strdup(buf));
}

/* A section field "*Label*\nvalue" (value already escaped). */
static void field(render *r, const char *label, const char *value)
{
	if (!value || r->failed)
		return;
	sbuf b = {0};
	sb_printf(&b, "*%s*\n%s", label, value);
	if (b.oom || json_array_append_new(
	                 r->fields, json_pack("{s:s, s:s}", "type", "mrkdwn",
	                                      "text", b.s)) != 0)
		fail(r, "out of memory");
	free(b.s);
}

/* A field, and the same as a "Label: value" line of the fallback text. */
static void both(render *r, const char *label, const char *value)
{
	if (!value || r->failed)
		return;
	field(r, label, value);
	sb_printf(&r->text, "\n%s: %s", label, value);
}

static void context(render *r, const char *label, const char *value)
{
	if (!value)
		return;
	sb_printf(&r->context, "%s%s%s", r->context.len ? " | " : "", label,
	          value);
}

/* An address given as text, or as an object from the address service:
 * its one_line, else "street, city, ST zip" from the parts present. */
static const char *address_text(render *r, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v) || json_is_string(v))
		return opt_str(r, obj, key);
	if (!json_is_object(v)) {
		fail(r, "data.%s: expected a string or an object", key);
		return NULL;
	}
	const char *one = json_string_value(json_object_get(v, "one_line"));
	if (one)
		return esc(r, one);
	static const char *const parts[] = {"street", "line1", "city", "state",
	                                    "zip"};
	sbuf b = {0};
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		const char *p = json_string_value(json_object_get(v, parts[i]));
		if (!p || !*p)
			continue;
		const char *sep = !b.len                         ? ""
		                  : strcmp(parts[i], "zip") == 0 ? " "
		                                                 : ", ";
		sb_printf(&b, "%s%s", sep, p);
	}
	if (b.oom) {
		free(b.s);
		fail(r, "out of memory");
		return NULL;
	}
	const char *s = b.s ? esc(r, b.s) : NULL;
	free(b.s);
	return s;
}

/* "$312,000" or "$312,000 ($290,000 - $335,000)" from a number or an
 * object {value|estimate, low, high}. */
static const char *valuation_text(render *r)
{
	json_t *v = json_object_get(r->data, "valuation");
	double value, low, high;

	if (!v || json_is_null(v)) {
		if (opt_num(r, "estimated_value", &value))
			return money_text(r, "estimated_value", value, 0);
		return NULL;
	}
	if (json_is_number(v))
		return money_text(r, "valuation", json_number_value(v), 0);
	if (!json_is_object(v)) {
		fail(r, "data.valuation: expected a number or an object");
		return NULL;
	}
	json_t *val = json_object_get(v, "value");
	if (!val)
		val = json_object_get(v, "estimate");
	if (!json_is_number(val)) {
		fail(r, "data.valuation.value: expected a number");
		return NULL;
	}
	value = json_number_value(val);
	json_t *lo = json_object_get(v, "low"),
	       *hi = json_object_get(v, "high");
	char a[64], b[64], c[64], out[200];
	if (slack_format_money(value, 0, a, sizeof a) != 0) {
		fail(r, "data.valuation.value: out of range");
		return NULL;
	}
	if (json_is_number(lo) && json_is_number(hi)) {
		low = json_number_value(lo);
		high = json_number_value(hi);
		if (slack_format_money(low, 0, b, sizeof b) == 0 &&
		    slack_format_money(high, 0, c, sizeof c) == 0) {
			snprintf(out, sizeof out, "%s (%s - %s)", a, b, c);
			return own(r, strdup(out));
		}
	}
	return own(r, strdup(a));
}

/* "87 (hot)", "87" or "hot" from score and tier; NULL when neither. */
static const char *score_text(render *r)
{
	double score;
	int has = opt_num(r, "score", &score);
	const char *tier = opt_str(r, r->data, "tier");
	char buf[400];

	if (has && tier)
		snprintf(buf, sizeof buf, "%s (%s)", number_text(r, score),
		         tier);
	else if (has)
		snprintf(buf, sizeof buf, "%s", number_text(r, score));
	else if (tier)
		snprintf(buf, sizeof buf, "%s", tier);
	else
		return NULL;
	return r->failed ? NULL : own(r, strdup(buf));
}

/* A list of strings, or of objects naming themselves under one of keys,
 * joined with ", " (escaped). NULL when absent or empty. */
static const char *list_text(render *r, const char *key,
                             const char *const *keys)
{
	json_t *a = json_object_get(r->data, key), *e;
	size_t i;
	sbuf b = {0};

	if (!a || json_is_null(a))
		return NULL;
	if (!json_is_array(a)) {
		fail(r, "data.%s: expected an array", key);
		return NULL;
	}
	json_array_foreach(a, i, e)
	{
		const char *s = json_string_value(e);
		for (const char *const *k = keys; !s && json_is_object(e) && *k;
		     k++)
			s = json_string_value(json_object_get(e, *k));
		if (!s) {
			free(b.s);
			fail(r, "data.%s[%zu]: expected a string", key, i);
			return NULL;
		}
		sb_printf(&b, "%s%s", b.len ? ", " : "", s);
	}
	const char *out = b.s ? esc(r, b.s) : NULL;
	if (b.oom)
		fail(r, "out of memory");
	free(b.s);
	return out;
}

static void render_new_lead(render *r)
{
	const char *name = opt_str(r, r->data, "name");
	const char *phone = opt_str(r, r->data, "phone");
	const char *email = opt_str(r, r->data, "email");

	if (!name || (!phone && !email)) {
		need(r, !name ? "name" : "phone or data.email");
		return;
	}
	if (r->failed)
		return;
	sb_printf(&r->head, "*New Lead!*\n%s - %s", name,
	          phone ? phone : email);
	field(r, "Name", name);
	field(r, "Phone", phone);
	if (phone)
		both(r, "Email", email);
	else
		field(r, "Email", email);
	both(r, "Address", address_text(r, r->data, "address"));
	both(r, "Est. value", valuation_text(r));
	both(r, "Score", score_text(r));
	context(r, "Lead ", opt_id(r, "id"));
	context(r, "Source: ", opt_str(r, r->data, "source"));
	context(r, "Received ", opt_str(r, r->data, "created_at"));
}

static void render_hot_lead(render *r)
{
	static const char *const factor_keys[] = {"label", "name", "factor",
	                                          NULL};
	double score;
	const char *name = opt_str(r, r->data, "name");
	const char *id = opt_id(r, "lead_id");

	if (!id)
		id = opt_id(r, "id");
	if (!opt_num(r, "score", &score))
		need(r, "score");
	else if (!name && !id)
		need(r, "name or data.lead_id");
	if (r->failed)
		return;
	const char *who = name;
	if (!who) {
		char buf[400];
		snprintf(buf, sizeof buf, "Lead %s", id);
		who = own(r, strdup(buf));
	}
	sb_printf(&r->head, "*Hot Lead!* %s scored %s/100", who,
	          number_text(r, score));
	field(r, "Name", name);
	both(r, "Phone", opt_str(r, r->data, "phone"));
	both(r, "Score", score_text(r));
	both(r, "Address", address_text(r, r->data, "address"));
	both(r, "Why", list_text(r, "factors", factor_keys));
	context(r, "Lead ", id);
}

static void render_payment(render *r)
{
	static const char *const who_keys[] = {"customer_name", "customer",
	                                       "customer_email", "email"};
	const char *who = NULL, *amount = NULL, *currency;
	double v = 0;

	for (size_t i = 0; !who && i < sizeof who_keys / sizeof *who_keys; i++)
		who = opt_str(r, r->data, who_keys[i]);
	if (opt_num(r, "amount_cents", &v)) {
		v /= 100.0;
		amount = money_text(r, "amount_cents", v, 1);
	} else if (opt_num(r, "amount", &v)) {
		amount = money_text(r, "amount", v, 1);
	}
	if (!who || !amount) {
		need(r, !who ? "customer" : "amount");
		return;
	}
	currency = opt_str(r, r->data, "currency");
	if (r->failed)
		return;
	if (currency && strcasecmp(currency, "usd") != 0) {
		char buf[400];
		/* Not dollars: the number with its currency code. */
		snprintf(buf, sizeof buf, "%.2f %s", v, currency);
		amount = own(r, strdup(buf));
		if (!amount)
			return;
	}
	sb_printf(&r->head, "*Payment!* %s paid %s", who, amount);
	field(r, "Customer", who);
	field(r, "Amount", amount);
	both(r, "Plan", opt_str(r, r->data, "plan"));
	both(r, "For", opt_str(r, r->data, "description"));
	context(r, "Invoice ", opt_id(r, "invoice"));
}

static void render_alert(render *r)
{
	const char *msg = opt_str(r, r->data, "message");
	const char *title = opt_str(r, r->data, "title");
	const char *severity = opt_str(r, r->data, "severity");

	if (!msg)
		need(r, "message");
	if (r->failed)
		return;
	if (title)
		sb_printf(&r->head, "*Alert!* %s%s%s: %s", severity ? "[" : "",
		          severity ? severity : "", severity ? "] " : "",
		          title);
	else
		sb_printf(&r->head, "*Alert!*%s%s%s", severity ? " [" : "",
		          severity ? severity : "", severity ? "]" : "");
	sb_printf(&r->head, "\n%s", msg);
	field(r, "Severity", severity);
	both(r, "Service", opt_str(r, r->data, "service"));
	context(r, "Request ", opt_str(r, r->data, "request_id"));
}

static void render_offer_graded(render *r)
{
	static const char *const flag_keys[] = {"message", "flag", "name",
	                                        NULL};
	const char *letter = opt_str(r, r->data, "letter");
	double v;

	if (!letter)
		letter = opt_str(r, r->data, "grade");
	if (!letter)
		need(r, "letter");
	if (r->failed)
		return;
	const char *score = opt_num(r, "score", &v) ? number_text(r, v) : NULL;
	const char *where = address_text(r, r->data, "address");
	const char *offer =
	    opt_num(r, "offer", &v) ? money_text(r, "offer", v, 0) : NULL;
	const char *mao =
	    opt_num(r, "mao", &v) ? money_text(r, "mao", v, 0) : NULL;
	if (r->failed)
		return;
	sb_printf(&r->head, "*Offer graded %s*", letter);
	if (score)
		sb_printf(&r->head, " (%s/100)", score);
	if (where)
		sb_printf(&r->head, " for %s", where);
	field(r, "Grade", letter);
	field(r, "Score", score);
	both(r, "Offer", offer);
	both(r, "MAO", mao);
	both(r, "Red flags", list_text(r, "red_flags", flag_keys));
	both(r, "Summary", opt_str(r, r->data, "explanation"));
	context(r, "Offer ", opt_id(r, "offer_id"));
}

static void render_daily_digest(render *r)
{
	const char *date = opt_str(r, r->data, "date");
	json_t *counts = json_object_get(r->data, "counts");
	json_int_t total = 0;

	if (!date)
		need(r, "date");
	else if (!json_is_object(counts))
		fail(r,
		     "data.counts: expected an object of counts per template");
	if (r->failed)
		return;
	/* Only known templates, in a fixed order: the counts may come from
	 * anywhere, and the message stays within Slack's ten fields. */
	for (size_t i = 0; i < sizeof templates / sizeof *templates; i++) {
		json_t *n = json_object_get(counts, templates[i]);
		if (n && (!json_is_integer(n) || json_integer_value(n) < 0)) {
			fail(r, "data.counts.%s: expected a count",
			     templates[i]);
			return;
		}
		if (n && json_integer_value(n) > 0) {
			char buf[32];
			total += json_integer_value(n);
			snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
			         json_integer_value(n));
			both(r, templates[i], own(r, strdup(buf)));
		}
	}
	if (total == 0)
		sb_printf(&r->head, "*Daily digest for %s*: nothing was sent",
		          date);
	else
		sb_printf(&r->head,
		          "*Daily digest for %s*: %" JSON_INTEGER_FORMAT
		          " message%s sent",
		          date, total, total == 1 ? "" : "s");
}

static const struct {
	const char *name;
	void (*fn)(render *r);
} renderers[] = {
    {"new_lead", render_new_lead},
    {"hot_lead", render_hot_lead},
    {"payment", render_payment},
    {"alert", render_alert},
    {"offer_graded", render_offer_graded},
    {"daily_digest", render_daily_digest},
};

static json_t *assemble(render *r)
{
	sbuf text = {0};
	json_t *blocks = json_array();

	sb_add(&text, r->head.s, r->head.len);
	if (r->text.len)
		sb_add(&text, r->text.s, r->text.len);
	if (r->context.len)
		sb_printf(&text, "\n%s", r->context.s);
	json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type",
	                                        "section", "text", "type",
	                                        "mrkdwn", "text", r->head.s));
	if (json_array_size(r->fields))
		json_array_append_new(blocks,
		                      json_pack("{s:s, s:O}", "type", "section",
		                                "fields", r->fields));
	if (r->context.len)
		json_array_append_new(
		    blocks, json_pack("{s:s, s:[{s:s, s:s}]}", "type",
		                      "context", "elements", "type", "mrkdwn",
		                      "text", r->context.s));
	json_t *msg = NULL;
	if (!text.oom && blocks)
		msg = json_pack("{s:s, s:o}", "text", text.s, "blocks", blocks);
	else
		json_decref(blocks);
	free(text.s);
	if (!msg)
		fail(r, "out of memory");
	return msg;
}

json_t *slack_render(const char *tmpl, const json_t *data, char *err,
                     size_t err_len)
{
	render r = {.data = data, .tmpl = tmpl, .err = err, .err_len = err_len};
	json_t *msg = NULL;
	size_t i;

	if (!json_is_object(data)) {
		snprintf(err, err_len, "data: expected an object");
		return NULL;
	}
	for (i = 0; i < sizeof renderers / sizeof *renderers; i++)
		if (tmpl && strcmp(tmpl, renderers[i].name) == 0)
			break;
	if (i == sizeof renderers / sizeof *renderers) {
		snprintf(err, err_len, "template: unknown template \"%.64s\"",
		         tmpl ? tmpl : "(none)");
		return NULL;
	}
	r.fields = json_array();
	renderers[i].fn(&r);
	if (r.head.oom || r.text.oom || r.context.oom || !r.fields)
		fail(&r, "out of memory");
	if (!r.failed)
		msg = assemble(&r);
	for (i = 0; i < r.n_owned; i++)
		free(r.owned[i]);
	free(r.head.s);
	free(r.text.s);
	free(r.context.s);
	json_decref(r.fields);
	return msg;
}
