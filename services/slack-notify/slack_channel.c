#include "slack_channel.h"

#include <stdio.h>
#include <string.h>

int slack_channel_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > SLACK_CHANNEL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int slack_channel_env(const char *channel, char *out, size_t cap)
{
	size_t base = strlen(SLACK_WEBHOOK_ENV);

	if (!channel) {
		if (cap <= base)
			return -1;
		memcpy(out, SLACK_WEBHOOK_ENV, base + 1);
		return 0;
	}
	if (!slack_channel_valid(channel) || cap <= base + 1 + strlen(channel))
		return -1;
	size_t o = (size_t)snprintf(out, cap, "%s_", SLACK_WEBHOOK_ENV);
	for (const char *p = channel; *p; p++)
		out[o++] = *p == '-'                  ? '_'
		           : (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A')
		                                      : *p;
	out[o] = '\0';
	return 0;
}

int slack_webhook_url_valid(const char *url)
{
	const char *host;

	if (!url)
		return 0;
	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return 0;
	return *host && *host != '/';
}
