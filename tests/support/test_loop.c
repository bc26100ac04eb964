#include "test_loop.h"

#include <event2/event.h>

void test_loop_step(struct event_base *b)
{
	struct timeval tv = {0, 5000};

	event_base_loopexit(b, &tv);
	event_base_dispatch(b);
}

void test_loop_run_for(struct event_base *b, int64_t ms)
{
	int64_t end = runtime_now_ms() + ms;

	while (runtime_now_ms() < end)
		test_loop_step(b);
}
