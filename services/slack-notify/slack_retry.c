#include "slack_retry.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int64_t slack_retry_after_ms(const char *header)
{
	int64_t secs = 0;
	const char *p = header;

	if (!p)
		return SLACK_RETRY_AFTER_DEFAULT_MS;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return SLACK_RETRY_AFTER_DEFAULT_MS;
	for (; *p >= '0' && *p <= '9'; p++) {
		secs = secs * 10 + (*p - '0');
		if (secs * 1000 >= SLACK_RETRY_AFTER_MAX_MS)
			return SLACK_RETRY_AFTER_MAX_MS;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return SLACK_RETRY_AFTER_DEFAULT_MS;
	return secs * 1000;
}

static slack_decision give_up(mesh_err err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static slack_decision give_up(mesh_err err, const char *fmt, ...)
{
	slack_decision d = {.action = SLACK_FAIL, .err = err};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d.reason, sizeof d.reason, fmt, ap);
	va_end(ap);
	return d;
}

/* Waits delay_ms and tries again, when the attempts and the deadline allow
 * it; what says what went wrong ("status 503"). */
static slack_decision again(int64_t delay_ms, int attempt, int64_t time_left,
                            const char *what)
{
	if (attempt >= SLACK_MAX_ATTEMPTS)
		return give_up(MESH_EUNAVAILABLE, "slack: %s after %d attempts",
		               what, attempt);
	if (delay_ms + SLACK_ATTEMPT_MIN_MS > time_left)
		return give_up(MESH_EUNAVAILABLE,
		               "slack: %s; a retry in %lld ms would pass the "
		               "deadline",
		               what, (long long)delay_ms);
	return (slack_decision){.action = SLACK_RETRY, .delay_ms = delay_ms};
}

slack_decision slack_retry_decide(mesh_err transport, long status,
                                  const char *retry_after, int attempt,
                                  int64_t time_left_ms)
{
	/* attempt is bounded by SLACK_MAX_ATTEMPTS in practice; the clamp
	 * keeps a bad caller from shifting past the width. */
	int shift = attempt < 1 ? 0 : attempt > 16 ? 15 : attempt - 1;
	int64_t backoff = (int64_t)SLACK_BACKOFF_FIRST_MS << shift;
	char what[64];

	if (transport == MESH_ETIMEOUT)
		return again(backoff, attempt, time_left_ms, "timed out");
	if (transport != MESH_OK)
		return again(backoff, attempt, time_left_ms, "unreachable");
	if (status >= 200 && status < 300)
		return (slack_decision){.action = SLACK_DELIVERED};
	if (status == 429) {
		snprintf(what, sizeof what, "rate limited (status 429)");
		return again(slack_retry_after_ms(retry_after), attempt,
		             time_left_ms, what);
	}
	if (status >= 500 && status < 600) {
		snprintf(what, sizeof what, "status %ld", status);
		return again(backoff, attempt, time_left_ms, what);
	}
	/* Slack's answers for a webhook that is revoked, disabled or points
	 * at an archived channel: nothing the message can fix. */
	if (status == 401 || status == 403 || status == 404 || status == 410)
		return give_up(MESH_EFORBIDDEN,
		               "slack: the webhook refused the message (status "
		               "%ld)",
		               status);
	if (status == 413)
		return give_up(MESH_ETOOLARGE,
		               "slack: the message is too large (status %ld)",
		               status);
	if (status >= 400 && status < 500)
		return give_up(MESH_EINVAL,
		               "slack: the message was refused (status %ld)",
		               status);
	return give_up(MESH_EUNAVAILABLE, "slack: unexpected status %ld",
	               status);
}
