/*
 * mesh.h: the one header a leadmesh service includes.
 *
 * A service is a table of methods and subscriptions handed to
 * mesh_service_main(). Everything is asynchronous and runs on one libevent
 * loop: a handler receives a request and its JSON arguments and, now or
 * later, ends it exactly once with mesh_reply() or mesh_fail(). Every
 * function that takes a callback reports through it exactly once, and never
 * from inside the call itself.
 *
 * JSON values are jansson's json_t. "Steals" means the function takes the
 * caller's reference; "borrowed" means valid only until the callback returns.
 */
#ifndef MESH_H
#define MESH_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Errors: a small fixed set, each with one wire name and one HTTP status. */
typedef enum mesh_err {
	MESH_OK = 0,
	MESH_EINVAL,        /* bad_request           400 */
	MESH_EUNAUTHORIZED, /* unauthorized          401 */
	MESH_EPAYMENT,      /* payment_required      402 */
	MESH_EFORBIDDEN,    /* forbidden             403 */
	MESH_ENOTFOUND,     /* not_found             404 */
	MESH_ECONFLICT,     /* conflict              409 */
	MESH_ETOOLARGE,     /* payload_too_large     413 */
	MESH_ERATELIMITED,  /* rate_limited          429 */
	MESH_EINTERNAL,     /* internal              500 */
	MESH_EUNAVAILABLE,  /* unavailable           503 */
	MESH_ETIMEOUT,      /* timeout               504 */
	MESH_ERR_COUNT
} mesh_err;

/* The wire name of an error ("not_found"); never NULL. */
const char *mesh_strerror(mesh_err err);
/* The HTTP status the gateway answers for an error (200 for MESH_OK). */
int mesh_err_http_status(mesh_err err);
/* The error named by a wire name; MESH_EINTERNAL for an unknown name. */
mesh_err mesh_err_from_name(const char *name);

/* ---- Service definition ------------------------------------------------ */

typedef struct mesh_req mesh_req;

/* A method handler. args is borrowed: valid until the request is ended.
 * The handler ends req exactly once, now or later. */
typedef void (*mesh_handler_fn)(mesh_req *req, json_t *args);

typedef struct mesh_method {
	const char *name;
	mesh_handler_fn fn;
} mesh_method;

/* A durable event subscription. The handler gets the event's payload as
 * args; mesh_reply() acknowledges it, mesh_fail() has it retried with
 * backoff and, after the manifest's attempts, moved to the dead-letter
 * stream. */
typedef struct mesh_subscription {
	const char *topic;
	mesh_handler_fn fn;
} mesh_subscription;

typedef struct mesh_service_def {
	const char *name;                       /* as in proto/mesh.json */
	const mesh_method *methods;             /* ends with {NULL, NULL} */
	const mesh_subscription *subscriptions; /* may be NULL */
	/* 1 for platform tools (meshd) that are not in the manifest: no
	 * method-table check, and their calls are not bound. */
	int standalone;
	/* Optional: runs on the loop before the socket accepts; non-zero exits
	 * the process with status 1 (say why with mesh_log first). */
	int (*init)(void);
	/* Optional: runs when the process starts draining (SIGTERM). */
	void (*shutdown)(void);
	/* Optional: runs after the loop has stopped, before it is freed:
	 * release what init() put on it. */
	void (*cleanup)(void);
} mesh_service_def;

/* Runs the service until SIGTERM/SIGINT and a drained exit. Returns the
 * process exit status: 0 clean, 1 failure, 2 usage. Configuration comes from
 * the environment: MESH_RUN_DIR, MESH_MANIFEST, REDIS_URL, LOG_LEVEL,
 * MESH_LISTEN (tcp://host:port in place of the Unix socket). */
int mesh_service_main(const mesh_service_def *def, int argc, char **argv);

/* Keeps a draining process alive for work the mesh does not see (the
 * gateway's HTTP requests): SIGTERM waits, within the drain time, until
 * every hold is released. */
void mesh_drain_hold(void);
void mesh_drain_release(void);
/* Whether SIGTERM has started the drain. */
int mesh_draining(void);

/* The running service's name, or "" before mesh_service_main. */
const char *mesh_service_name(void);
/* The process's event loop (for timers and listeners a service adds). */
struct event_base *mesh_loop(void);

/* ---- Requests --------------------------------------------------------------
 */

/* Ends req with a result. Steals result (NULL replies JSON null). */
void mesh_reply(mesh_req *req, json_t *result);
/* Ends req with an error and a message a person can act on. */
void mesh_fail(mesh_req *req, mesh_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The request id (X-Request-Id) carried from the edge; never NULL. */
const char *mesh_req_id(const mesh_req *req);
/* The W3C traceparent of this hop; "" when none. */
const char *mesh_req_traceparent(const mesh_req *req);
/* Name of the calling service ("" for the edge or unknown). */
const char *mesh_req_caller(const mesh_req *req);
/* The method (or event topic) this request is for. */
const char *mesh_req_method(const mesh_req *req);
/* Milliseconds left before the caller gives up; 0 when expired. */
int64_t mesh_req_time_left(const mesh_req *req);
/* One pointer of handler state, kept with the request until it ends. */
void mesh_req_set_data(mesh_req *req, void *data);
void *mesh_req_data(const mesh_req *req);

/* ---- Service bindings ------------------------------------------------------
 */

/* Result of a call. result is borrowed (NULL on error); msg is "" on
 * success. */
typedef void (*mesh_call_fn)(void *arg, mesh_err err, const char *msg,
                             json_t *result);

/* Calls service.method with args (stolen). With a parent request the call
 * inherits its request id, trace and remaining deadline; with NULL it gets
 * a new request id and the default deadline. Fails with MESH_EFORBIDDEN
 * when the manifest does not bind the callee to this service. */
void mesh_call(mesh_req *parent, const char *service, const char *method,
               json_t *args, mesh_call_fn cb, void *arg);

/* Explicit call context, for the gateway and tools that start requests. */
typedef struct mesh_call_opts {
	const char *request_id;  /* NULL: a new one */
	const char *traceparent; /* NULL: a new trace */
	int64_t timeout_ms;      /* <= 0: the default */
} mesh_call_opts;

void mesh_call_with(const mesh_call_opts *opts, const char *service,
                    const char *method, json_t *args, mesh_call_fn cb,
                    void *arg);

/* One-way call (waitUntil): best effort, never delays a reply, flushed
 * before the process exits. Steals args. */
void mesh_send(mesh_req *parent, const char *service, const char *method,
               json_t *args);

/* ---- Durable events --------------------------------------------------------
 */

/* Done callback for mesh_publish; err is MESH_OK once Redis has the event. */
typedef void (*mesh_done_fn)(void *arg, mesh_err err, const char *msg);

/* Appends event (stolen) to the stream events:<topic>, with the parent's
 * request id and trace. cb may be NULL. */
void mesh_publish(mesh_req *parent, const char *topic, json_t *event,
                  mesh_done_fn cb, void *arg);

/* ---- KV (Redis) ------------------------------------------------------------
 */

/* Redis replies as JSON: bulk and status strings are strings, integers are
 * integers, arrays are arrays, nil is null. reply is borrowed. */
typedef void (*mesh_kv_fn)(void *arg, mesh_err err, const char *msg,
                           json_t *reply);

/* A key in this service's namespace: mesh_kv_key("lead", id) is
 * "<service>:lead:<id>". Returns a static buffer good until the next call;
 * NULL when it would not fit. (A macro, so the parts list ends itself.) */
#define mesh_kv_key(...)                                                       \
	mesh_kv_key_parts((const char *const[]){__VA_ARGS__, 0})
const char *mesh_kv_key_parts(const char *const *parts);

/* Runs one command given as argc strings (binary safe with lens, NULL lens
 * means NUL-terminated). Callers name keys with mesh_kv_key(). */
void mesh_kv_command(mesh_kv_fn cb, void *arg, int argc, const char **argv,
                     const size_t *lens);
/* printf-like form, hiredis syntax (%s, %b, %d...). */
void mesh_kv_commandf(mesh_kv_fn cb, void *arg, const char *fmt, ...);

/* A Lua script, run by EVALSHA once Redis has told its SHA-1, by EVAL
 * until then and when Redis has forgotten it (NOSCRIPT). One per script,
 * static, its text a literal:
 *     static mesh_kv_script store = MESH_KV_SCRIPT(store_lua); */
typedef struct mesh_kv_script {
	const char *text;
	char sha[41];
	int asked;
} mesh_kv_script;
#define MESH_KV_SCRIPT(lua)                                                    \
	{                                                                      \
		.text = (lua), .sha = "", .asked = 0                           \
	}

/* Runs script with argv: numkeys, the keys, then the arguments (borrowed,
 * copied before this returns; lens as for mesh_kv_command). cb as for
 * mesh_kv_command, exactly once. */
void mesh_kv_eval(mesh_kv_script *script, mesh_kv_fn cb, void *arg, int argc,
                  const char **argv, const size_t *lens);

/* Convenience forms; key is the part after "<service>:". */
void mesh_kv_get(const char *key, mesh_kv_fn cb, void *arg);
/* ttl_s <= 0: no expiry. value is copied. */
void mesh_kv_set(const char *key, const char *value, int64_t ttl_s,
                 mesh_kv_fn cb, void *arg);
void mesh_kv_del(const char *key, mesh_kv_fn cb, void *arg);

/* Get-or-compute: a cached JSON value under key with a TTL. On a miss,
 * compute(arg, done_handle) runs and must call mesh_kv_cache_done() once. */
typedef struct mesh_kv_cache_op mesh_kv_cache_op;
typedef void (*mesh_kv_compute_fn)(void *arg, mesh_kv_cache_op *op);
typedef void (*mesh_kv_cache_fn)(void *arg, mesh_err err, const char *msg,
                                 json_t *value, int cached);
void mesh_kv_cache(const char *key, int64_t ttl_s, mesh_kv_compute_fn compute,
                   mesh_kv_cache_fn cb, void *arg);
/* Completes a compute: value is stolen and stored unless err != MESH_OK. */
void mesh_kv_cache_done(mesh_kv_cache_op *op, mesh_err err, const char *msg,
                        json_t *value);

/* ---- Outbound HTTP ---------------------------------------------------------
 */

typedef struct mesh_http_opts {
	const char *method;         /* "GET", "POST", ...; NULL: GET */
	const char *url;            /* http(s)://, smtp(s):// not here */
	const char *const *headers; /* "Name: value" lines, NULL-terminated */
	const char *body;           /* may be NULL */
	size_t body_len;
	int64_t timeout_ms; /* <= 0: 10 s */
} mesh_http_opts;

typedef struct mesh_http_response mesh_http_response;

/* err is MESH_OK when a response arrived (any status), MESH_ETIMEOUT on
 * timeout, MESH_EUNAVAILABLE when the peer could not be reached. resp is
 * borrowed, NULL on error. */
typedef void (*mesh_http_fn)(void *arg, mesh_err err, const char *msg,
                             const mesh_http_response *resp);

void mesh_http_request(const mesh_http_opts *opts, mesh_http_fn cb, void *arg);
long mesh_http_status(const mesh_http_response *resp);
const char *mesh_http_body(const mesh_http_response *resp, size_t *len);
/* A response header's value (case-insensitive name), NULL when absent. */
const char *mesh_http_header(const mesh_http_response *resp, const char *name);

/* ---- Arguments ------------------------------------------------------------
 */

/* A numeric argument that may arrive as a JSON number or, from a query
 * string, as a decimal string. 1 with *out set; 0 when absent, null or "";
 * -1 when present but not a finite number. */
int mesh_arg_number(json_t *args, const char *name, double *out);

/* ---- Time ------------------------------------------------------------------
 */

/* "2026-01-05T14:03:09.120Z" and its NUL. */
#define MESH_TIME_SIZE 25

/* Formats ms since the epoch (0 to year 9999) as ISO-8601 UTC with
 * milliseconds. */
void mesh_time_format(int64_t ms, char out[MESH_TIME_SIZE]);
/* Parses a point in time into ms since the epoch: "2026-01-05" (midnight
 * UTC), "2026-01-05T14:03:09Z" (also with ".120", and with "+02:00" /
 * "-05:00" in place of Z), or "1767621789120" (ms since the epoch). 0, or
 * -1 for anything else, impossible dates (02-30) included. */
int mesh_time_parse(const char *s, int64_t *ms);

/* A US ZIP ("78704" or ZIP+4 "78704-1234") as its five digits in out.
 * 1, or 0 when s is neither (NULL included). */
int mesh_zip5(const char *s, char out[6]);

/* ---- Phone numbers (leads and SMS both need them) ---------------------- */

/* A US phone number in E.164 ("+15125550142"). 0, or -1 with *why a static
 * message a person can act on ("phone: expected 10 digits, got 9"). */
int mesh_phone_e164(const char *in, char out[16], const char **why);
/* Whether s is any valid E.164 number. */
int mesh_phone_is_e164(const char *s);

/* ---- Logging ---------------------------------------------------------------
 */

typedef enum mesh_log_level {
	MESH_LOG_DEBUG,
	MESH_LOG_INFO,
	MESH_LOG_WARN,
	MESH_LOG_ERROR
} mesh_log_level;

/* One JSON line: time, level, service, request_id, trace_id, msg, and the
 * fields of fields (borrowed, may be NULL). req may be NULL. */
void mesh_log(const mesh_req *req, mesh_log_level level, json_t *fields,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
