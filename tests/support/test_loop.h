/*
 * test_loop.h: stepping a test's own event loop. The loop wakes every
 * 5 ms so a condition can be checked against the clock.
 */
#ifndef TEST_LOOP_H
#define TEST_LOOP_H

#include <stdint.h>

#include "runtime.h"

struct event_base;

/* Runs b for at most 5 ms. */
void test_loop_step(struct event_base *b);
/* Runs b for ms milliseconds. */
void test_loop_run_for(struct event_base *b, int64_t ms);

/* Runs b until cond holds or ms pass. */
#define TEST_LOOP_UNTIL(b, cond, ms)                                           \
	do {                                                                   \
		int64_t end_ = runtime_now_ms() + (ms);                        \
		while (!(cond) && runtime_now_ms() < end_)                     \
			test_loop_step(b);                                     \
	} while (0)

#endif
