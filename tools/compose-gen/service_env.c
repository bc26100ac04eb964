#include "service_env.h"

#include <stddef.h>

/* Keep in step with each service's getenv() calls: a variable missing here
 * cannot be set through docker compose. */
const service_env service_env_table[] = {
    {"gateway", "GATEWAY_CLIENT_TIMEOUT_S",
     "a silent HTTP client is cut after this many seconds (10)"},
    {"gateway", "RATE_LIMIT_PER_KEY", "requests per minute per API key (1200)"},
    {"gateway", "RATE_LIMIT_PER_IP",
     "requests per minute per client address (120)"},
    {"auth", "ADMIN_API_KEY",
     "the bootstrap admin key, scope admin, at least 24 characters (unset: "
     "none)"},
    {"logger", "LOGGER_MAX_RECORDS",
     "log records kept (capped stream; 100000)"},
    {"dedupe", "DEDUPE_WINDOW_DAYS",
     "a repeated phone, email or address within this many days is a "
     "duplicate (30)"},
    {"valuation", "VALUATION_CACHE_TTL_S",
     "seconds an estimate is cached (86400)"},
    {"slack-notify", "SLACK_WEBHOOK_URL",
     "Slack incoming-webhook URL (unset: messages are logged, not sent)"},
    {"slack-notify", "SLACK_HTTP_TIMEOUT_MS",
     "milliseconds a Slack post may take (5000)"},
    {NULL, NULL, NULL},
};
