/*
 * service.c: mesh_service_main, the life of a service process: read the
 * configuration and the manifest, check the method table against it,
 * connect Redis, subscribe, listen, run the loop, and on SIGTERM drain:
 * stop accepting, finish what is in flight, flush one-way sends, exit 0.
 */
#include "service.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "log.h"
#include "req.h"
#include "runtime.h"

/* How often the exit path checks that one-way sends have left. */
#define SERVICE_FLUSH_POLL_MS 5

static struct {
	const mesh_service_def *def;
	manifest *m;
	server *srv;
	kv *kv;
	events *ev;
	struct event_base *base;
	struct event *sig_term, *sig_int, *flush_timer;
	int64_t started_ms;
	int64_t exit_by_ms;
	int draining;
	int stops_pending;
	int holds;
} svc;

void mesh_drain_hold(void)
{
	svc.holds++;
}

void mesh_drain_release(void)
{
	if (svc.holds > 0)
		svc.holds--;
}

int mesh_draining(void)
{
	return svc.draining;
}

const mesh_service_def *service_def(void)
{
	return svc.def;
}

const manifest *service_manifest(void)
{
	return svc.m;
}

server *service_server(void)
{
	return svc.srv;
}

kv *service_kv(void)
{
	return svc.kv;
}

int64_t service_started_ms(void)
{
	return svc.started_ms;
}

int service_draining(void)
{
	return svc.draining;
}

static mesh_handler_fn service_lookup(const char *method)
{
	if (method[0] == '_')
		return builtin_lookup(method);
	for (const mesh_method *m = svc.def->methods; m && m->name; m++)
		if (strcmp(m->name, method) == 0)
			return m->fn;
	return NULL;
}

/* The binary and the manifest must agree both ways: a declared method
 * without a handler would 404 in production, a handler the manifest does
 * not declare could never be bound. */
static int service_check_table(const manifest_service *ms, char *err,
                               size_t err_len)
{
	const mesh_service_def *def = svc.def;

	for (size_t i = 0; i < ms->n_methods; i++)
		if (!service_lookup(ms->methods[i])) {
			snprintf(err, err_len,
			         "the manifest declares %s.%s but the binary "
			         "has no handler for it",
			         ms->name, ms->methods[i]);
			return -1;
		}
	for (const mesh_method *m = def->methods; m && m->name; m++)
		if (!manifest_service_has_method(ms, m->name)) {
			snprintf(
			    err, err_len,
			    "handler %s.%s is not declared in the manifest",
			    ms->name, m->name);
			return -1;
		}
	size_t subs = 0;
	for (const mesh_subscription *s = def->subscriptions; s && s->topic;
	     s++, subs++) {
		size_t i = 0;
		while (i < ms->n_subscribes &&
		       strcmp(ms->subscribes[i], s->topic))
			i++;
		if (i == ms->n_subscribes) {
			snprintf(
			    err, err_len,
			    "%s subscribes to \"%s\" but the manifest does "
			    "not list it",
			    ms->name, s->topic);
			return -1;
		}
	}
	if (subs != ms->n_subscribes) {
		snprintf(err, err_len,
		         "the manifest subscribes %s to %zu topics but the "
		         "binary handles %zu",
		         ms->name, ms->n_subscribes, subs);
		return -1;
	}
	return 0;
}

static void service_exit_check(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = {0, SERVICE_FLUSH_POLL_MS * 1000};

	(void)fd;
	(void)what;
	(void)arg;
	/* Handlers whose caller gave up still finish their work (a write to
	 * Redis after the deadline is still a write). */
	if ((client_unflushed() == 0 && svc.holds == 0 && req_live() == 0) ||
	    runtime_now_ms() >= svc.exit_by_ms) {
		event_base_loopbreak(svc.base);
		return;
	}
	evtimer_add(svc.flush_timer, &tv);
}

static void service_stopped(void *arg)
{
	(void)arg;
	if (--svc.stops_pending > 0)
		return;
	client_exiting();
	log_flush();
	svc.flush_timer = evtimer_new(svc.base, service_exit_check, NULL);
	service_exit_check(-1, 0, NULL);
}

static void service_drain(evutil_socket_t sig, short what, void *arg)
{
	const config *cfg = config_get();

	(void)what;
	(void)arg;
	if (svc.draining) {
		mesh_log(NULL, MESH_LOG_WARN, NULL,
		         "signal %d again while draining: exiting now",
		         (int)sig);
		event_base_loopbreak(svc.base);
		return;
	}
	svc.draining = 1;
	svc.exit_by_ms = runtime_now_ms() + cfg->drain_ms;
	mesh_log(NULL, MESH_LOG_INFO, NULL, "draining (signal %d)", (int)sig);
	if (svc.def->shutdown)
		svc.def->shutdown();
	svc.stops_pending = svc.ev ? 2 : 1;
	if (svc.ev)
		events_stop(svc.ev, service_stopped, NULL);
	server_drain(svc.srv, cfg->drain_ms, service_stopped, NULL);
}

static void usage(FILE *out, const char *name)
{
	fprintf(out,
	        "usage: %s\n"
	        "Runs the %s service of leadmesh until SIGTERM.\n"
	        "Environment: MESH_RUN_DIR (run), MESH_MANIFEST "
	        "(proto/mesh.json), REDIS_URL, LOG_LEVEL (info), MESH_LISTEN "
	        "(tcp://ip:port), MESH_INSTANCE.\n"
	        "Exit status: 0 clean stop, 1 failure, 2 usage.\n",
	        name, name);
}

static int service_start(char *err, size_t err_len)
{
	config *cfg = config_get();
	const manifest_service *ms;

	if (config_load(cfg, svc.def->name, err, err_len))
		return -1;
	svc.m = manifest_load_file(cfg->manifest_path, err, err_len);
	if (!svc.m)
		return -1;
	ms = manifest_service_find(svc.m, svc.def->name);
	if (!ms && !svc.def->standalone) {
		snprintf(err, err_len, "service \"%s\" is not in %.400s",
		         svc.def->name, cfg->manifest_path);
		return -1;
	}
	if (ms && service_check_table(ms, err, err_len))
		return -1;
	svc.base = event_base_new();
	if (!svc.base) {
		snprintf(err, err_len, "cannot create the event loop");
		return -1;
	}
	runtime_init(svc.base, svc.def->name);
	client_init(svc.base, svc.m);
	log_init(svc.m);
	svc.started_ms = runtime_now_ms();
	svc.kv = kv_new(svc.base, cfg->redis_url, err, err_len);
	if (!svc.kv)
		return -1;
	if (svc.def->subscriptions && svc.def->subscriptions->topic) {
		events_opts opts;
		events_opts_default(&opts);
		opts.max_attempts = svc.m->event_attempts;
		svc.ev = events_new(svc.base, cfg->redis_url, svc.def->name,
		                    cfg->instance, &opts, err, err_len);
		if (!svc.ev ||
		    service_events_subscribe(svc.ev, svc.def, err, err_len))
			return -1;
	}
	svc.sig_term = evsignal_new(svc.base, SIGTERM, service_drain, NULL);
	svc.sig_int = evsignal_new(svc.base, SIGINT, service_drain, NULL);
	if (!svc.sig_term || !svc.sig_int || evsignal_add(svc.sig_term, NULL) ||
	    evsignal_add(svc.sig_int, NULL)) {
		snprintf(err, err_len, "cannot install signal handlers");
		return -1;
	}
	if (svc.def->init && svc.def->init() != 0) {
		snprintf(err, err_len, "init failed (the line above says why)");
		return -1;
	}
	svc.srv = server_new(svc.base, service_lookup);
	if (!svc.srv || server_listen(svc.srv, svc.def->name, err, err_len))
		return -1;
	if (svc.ev)
		events_start(svc.ev);
	return 0;
}

static void service_free(void)
{
	if (svc.def && svc.def->cleanup && svc.base)
		svc.def->cleanup();
	if (svc.ev)
		events_free(svc.ev);
	svc.ev = NULL;
	server_free(svc.srv);
	svc.srv = NULL;
	client_shutdown();
	runtime_run_exit_hooks();
	if (svc.kv) {
		kv *k = svc.kv;
		/* A callback run from here on (kv_free reports what was in
		 * flight; the loop's last turn below runs what was deferred)
		 * finds no Redis, not a freed one. */
		svc.kv = NULL;
		kv_free(k);
	}
	log_shutdown();
	if (svc.sig_term)
		event_free(svc.sig_term);
	if (svc.sig_int)
		event_free(svc.sig_int);
	if (svc.flush_timer)
		event_free(svc.flush_timer);
	/* Let closes that were scheduled finish before the loop goes. */
	if (svc.base) {
		event_base_loop(svc.base, EVLOOP_NONBLOCK);
		event_base_free(svc.base);
	}
	manifest_free(svc.m);
	memset(&svc, 0, sizeof svc);
}

int mesh_service_main(const mesh_service_def *def, int argc, char **argv)
{
	char err[512] = "";

	if (argc > 1) {
		int help = strcmp(argv[1], "--help") == 0 ||
		           strcmp(argv[1], "-h") == 0;
		usage(help ? stdout : stderr, def->name);
		return help ? 0 : 2;
	}
	signal(SIGPIPE, SIG_IGN);
	svc.def = def;
	runtime_init(NULL, def->name);
	if (service_start(err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", def->name, err);
		service_free();
		return 1;
	}
	mesh_log(NULL, MESH_LOG_INFO, NULL, "listening on %s",
	         server_path(svc.srv)[0] ? server_path(svc.srv)
	                                 : config_get()->listen);
	event_base_dispatch(svc.base);
	mesh_log(NULL, MESH_LOG_INFO, NULL, "stopped");
	service_free();
	return 0;
}
