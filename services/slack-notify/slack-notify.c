/*
 * slack-notify: the notification hub. Renders a template, posts it to the
 * channel's Slack incoming webhook (or logs it when none is configured),
 * retries as Slack asks, and drops exact repeats within a minute. Events
 * (new leads, hot leads, payments, alerts) are acknowledged only once Slack
 * took the message, so a crash mid-delivery loses nothing; the repeat mark
 * keeps the redelivery from posting twice.
 *
 * Environment: SLACK_WEBHOOK_URL (default channel), SLACK_WEBHOOK_URL_<CH>
 * (channel "ch", upper-case, '-' as '_'), SLACK_HTTP_TIMEOUT_MS (one
 * attempt, default 5000).
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mesh.h"
#include "slack_channel.h"
#include "slack_dedupe.h"
#include "slack_render.h"
#include "slack_retry.h"

/* One attempt's HTTP timeout unless SLACK_HTTP_TIMEOUT_MS says otherwise. */
#define NOTIFY_HTTP_TIMEOUT_MS     5000
#define NOTIFY_HTTP_TIMEOUT_MIN_MS 100
#define NOTIFY_HTTP_TIMEOUT_MAX_MS 60000
/* Daily counters are kept this long: the digest reads today's, and a week
 * back stays visible to an operator. */
#define NOTIFY_COUNT_TTL_S (8 * 86400)
/* Added to every wait: libevent times with a coarse clock and from the
 * loop's cached time, so a timer may fire a few ms before the time asked,
 * and a retry must never come before Slack's Retry-After. */
#define NOTIFY_TIMER_MARGIN_MS 10
/* Bytes of Slack's error body quoted in a failure message. */
#define NOTIFY_SLACK_BODY_QUOTE 120
/* Room for "slack-notify:<part>:<64 hex>". */
#define NOTIFY_KEY_MAX 160

extern char **environ;

static int64_t http_timeout_ms = NOTIFY_HTTP_TIMEOUT_MS;

/* Sets the repeat mark and counts the message for the digest, in one round
 * trip. KEYS: mark, day counter; ARGV: window, template ("" = not
 * counted), counter TTL. */
static const char record_script[] =
    "redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) "
    "if ARGV[2] ~= '' then "
    "redis.call('HINCRBY', KEYS[2], ARGV[2], 1) "
    "redis.call('EXPIRE', KEYS[2], ARGV[3]) end "
    "return 1";
static mesh_kv_script record_script_eval = MESH_KV_SCRIPT(record_script);

typedef struct job {
	mesh_req *req;
	int event; /* an event delivery: acknowledge or fail, no result */
	char tmpl[32];
	char channel[SLACK_CHANNEL_MAX + 1]; /* "" = the default channel */
	const char *url; /* from the environment; NULL: log */
	char *body;      /* the webhook payload */
	char *text;      /* the fallback text */
	char mark_key[NOTIFY_KEY_MAX];
	char count_key[NOTIFY_KEY_MAX];
	int attempts;
	int logged;
	struct event *timer;
} job;

static void job_free(job *j)
{
	if (j->timer)
		event_free(j->timer);
	free(j->body);
	free(j->text);
	free(j);
}

static const char *channel_name(const job *j)
{
	return j->channel[0] ? j->channel : "default";
}

/* The job's identity for a log line (mesh_log borrows it: caller
 * decrefs). */
static json_t *job_fields(const job *j)
{
	return json_pack("{s:s, s:s, s:i}", "template", j->tmpl, "channel",
	                 channel_name(j), "attempts", j->attempts);
}

static void job_reply(job *j, int sent, int duplicate)
{
	if (j->event)
		mesh_reply(j->req, NULL);
	else
		mesh_reply(j->req,
		           json_pack("{s:b, s:b, s:b, s:s, s:s, s:i, s:s}",
		                     "sent", sent, "logged", j->logged,
		                     "duplicate", duplicate, "channel",
		                     channel_name(j), "template", j->tmpl,
		                     "attempts", j->attempts, "text",
		                     j->text ? j->text : ""));
	job_free(j);
}

/* A caller hears the error. An event is failed (and so retried later)
 * only when a later attempt can succeed; a message Slack refuses or data
 * that cannot render is logged and acknowledged, never retried. */
static void job_fail(job *j, mesh_err err, const char *msg)
{
	int permanent = err == MESH_EINVAL || err == MESH_EFORBIDDEN ||
	                err == MESH_ETOOLARGE;

	if (j->event && permanent) {
		json_t *fields = job_fields(j);
		mesh_log(j->req, MESH_LOG_ERROR, fields,
		         "%s not delivered, dropped: %s: %s",
		         mesh_req_method(j->req), mesh_strerror(err), msg);
		json_decref(fields);
		mesh_reply(j->req, NULL);
	} else {
		mesh_fail(j->req, err, "%s", msg);
	}
	job_free(j);
}

static void recorded(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	job *j = arg;

	(void)reply;
	/* The message is out: a lost mark only weakens the repeat drop. */
	if (err != MESH_OK)
		mesh_log(j->req, MESH_LOG_WARN, NULL,
		         "repeat mark and daily count not stored: %s", msg);
	job_reply(j, !j->logged, 0);
}

/* After Slack took the message (or it was logged): the repeat mark, set
 * only now so that a failed attempt never blocks the retry, and the daily
 * count. */
static void job_record(job *j)
{
	const char *counted =
	    strcmp(j->tmpl, "daily_digest") == 0 ? "" : j->tmpl;

	char window[16], ttl[16];

	snprintf(window, sizeof window, "%d", SLACK_REPEAT_WINDOW_S);
	snprintf(ttl, sizeof ttl, "%d", NOTIFY_COUNT_TTL_S);
	const char *argv[] = {"2",    j->mark_key, j->count_key,
	                      window, counted,     ttl};
	mesh_kv_eval(&record_script_eval, recorded, j, 6, argv, NULL);
}

static void attempt(job *j);

static void retry_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	attempt(arg);
}

static void responded(void *arg, mesh_err err, const char *msg,
                      const mesh_http_response *resp)
{
	job *j = arg;
	long status = resp ? mesh_http_status(resp) : 0;
	const char *retry_after =
	    resp ? mesh_http_header(resp, "Retry-After") : NULL;
	slack_decision d = slack_retry_decide(
	    err, status, retry_after, j->attempts, mesh_req_time_left(j->req));

	if (d.action == SLACK_DELIVERED) {
		json_t *fields = job_fields(j);
		mesh_log(j->req, MESH_LOG_INFO, fields,
		         "slack: %s delivered to %s", j->tmpl, channel_name(j));
		json_decref(fields);
		job_record(j);
		return;
	}
	if (d.action == SLACK_RETRY) {
		int64_t wait = d.delay_ms + NOTIFY_TIMER_MARGIN_MS;
		struct timeval tv = {(time_t)(wait / 1000),
		                     (suseconds_t)(wait % 1000) * 1000};
		char what[200];
		if (err != MESH_OK)
			snprintf(what, sizeof what, "%s", msg);
		else
			snprintf(what, sizeof what, "status %ld", status);
		mesh_log(j->req, MESH_LOG_WARN, NULL,
		         "slack: attempt %d: %s; retrying in %lld ms",
		         j->attempts, what, (long long)d.delay_ms);
		if (!j->timer)
			j->timer = evtimer_new(mesh_loop(), retry_timer, j);
		if (!j->timer || evtimer_add(j->timer, &tv) != 0) {
			job_fail(j, MESH_EINTERNAL,
			         "cannot arm the retry timer");
			return;
		}
		return;
	}
	/* Slack names the problem in its body ("invalid_payload"). */
	size_t blen = 0;
	const char *body = resp ? mesh_http_body(resp, &blen) : NULL;
	char full[sizeof d.reason + NOTIFY_SLACK_BODY_QUOTE + 8];
	if (body && blen)
		snprintf(full, sizeof full, "%s: %.*s", d.reason,
		         (int)(blen < NOTIFY_SLACK_BODY_QUOTE
		                   ? blen
		                   : NOTIFY_SLACK_BODY_QUOTE),
		         body);
	else
		snprintf(full, sizeof full, "%s", d.reason);
	job_fail(j, d.err, full);
}

static void attempt(job *j)
{
	static const char *const headers[] = {"Content-Type: application/json",
	                                      NULL};
	int64_t left = mesh_req_time_left(j->req);

	if (left < SLACK_ATTEMPT_MIN_MS) {
		job_fail(j, MESH_ETIMEOUT,
		         "slack: no time left for another attempt");
		return;
	}
	j->attempts++;
	mesh_http_opts o = {
	    .method = "POST",
	    .url = j->url,
	    .headers = headers,
	    .body = j->body,
	    .body_len = strlen(j->body),
	    .timeout_ms = left < http_timeout_ms ? left : http_timeout_ms,
	};
	mesh_http_request(&o, responded, j);
}

static void checked(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	job *j = arg;

	if (err != MESH_OK) {
		/* Without the repeat check a redelivery could post twice:
		 * fail, and let the caller or the event retry. */
		job_fail(j, MESH_EUNAVAILABLE, msg);
		return;
	}
	if (json_integer_value(reply) > 0) {
		mesh_log(j->req, MESH_LOG_INFO, NULL,
		         "slack: %s to %s is a repeat within %d s, dropped",
		         j->tmpl, channel_name(j), SLACK_REPEAT_WINDOW_S);
		job_reply(j, 0, 1);
		return;
	}
	if (!j->url) {
		j->logged = 1;
		json_t *fields = job_fields(j);
		json_object_set_new(fields, "text", json_string(j->text));
		mesh_log(j->req, MESH_LOG_INFO, fields,
		         "slack (no webhook configured for %s): %s",
		         channel_name(j), j->text);
		json_decref(fields);
		job_record(j);
		return;
	}
	attempt(j);
}

static void today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The channel's webhook; an unconfigured channel falls back to the
 * default one, so that its messages still reach someone. */
static const char *webhook_url(const char *channel)
{
	char name[sizeof SLACK_WEBHOOK_ENV + SLACK_CHANNEL_MAX + 2];
	const char *url = NULL;

	if (channel && slack_channel_env(channel, name, sizeof name) == 0)
		url = getenv(name);
	if (!url || !*url)
		url = getenv(SLACK_WEBHOOK_ENV);
	return url && *url ? url : NULL;
}

/* Renders and delivers; ends req. channel NULL is the default channel. */
static void job_start(mesh_req *req, const char *tmpl, json_t *data,
                      const char *channel, int event)
{
	char err[256], hex[SLACK_DEDUPE_HEX + 1], date[11];
	job *j = calloc(1, sizeof *j);

	if (!j) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	j->req = req;
	j->event = event;
	snprintf(j->tmpl, sizeof j->tmpl, "%s", tmpl);
	snprintf(j->channel, sizeof j->channel, "%s", channel ? channel : "");
	json_t *msg = slack_render(tmpl, data, err, sizeof err);
	if (!msg) {
		job_fail(j, MESH_EINVAL, err);
		return;
	}
	j->text = strdup(json_string_value(json_object_get(msg, "text")));
	j->body = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!j->text || !j->body ||
	    slack_dedupe_digest(channel, j->text, hex) != 0) {
		job_fail(j, MESH_EINTERNAL, "out of memory");
		return;
	}
	j->url = webhook_url(channel);
	today(date);
	snprintf(j->mark_key, sizeof j->mark_key, "%s",
	         mesh_kv_key("sent", hex, NULL));
	snprintf(j->count_key, sizeof j->count_key, "%s",
	         mesh_kv_key("count", date, NULL));
	mesh_kv_commandf(checked, j, "EXISTS %s", j->mark_key);
}

/* send {template, data, channel?} */
static void send_method(mesh_req *req, json_t *args)
{
	const char *tmpl = json_string_value(json_object_get(args, "template"));
	json_t *data = json_object_get(args, "data");
	json_t *ch = json_object_get(args, "channel");
	const char *channel = json_string_value(ch);

	if (!tmpl) {
		mesh_fail(req, MESH_EINVAL,
		          "template: expected a string (new_lead, hot_lead, "
		          "payment, alert, offer_graded, daily_digest)");
		return;
	}
	if (!slack_template_known(tmpl)) {
		mesh_fail(req, MESH_EINVAL,
		          "template: unknown template \"%.64s\"", tmpl);
		return;
	}
	if (!json_is_object(data)) {
		mesh_fail(req, MESH_EINVAL, "data: expected an object");
		return;
	}
	if (ch && !json_is_null(ch) && !slack_channel_valid(channel)) {
		mesh_fail(
		    req, MESH_EINVAL,
		    "channel: expected 1-%d of letters, digits, '-' or '_'",
		    SLACK_CHANNEL_MAX);
		return;
	}
	job_start(req, tmpl, data, channel, 0);
}

typedef struct digest_ctx {
	mesh_req *req;
	char date[11];
} digest_ctx;

static void digest_counted(void *arg, mesh_err err, const char *msg,
                           json_t *reply)
{
	digest_ctx *c = arg;
	json_t *counts = json_object();

	if (err != MESH_OK) {
		mesh_fail(c->req, MESH_EUNAVAILABLE, "%s", msg);
		json_decref(counts);
		free(c);
		return;
	}
	/* HGETALL: field, value, field, value... */
	for (size_t i = 0; i + 1 < json_array_size(reply); i += 2) {
		const char *name = json_string_value(json_array_get(reply, i));
		const char *n = json_string_value(json_array_get(reply, i + 1));
		if (name && n)
			json_object_set_new(counts, name,
			                    json_integer(atoll(n)));
	}
	json_t *data =
	    json_pack("{s:s, s:o}", "date", c->date, "counts", counts);
	job_start(c->req, "daily_digest", data, NULL, 0);
	json_decref(data);
	free(c);
}

static int date_valid(const char *s)
{
	static const char shape[] = "dddd-dd-dd";

	if (!s || strlen(s) != sizeof shape - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-')
			return 0;
	return 1;
}

/* daily_digest {date?}: what was sent that day (UTC; default today), to
 * the default channel. The scheduler fires it at 08:00. */
static void daily_digest(mesh_req *req, json_t *args)
{
	json_t *d = json_object_get(args, "date");
	digest_ctx *c;

	if (d && !json_is_null(d) && !date_valid(json_string_value(d))) {
		mesh_fail(req, MESH_EINVAL, "date: expected YYYY-MM-DD");
		return;
	}
	if (!(c = calloc(1, sizeof *c))) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	c->req = req;
	if (json_is_string(d))
		snprintf(c->date, sizeof c->date, "%s", json_string_value(d));
	else
		today(c->date);
	mesh_kv_commandf(digest_counted, c, "HGETALL %s",
	                 mesh_kv_key("count", c->date, NULL));
}

static void on_lead_created(mesh_req *req, json_t *lead)
{
	job_start(req, "new_lead", lead, NULL, 1);
}

/* Only hot leads are announced. The score event may carry the lead
 * itself under "lead": its contact fields fill what the event lacks. */
static void on_lead_scored(mesh_req *req, json_t *ev)
{
	static const char *const from_lead[] = {"name", "phone", "email",
	                                        "address"};
	const char *tier = json_string_value(json_object_get(ev, "tier"));
	json_t *lead = json_object_get(ev, "lead");

	if (!tier || strcmp(tier, "hot") != 0) {
		mesh_reply(req, NULL);
		return;
	}
	json_t *data = json_copy(ev);
	for (size_t i = 0; json_is_object(lead) && i < 4; i++)
		if (!json_object_get(data, from_lead[i]) &&
		    json_object_get(lead, from_lead[i]))
			json_object_set(data, from_lead[i],
			                json_object_get(lead, from_lead[i]));
	if (!json_object_get(data, "lead_id") && json_object_get(lead, "id"))
		json_object_set(data, "lead_id", json_object_get(lead, "id"));
	job_start(req, "hot_lead", data, NULL, 1);
	json_decref(data);
}

static void on_payment(mesh_req *req, json_t *payment)
{
	job_start(req, "payment", payment, NULL, 1);
}

static void on_alert(mesh_req *req, json_t *alert)
{
	job_start(req, "alert", alert, NULL, 1);
}

/* Refuses to start with a webhook variable that is not a URL, naming the
 * variable and never its value (the URL carries a secret token). */
static int notify_init(void)
{
	const char *t = getenv("SLACK_HTTP_TIMEOUT_MS");
	size_t plen = strlen(SLACK_WEBHOOK_ENV);
	int configured = 0;

	if (t && *t) {
		char *end;
		long v = strtol(t, &end, 10);
		if (*end || v < NOTIFY_HTTP_TIMEOUT_MIN_MS ||
		    v > NOTIFY_HTTP_TIMEOUT_MAX_MS) {
			mesh_log(NULL, MESH_LOG_ERROR, NULL,
			         "SLACK_HTTP_TIMEOUT_MS: expected %d-%d",
			         NOTIFY_HTTP_TIMEOUT_MIN_MS,
			         NOTIFY_HTTP_TIMEOUT_MAX_MS);
			return 1;
		}
		http_timeout_ms = v;
	}
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || strncmp(*e, SLACK_WEBHOOK_ENV, plen) != 0 ||
		    ((*e)[plen] != '=' && (*e)[plen] != '_'))
			continue;
		if (eq[1] && !slack_webhook_url_valid(eq + 1)) {
			mesh_log(NULL, MESH_LOG_ERROR, NULL,
			         "%.*s: expected an http:// or https:// URL",
			         (int)(eq - *e), *e);
			return 1;
		}
		configured += eq[1] != '\0';
	}
	mesh_log(NULL, MESH_LOG_INFO, NULL, "%d Slack webhook%s configured%s",
	         configured, configured == 1 ? "" : "s",
	         configured ? "" : ": messages are logged, not sent");
	return 0;
}

static const mesh_method methods[] = {
    {"send", send_method},
    {"daily_digest", daily_digest},
    {NULL, NULL},
};

static const mesh_subscription subscriptions[] = {
    {"lead.created", on_lead_created},
    {"lead.scored", on_lead_scored},
    {"payment.succeeded", on_payment},
    {"alert", on_alert},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "slack-notify",
    .methods = methods,
    .subscriptions = subscriptions,
    .init = notify_init,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
