/*
 * fake_slack: a local stand-in for Slack's incoming webhooks, so the lead
 * flow's notifier does its real HTTP work without leaving the machine.
 * Every POST is answered 200 "ok" (as Slack does) and counted; GET /count
 * answers the number of POSTs so far.
 *
 *   fake_slack PORT
 *
 * Listens on 127.0.0.1 only. Runs until SIGTERM or SIGINT.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long posts;

static void answer(struct evhttp_request *req, void *arg)
{
	struct evbuffer *buf = evbuffer_new();

	(void)arg;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		posts++;
		evbuffer_add(buf, "ok", 2);
	} else {
		evbuffer_add_printf(buf, "%lu\n", posts);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "text/plain");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	long port = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	struct event_base *base;
	struct evhttp *http;
	struct event *term, *intr;

	if (port < 1 || port > 65535) {
		fprintf(stderr, "usage: fake_slack PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = base ? evhttp_new(base) : NULL;
	if (!http)
		return 1;
	evhttp_set_gencb(http, answer, NULL);
	if (!evhttp_bind_socket_with_handle(http, "127.0.0.1",
	                                    (ev_uint16_t)port)) {
		fprintf(stderr, "fake_slack: cannot listen on 127.0.0.1:%ld\n",
		        port);
		return 1;
	}
	term = evsignal_new(base, SIGTERM, on_signal, base);
	intr = evsignal_new(base, SIGINT, on_signal, base);
	evsignal_add(term, NULL);
	evsignal_add(intr, NULL);
	event_base_dispatch(base);
	event_free(term);
	event_free(intr);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
