/*
 * slack_channel.h: which environment variable holds a channel's incoming
 * webhook URL. The default channel's is SLACK_WEBHOOK_URL; channel "sales-ops"
 * has SLACK_WEBHOOK_URL_SALES_OPS.
 *
 * Pure: no I/O (the caller does the getenv).
 */
#ifndef SLACK_CHANNEL_H
#define SLACK_CHANNEL_H

#include <stddef.h>

/* Longest channel name (Slack's own limit is 80). */
#define SLACK_CHANNEL_MAX 80
/* The variable of the default channel, and the prefix of the others. */
#define SLACK_WEBHOOK_ENV "SLACK_WEBHOOK_URL"

/* 1 when name is 1..SLACK_CHANNEL_MAX of [A-Za-z0-9_-]. */
int slack_channel_valid(const char *name);

/* Writes the variable for channel (NULL: the default channel) into out.
 * 0, or -1 for an invalid name or a buffer too small. */
int slack_channel_env(const char *channel, char *out, size_t cap);

/* 1 when url can be a webhook: http:// or https:// and a host. */
int slack_webhook_url_valid(const char *url);

#endif
