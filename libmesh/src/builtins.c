/* builtins.c: the methods every service answers without writing them. */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "metrics.h"
#include "req.h"
#include "runtime.h"
#include "service.h"

static json_t *string_list(char **items, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

static void builtin_health(mesh_req *req, json_t *args)
{
	server *srv = service_server();
	kv *k = service_kv();
	const char *redis = !k ? "none" : kv_is_connected(k) ? "up" : "down";

	(void)args;
	mesh_reply(
	    req,
	    json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:I, s:I}", "status",
	              service_draining() ? "draining" : "ok", "service",
	              mesh_service_name(), "instance", config_get()->instance,
	              "pid", (int)getpid(), "uptime_ms",
	              (json_int_t)(runtime_now_ms() - service_started_ms()),
	              "redis", redis, "in_flight",
	              (json_int_t)(srv ? server_in_flight(srv) : 0),
	              "connections",
	              (json_int_t)(srv ? server_connections(srv) : 0)));
}

static void builtin_metrics(mesh_req *req, json_t *args)
{
	server *srv = service_server();

	(void)args;
	mesh_reply(
	    req,
	    json_pack(
	        "{s:s, s:i, s:I, s:I, s:I, s:o}", "service",
	        mesh_service_name(), "pid", (int)getpid(), "uptime_ms",
	        (json_int_t)(runtime_now_ms() - service_started_ms()),
	        "in_flight", (json_int_t)(srv ? server_in_flight(srv) : 0),
	        "connections", (json_int_t)(srv ? server_connections(srv) : 0),
	        "methods", metrics_json()));
}

static void builtin_methods(mesh_req *req, json_t *args)
{
	const manifest_service *s =
	    manifest_service_find(service_manifest(), mesh_service_name());

	(void)args;
	if (!s) {
		mesh_fail(req, MESH_ENOTFOUND, "%s is not in the manifest",
		          mesh_service_name());
		return;
	}
	json_t *methods = string_list(s->methods, s->n_methods);
	json_array_append_new(methods, json_string("_health"));
	json_array_append_new(methods, json_string("_metrics"));
	json_array_append_new(methods, json_string("_methods"));
	mesh_reply(
	    req,
	    json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "service", s->name,
	              "description", s->description ? s->description : "",
	              "methods", methods, "calls",
	              string_list(s->calls, s->n_calls), "publishes",
	              string_list(s->publishes, s->n_publishes), "subscribes",
	              string_list(s->subscribes, s->n_subscribes)));
}

mesh_handler_fn builtin_lookup(const char *name)
{
	if (strcmp(name, "_health") == 0)
		return builtin_health;
	if (strcmp(name, "_metrics") == 0)
		return builtin_metrics;
	if (strcmp(name, "_methods") == 0)
		return builtin_methods;
	return NULL;
}
