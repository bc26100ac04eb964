/*
 * evhttp_echo: the baseline HTTP service, what a user would write instead
 * of a mesh service behind our gateway: a libevent evhttp server that
 * parses the JSON body and answers it back with "_meta": {"client_ip"}
 * added, byte for byte the body the gateway answers for the echo route.
 *
 *   evhttp_echo UNIX_SOCKET_PATH [TCP_PORT]
 *
 * Listens on the Unix socket (nginx's upstream) and, with a port, on
 * 127.0.0.1:PORT too (measured alone, with no hop in front). The client
 * address is X-Real-IP when a proxy set it, else the peer's. Runs until
 * SIGTERM or SIGINT.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_BODY 1048576 /* as the gateway's limit */

static void send_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (text) {
		evbuffer_add(buf, text, strlen(text));
		evbuffer_add(buf, "\n", 1);
		free(text);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	evhttp_send_reply(req, status, NULL, buf);
	evbuffer_free(buf);
}

static void echo(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *ip = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "X-Real-IP");
	char *peer = NULL;
	ev_uint16_t port;
	json_error_t jerr;
	json_t *body;

	(void)arg;
	body = len ? json_loadb((const char *)evbuffer_pullup(in, -1), len,
	                        JSON_REJECT_DUPLICATES, &jerr)
	           : json_object();
	if (!json_is_object(body)) {
		json_decref(body);
		send_json(req, 400,
		          json_pack("{s:{s:s, s:s}}", "error", "code",
		                    "bad_request", "message",
		                    "body: expected a JSON object"));
		return;
	}
	if (!ip) {
		evhttp_connection_get_peer(evhttp_request_get_connection(req),
		                           &peer, &port);
		ip = peer ? peer : "unknown";
	}
	json_object_set_new(body, "_meta", json_pack("{s:s}", "client_ip", ip));
	send_json(req, 200, body);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "evhttp_echo: %s: path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(fd, 1024) != 0) {
		fprintf(stderr, "evhttp_echo: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	struct event *term, *intr;
	long port = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	int fd;

	if (argc < 2 || argc > 3 || port < 0 || port > 65535) {
		fprintf(stderr, "usage: evhttp_echo UNIX_SOCKET_PATH [PORT]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = base ? evhttp_new(base) : NULL;
	if (!http)
		return 1;
	evhttp_set_max_body_size(http, MAX_BODY);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(http, echo, NULL);
	if ((fd = listen_unix(argv[1])) < 0 ||
	    !evhttp_accept_socket_with_handle(http, fd))
		return 1;
	if (port && !evhttp_bind_socket_with_handle(http, "127.0.0.1",
	                                            (ev_uint16_t)port)) {
		fprintf(stderr, "evhttp_echo: 127.0.0.1:%ld: %s\n", port,
		        strerror(errno));
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
	unlink(argv[1]);
	return 0;
}
