/*
 * test_manifest.c: proto/mesh.json loads and is coherent; every broken
 * manifest is refused with the exact place and value; the queries
 * (may_call, binds, start order) follow the rules of manifest.h. Runs from
 * the repository root.
 */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#define MESH_JSON "proto/mesh.json"

/* JSON written with single quotes reads better in C; swap them. */
static char *dq(const char *text)
{
	char *s = strdup(text), *p;

	ck_assert_ptr_nonnull(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static manifest *load_q(const char *text, char *err, size_t err_len)
{
	char *s = dq(text);
	manifest *m = manifest_load_string(s, err, err_len);

	free(s);
	return m;
}

static manifest *load_ok(const char *text)
{
	char err[512] = "";
	manifest *m = load_q(text, err, sizeof(err));

	ck_assert_msg(m != NULL, "%s", err);
	return m;
}

static void expect_error(const char *text, const char *want)
{
	char err[512] = "";
	manifest *m = load_q(text, err, sizeof(err));

	if (m)
		manifest_free(m);
	ck_assert_msg(m == NULL, "loaded, expected: %s", want);
	ck_assert_str_eq(err, want);
}

/* ---- proto/mesh.json -------------------------------------------------- */

static manifest *load_mesh(void)
{
	char err[512] = "";
	manifest *m = manifest_load_file(MESH_JSON, err, sizeof(err));

	ck_assert_msg(m != NULL, "%s", err);
	return m;
}

START_TEST(mesh_json_loads)
{
	manifest *m = load_mesh();
	const manifest_service *gw = manifest_service_find(m, "gateway");

	ck_assert_int_eq(m->version, 1);
	ck_assert_uint_eq(m->n_services, 29);
	ck_assert_ptr_nonnull(gw);
	ck_assert_uint_eq(gw->n_methods, 0);
	ck_assert(manifest_binds(m, "gateway", "auth"));
	ck_assert(manifest_binds(m, "gateway", "rate-limit"));
	ck_assert_int_eq(m->default_timeout_ms, 5000);
	ck_assert_int_eq(m->event_attempts, 5);
	manifest_free(m);
}
END_TEST

START_TEST(mesh_json_declares_every_named_method)
{
	/* Every method SERVICES.md names, plus the logger sink and the
	 * methods the scheduler fires. */
	static const char *const want[][2] = {
	    {"leads-intake", "create"},
	    {"leads-intake", "get"},
	    {"leads-intake", "list"},
	    {"leads-intake", "update_status"},
	    {"lead-score", "score"},
	    {"dedupe", "check"},
	    {"dedupe", "forget"},
	    {"address", "normalize"},
	    {"comps", "add"},
	    {"comps", "import"},
	    {"comps", "search"},
	    {"valuation", "estimate"},
	    {"repair-estimate", "estimate"},
	    {"offer-calc", "calculate"},
	    {"offer-check", "grade"},
	    {"sentiment", "analyze"},
	    {"market-stats", "stats"},
	    {"slack-notify", "send"},
	    {"email", "send"},
	    {"sms", "send"},
	    {"sms", "inbound"},
	    {"followup", "list"},
	    {"appointments", "slots"},
	    {"appointments", "book"},
	    {"appointments", "cancel"},
	    {"stripe", "webhook"},
	    {"billing", "check_quota"},
	    {"billing", "usage"},
	    {"auth", "create"},
	    {"auth", "verify"},
	    {"auth", "revoke"},
	    {"auth", "list"},
	    {"rate-limit", "hit"},
	    {"logger", "ingest"},
	    {"logger", "query"},
	    {"logger", "tail"},
	    {"analytics", "track"},
	    {"analytics", "report"},
	    {"scheduler", "list"},
	    {"scheduler", "run_now"},
	    {"webhooks", "subscribe"},
	    {"crm-sync", "sync"},
	    {"audit", "record"},
	    {"audit", "list"},
	    {"audit", "verify"},
	    {"flags", "evaluate"},
	    {"flags", "set"},
	    {"flags", "list"},
	    {"documents", "create"},
	    {"documents", "get"},
	};
	manifest *m = load_mesh();
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(
		    manifest_service_has_method(
		        manifest_service_find(m, want[i][0]), want[i][1]),
		    "%s.%s", want[i][0], want[i][1]);
	manifest_free(m);
}
END_TEST

START_TEST(mesh_json_bindings)
{
	static const char *const want[][2] = {
	    {"leads-intake", "address"}, {"leads-intake", "dedupe"},
	    {"leads-intake", "billing"}, {"valuation", "comps"},
	    {"offer-calc", "valuation"}, {"offer-calc", "repair-estimate"},
	    {"lead-score", "valuation"}, {"lead-score", "sentiment"},
	    {"market-stats", "comps"},   {"followup", "email"},
	    {"followup", "sms"},         {"appointments", "email"},
	    {"appointments", "sms"},
	};
	manifest *m = load_mesh();
	size_t i, j;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(manifest_binds(m, want[i][0], want[i][1]),
		              "%s -> %s", want[i][0], want[i][1]);
	for (i = 0; i < m->n_services; i++) {
		const manifest_service *s = &m->services[i];

		/* Everyone ships logs to the logger, which calls nobody. */
		if (strcmp(s->name, "logger") == 0)
			ck_assert_uint_eq(s->n_calls, 0);
		else
			ck_assert_msg(manifest_binds(m, s->name, "logger"),
			              "%s", s->name);
		/* The scheduler can fire every cron entry. */
		for (j = 0; j < s->n_cron; j++)
			ck_assert_msg(manifest_may_call(m, "scheduler", s->name,
			                                s->cron[j].method),
			              "scheduler -> %s.%s", s->name,
			              s->cron[j].method);
	}
	manifest_free(m);
}
END_TEST

START_TEST(mesh_json_events_and_cron)
{
	manifest *m = load_mesh();
	const manifest_service *s;
	size_t i;

	s = manifest_service_find(m, "followup");
	ck_assert_uint_eq(s->n_cron, 1);
	ck_assert_str_eq(s->cron[0].schedule, "* * * * *");
	ck_assert_str_eq(s->cron[0].method, "tick");
	s = manifest_service_find(m, "slack-notify");
	ck_assert_uint_eq(s->n_cron, 1);
	ck_assert_str_eq(s->cron[0].method, "daily_digest");
	ck_assert_uint_eq(s->cron[0].expr.hours, 1u << 8);
	ck_assert_uint_eq(s->cron[0].expr.minutes, 1u);
	for (i = 0; i < s->n_subscribes; i++)
		if (strcmp(s->subscribes[i], "alert") == 0)
			break;
	ck_assert_uint_lt(i, s->n_subscribes);

	/* Analytics and webhooks see every domain topic. */
	{
		static const char *const domain[] = {
		    "lead.created",        "lead.scored",
		    "lead.status_changed", "offer.graded",
		    "payment.succeeded",   "subscription.updated"};
		const manifest_service *a =
		    manifest_service_find(m, "analytics");
		const manifest_service *w =
		    manifest_service_find(m, "webhooks");
		size_t j, k, found;

		for (j = 0; j < sizeof(domain) / sizeof(domain[0]); j++) {
			for (found = 0, k = 0; k < a->n_subscribes; k++)
				found += !strcmp(a->subscribes[k], domain[j]);
			for (k = 0; k < w->n_subscribes; k++)
				found += !strcmp(w->subscribes[k], domain[j]);
			ck_assert_msg(found == 2, "%s", domain[j]);
		}
	}
	manifest_free(m);
}
END_TEST

START_TEST(mesh_json_routes_resolve)
{
	manifest *m = load_mesh();
	size_t i, publics = 0, admins = 0;

	ck_assert_uint_ge(m->n_routes, 40);
	for (i = 0; i < m->n_routes; i++) {
		const manifest_route *r = &m->routes[i];
		const manifest_service *s =
		    manifest_service_find(m, r->service);

		ck_assert_msg(s != NULL, "%s", r->path);
		ck_assert(manifest_service_has_method(s, r->method));
		ck_assert(
		    manifest_may_call(m, "gateway", r->service, r->method));
		ck_assert(strncmp(r->path, "/api/", 5) == 0);
		if (r->auth == MANIFEST_AUTH_PUBLIC) {
			publics++;
			ck_assert_msg(
			    !strcmp(r->path, "/api/leads") ||
			        !strcmp(r->path, "/api/address/normalize") ||
			        !strcmp(r->path, "/api/stripe/webhook") ||
			        !strcmp(r->path, "/api/sms/inbound"),
			    "public %s", r->path);
		} else if (r->auth == MANIFEST_AUTH_ADMIN) {
			admins++;
			ck_assert_msg(
			    !strncmp(r->path, "/api/keys", 9) ||
			        !strcmp(r->path, "/api/logs") ||
			        (!strcmp(r->path, "/api/flags/:name") &&
			         !strcmp(r->http_method, "PUT")),
			    "admin %s", r->path);
		} else {
			ck_assert_msg(r->n_scopes > 0, "%s %s has no scope",
			              r->http_method, r->path);
		}
		if (!strcmp(r->path, "/api/stripe/webhook"))
			ck_assert_int_eq(r->raw_body, 1);
		if (!strcmp(r->path, "/api/leads") &&
		    !strcmp(r->http_method, "POST")) {
			ck_assert_int_eq(r->cors, 1);
			ck_assert_str_eq(r->method, "create");
		}
	}
	ck_assert_uint_eq(publics, 4);
	ck_assert_uint_eq(admins, 5);
	manifest_free(m);
}
END_TEST

START_TEST(mesh_json_start_order)
{
	manifest *m = load_mesh();
	size_t order[MANIFEST_MAX_SERVICES], pos[MANIFEST_MAX_SERVICES];
	size_t i, j;

	memset(pos, 0xff, sizeof(pos));
	manifest_start_order(m, order);
	for (i = 0; i < m->n_services; i++) {
		ck_assert_uint_lt(order[i], m->n_services);
		ck_assert_msg(pos[order[i]] == (size_t)-1, "listed twice");
		pos[order[i]] = i;
	}
	ck_assert_str_eq(m->services[order[0]].name, "logger");
	/* No cycles in the real manifest: every callee starts earlier. */
	for (i = 0; i < m->n_services; i++) {
		const manifest_service *s = &m->services[i];

		for (j = 0; j < s->n_calls; j++) {
			size_t c =
			    (size_t)(manifest_service_find(m, s->calls[j]) -
			             m->services);

			ck_assert_msg(pos[c] < pos[i], "%s before %s",
			              s->calls[j], s->name);
		}
	}
	manifest_free(m);
}
END_TEST

START_TEST(load_file_errors)
{
	char err[512];
	manifest *m;

	m = manifest_load_file("tests/unit/manifests/no-such.json", err,
	                       sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "unable to open tests/unit/manifests/"
	                      "no-such.json: No such file or directory");

	m = manifest_load_file("tests/unit/manifests/bad-syntax.json", err,
	                       sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "tests/unit/manifests/bad-syntax.json:5:7: "
	                      "string or '}' expected near ','");

	m = manifest_load_file("tests/unit/manifests/unknown-call.json", err,
	                       sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(
	    err, "services.valuation.calls[1]: unknown service \"comp\"");

	m = manifest_load_file(NULL, err, sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "manifest: no path given");
	m = manifest_load_string(NULL, err, sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "manifest: no text given");
}
END_TEST

/* ---- Broken manifests -------------------------------------------------- */

/* A small valid manifest the cases below break one piece at a time. */
#define SVC_OK                                                                 \
	"'gateway':{'calls':['auth']},"                                        \
	"'auth':{'methods':['verify']},"                                       \
	"'comps':{'methods':['search','add'],'publishes':['comp.added']},"     \
	"'valuation':{'methods':['estimate'],'calls':['comps']}"

static const struct {
	const char *name;
	const char *json;
	const char *err;
} broken[] = {
    /* JSON itself */
    {"syntax", "{\n  'version': 1,\n  'services': {,}\n}",
     "<string>:3:16: string or '}' expected near ','"},
    {"duplicate key", "{'version':1,'version':1}",
     "<string>:1:22: duplicate object key near '\"version\"'"},
    {"empty", "", "<string>:1:0: '[' or '{' expected near end of file"},
    {"not an object", "[]", "manifest: expected an object, got an array"},
    /* Top level */
    {"missing version", "{'services':{" SVC_OK "}}",
     "manifest: missing key \"version\""},
    {"version 2", "{'version':2,'services':{" SVC_OK "}}",
     "version: unsupported version 2 (this loader reads 1)"},
    {"version string", "{'version':'1','services':{" SVC_OK "}}",
     "version: expected an integer, got a string"},
    {"unknown top key", "{'version':1,'servces':{}}",
     "servces: unknown key (did you mean \"services\"?)"},
    {"unknown top key far", "{'version':1,'extra':{}}", "extra: unknown key"},
    {"missing services", "{'version':1}", "manifest: missing key \"services\""},
    {"no services", "{'version':1,'services':{}}",
     "services: expected at least one service"},
    {"services array", "{'version':1,'services':[]}",
     "services: expected an object, got an array"},
    {"defaults key", "{'version':1,'defaults':{'timeout':5},'services':{}}",
     "defaults.timeout: unknown key (did you mean \"timeout_ms\"?)"},
    {"defaults attempts 0",
     "{'version':1,'defaults':{'event_attempts':0},'services':{}}",
     "defaults.event_attempts: 0 is out of range 1-100"},
    {"defaults timeout real",
     "{'version':1,'defaults':{'timeout_ms':1.5},'services':{}}",
     "defaults.timeout_ms: expected an integer, got a number with a "
     "fraction"},
    /* Services */
    {"unknown service key",
     "{'version':1,'services':{'email':{'subscribe':[]}}}",
     "services.email.subscribe: unknown key (did you mean "
     "\"subscribes\"?)"},
    {"unknown service key far",
     "{'version':1,'services':{'email':{'colour':'red'}}}",
     "services.email.colour: unknown key"},
    {"service not object", "{'version':1,'services':{'email':[]}}",
     "services.email: expected an object, got an array"},
    {"unknown call",
     "{'version':1,'services':{'comps':{},'valuation':{'calls':['comps',"
     "'comp']}}}",
     "services.valuation.calls[1]: unknown service \"comp\""},
    {"self call", "{'version':1,'services':{'comps':{'calls':['comps']}}}",
     "services.comps.calls[0]: a service may not call itself (\"comps\")"},
    {"duplicate call",
     "{'version':1,'services':{'a':{},'b':{'calls':['a','a']}}}",
     "services.b.calls[1]: duplicate of services.b.calls[0] (\"a\")"},
    {"duplicate method",
     "{'version':1,'services':{'a':{'methods':['x','y','x']}}}",
     "services.a.methods[2]: duplicate of services.a.methods[0] (\"x\")"},
    {"calls not array", "{'version':1,'services':{'a':{'calls':'b'}}}",
     "services.a.calls: expected an array, got a string"},
    {"method not string", "{'version':1,'services':{'a':{'methods':[1]}}}",
     "services.a.methods[0]: expected a string, got an integer"},
    {"unpublished topic",
     "{'version':1,'services':{'a':{'publishes':['lead.created']},"
     "'b':{'subscribes':['lead.created','lead.scored']}}}",
     "services.b.subscribes[1]: no service publishes \"lead.scored\""},
    {"service name upper", "{'version':1,'services':{'Leads':{}}}",
     "services: bad service name \"Leads\" (expected [a-z][a-z0-9-], at "
     "most 63 characters)"},
    {"service name digit", "{'version':1,'services':{'1a':{}}}",
     "services: bad service name \"1a\" (expected [a-z][a-z0-9-], at most "
     "63 characters)"},
    {"service name underscore", "{'version':1,'services':{'a_b':{}}}",
     "services: bad service name \"a_b\" (expected [a-z][a-z0-9-], at most "
     "63 characters)"},
    {"call bad name", "{'version':1,'services':{'a':{'calls':['B']}}}",
     "services.a.calls[0]: bad service name \"B\" (expected [a-z][a-z0-9-], "
     "at most 63 characters)"},
    {"method builtin", "{'version':1,'services':{'a':{'methods':['_health']}}}",
     "services.a.methods[0]: \"_health\" is a builtin name: declared "
     "methods may not start with '_'"},
    {"method upper", "{'version':1,'services':{'a':{'methods':['Create']}}}",
     "services.a.methods[0]: bad method name \"Create\" (expected "
     "[a-z][a-z0-9_], at most 64 characters)"},
    {"method dash", "{'version':1,'services':{'a':{'methods':['run-now']}}}",
     "services.a.methods[0]: bad method name \"run-now\" (expected "
     "[a-z][a-z0-9_], at most 64 characters)"},
    {"method empty", "{'version':1,'services':{'a':{'methods':['']}}}",
     "services.a.methods[0]: bad method name \"\" (expected "
     "[a-z][a-z0-9_], at most 64 characters)"},
    {"topic upper",
     "{'version':1,'services':{'a':{'publishes':['Lead.Created']}}}",
     "services.a.publishes[0]: bad topic name \"Lead.Created\" (expected "
     "[a-z0-9._-], 1 to 64 characters)"},
    {"topic space", "{'version':1,'services':{'a':{'subscribes':['a b']}}}",
     "services.a.subscribes[0]: bad topic name \"a b\" (expected "
     "[a-z0-9._-], 1 to 64 characters)"},
    {"instances 0", "{'version':1,'services':{'a':{'instances':0}}}",
     "services.a.instances: 0 is out of range 1-64"},
    {"instances 65", "{'version':1,'services':{'a':{'instances':65}}}",
     "services.a.instances: 65 is out of range 1-64"},
    {"timeout 0", "{'version':1,'services':{'a':{'timeout_ms':0}}}",
     "services.a.timeout_ms: 0 is out of range 1-600000"},
    {"timeout 600001", "{'version':1,'services':{'a':{'timeout_ms':600001}}}",
     "services.a.timeout_ms: 600001 is out of range 1-600000"},
    {"timeout string", "{'version':1,'services':{'a':{'timeout_ms':'5s'}}}",
     "services.a.timeout_ms: expected an integer, got a string"},
    {"description newline",
     "{'version':1,'services':{'a':{'description':'two\\nlines'}}}",
     "services.a.description: must be one line without control "
     "characters"},
    {"description type", "{'version':1,'services':{'a':{'description':1}}}",
     "services.a.description: expected a string, got an integer"},
    /* Cron */
    {"bad cron hour",
     "{'version':1,'services':{'followup':{'methods':['tick'],'cron':[{"
     "'schedule':'0 24 * * *','method':'tick'}]}}}",
     "services.followup.cron[0].schedule: hour: 24 is out of range 0-23"},
    {"bad cron fields",
     "{'version':1,'services':{'followup':{'methods':['tick'],'cron':[{"
     "'schedule':'* * * *','method':'tick'}]}}}",
     "services.followup.cron[0].schedule: expected 5 fields, got 4"},
    {"cron never fires",
     "{'version':1,'services':{'a':{'methods':['tick'],'cron':[{"
     "'schedule':'0 0 30 2 *','method':'tick'}]}}}",
     "services.a.cron[0].schedule: \"0 0 30 2 *\" never fires within five "
     "years"},
    {"cron undeclared method",
     "{'version':1,'services':{'a':{'methods':['tick'],'cron':[{"
     "'schedule':'@daily','method':'tock'}]}}}",
     "services.a.cron[0].method: service \"a\" has no method \"tock\""},
    {"cron builtin method",
     "{'version':1,'services':{'a':{'cron':[{'schedule':'@daily','method':"
     "'_health'}]}}}",
     "services.a.cron[0].method: \"_health\" is a builtin name: declared "
     "methods may not start with '_'"},
    {"cron missing schedule",
     "{'version':1,'services':{'a':{'methods':['tick'],'cron':[{'method':"
     "'tick'}]}}}",
     "services.a.cron[0]: missing key \"schedule\""},
    {"cron unknown key",
     "{'version':1,'services':{'a':{'methods':['tick'],'cron':[{"
     "'schedule':'@daily','method':'tick','at':'x'}]}}}",
     "services.a.cron[0].at: unknown key"},
    {"cron duplicate",
     "{'version':1,'services':{'a':{'methods':['tick'],'cron':["
     "{'schedule':'@daily','method':'tick'},"
     "{'schedule':'@daily','method':'tick'}]}}}",
     "services.a.cron[1]: duplicate of services.a.cron[0]"},
    {"cron not array",
     "{'version':1,'services':{'a':{'cron':{'schedule':'@daily'}}}}",
     "services.a.cron: expected an array, got an object"},
    {"scheduler misses cron service",
     "{'version':1,'services':{'scheduler':{'calls':['a']},'a':{},"
     "'b':{'methods':['tick'],'cron':[{'schedule':'@hourly','method':"
     "'tick'}]}}}",
     "services.scheduler.calls: missing \"b\", which has cron entries: the "
     "scheduler fires them"},
    /* Routes */
    {"routes without gateway",
     "{'version':1,'services':{'a':{'methods':['x']}},'routes':[{'method':"
     "'GET','path':'/a','service':'a','call':'x'}]}",
     "routes: service \"gateway\" must exist when routes exist"},
    {"routes not array", "{'version':1,'services':{" SVC_OK "},'routes':{}}",
     "routes: expected an array, got an object"},
    {"route unknown key",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','rawbody':true}]}",
     "routes[0].rawbody: unknown key (did you mean \"raw_body\"?)"},
    {"route missing call",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps'}]}",
     "routes[0]: missing key \"call\""},
    {"route method unknown",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'FETCH',"
     "'path':'/api/comps','service':'comps','call':'search'}]}",
     "routes[0].method: unknown HTTP method \"FETCH\" (expected GET, POST, "
     "PUT, PATCH or DELETE)"},
    {"route method lowercase",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'get',"
     "'path':'/api/comps','service':'comps','call':'search'}]}",
     "routes[0].method: unknown HTTP method \"get\" (expected GET, POST, "
     "PUT, PATCH or DELETE)"},
    {"route unknown service",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'compz','call':'search'}]}",
     "routes[0].service: unknown service \"compz\""},
    {"route undeclared method",
     "{'version':1,'services':{" SVC_OK "},'routes':["
     "{'method':'GET','path':'/api/comps','service':'comps','call':'search'},"
     "{'method':'POST','path':'/api/comps','service':'comps','call':'add'},"
     "{'method':'GET','path':'/api/comps/x','service':'comps','call':"
     "'serch'}]}",
     "routes[2].call: service \"comps\" has no method \"serch\""},
    {"route to builtin",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/health','service':'comps','call':'_health'}]}",
     "routes[0].call: service \"comps\" has no method \"_health\""},
    {"route duplicate",
     "{'version':1,'services':{" SVC_OK "},'routes':["
     "{'method':'GET','path':'/api/comps','service':'comps','call':'search'},"
     "{'method':'POST','path':'/api/comps','service':'comps','call':'add'},"
     "{'method':'GET','path':'/api/comps','service':'comps','call':'add'}]}",
     "routes[2].path: duplicate of routes[0] (GET /api/comps)"},
    {"route duplicate param shape",
     "{'version':1,'services':{" SVC_OK "},'routes':["
     "{'method':'GET','path':'/api/x','service':'comps','call':'search'},"
     "{'method':'GET','path':'/api/leads/:id','service':'comps','call':"
     "'search'},"
     "{'method':'POST','path':'/api/leads/:id','service':'comps','call':"
     "'add'},"
     "{'method':'GET','path':'/api/leads/:lead','service':'comps','call':"
     "'add'}]}",
     "routes[3].path: duplicate of routes[1] (GET /api/leads/:id)"},
    {"path no slash",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'api/comps','service':'comps','call':'search'}]}",
     "routes[0].path: \"api/comps\" must start with \"/\""},
    {"path empty segment",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api//comps','service':'comps','call':'search'}]}",
     "routes[0].path: empty segment in \"/api//comps\""},
    {"path trailing slash",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps/','service':'comps','call':'search'}]}",
     "routes[0].path: empty segment in \"/api/comps/\""},
    {"path root",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/','service':'comps','call':'search'}]}",
     "routes[0].path: empty segment in \"/\""},
    {"path query",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps?x=1','service':'comps','call':'search'}]}",
     "routes[0].path: bad segment \"comps?x=1\" in \"/api/comps?x=1\" "
     "(expected [A-Za-z0-9._~-] or \":name\")"},
    {"path empty param",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/:','service':'comps','call':'search'}]}",
     "routes[0].path: bad parameter \":\" in \"/api/:\" (expected "
     "\":name\", name [a-z_][a-z0-9_]*)"},
    {"path param upper",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/:Id','service':'comps','call':'search'}]}",
     "routes[0].path: bad parameter \":Id\" in \"/api/:Id\" (expected "
     "\":name\", name [a-z_][a-z0-9_]*)"},
    {"path param twice",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/:id/x/:id','service':'comps','call':'search'}]}",
     "routes[0].path: parameter \":id\" appears twice in \"/api/:id/x/:id\""},
    {"path type",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "7,'service':'comps','call':'search'}]}",
     "routes[0].path: expected a string, got an integer"},
    {"bad auth",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','auth':'secret'}]}",
     "routes[0].auth: unknown auth \"secret\" (expected public, key or "
     "admin)"},
    {"scopes with public",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','auth':'public',"
     "'scopes':['comps:read']}]}",
     "routes[0].scopes: only allowed with auth \"key\""},
    {"scopes with admin",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','auth':'admin',"
     "'scopes':['comps:read']}]}",
     "routes[0].scopes: only allowed with auth \"key\""},
    {"bad scope",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','scopes':['Comps "
     "read']}]}",
     "routes[0].scopes[0]: bad scope \"Comps read\" (expected "
     "[a-z][a-z0-9_.:-], at most 64 characters)"},
    {"duplicate scope",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','scopes':['a:r','a:r']"
     "}]}",
     "routes[0].scopes[1]: duplicate of routes[0].scopes[0] (\"a:r\")"},
    {"cors string",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','cors':'yes'}]}",
     "routes[0].cors: expected a boolean, got a string"},
    {"raw_body null",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','raw_body':null}]}",
     "routes[0].raw_body: expected a boolean, got null"},
    {"rate_limit number",
     "{'version':1,'services':{" SVC_OK "},'routes':[{'method':'GET','path':"
     "'/api/comps','service':'comps','call':'search','rate_limit':0}]}",
     "routes[0].rate_limit: expected a boolean, got an integer"},
    {"route not object",
     "{'version':1,'services':{" SVC_OK "},'routes':['GET /api/comps']}",
     "routes[0]: expected an object, got a string"},
    /* Offending values are shown safely. */
    {"escaped value",
     "{'version':1,'services':{'a':{'calls':['b\\u0001\\'q']}}}",
     "services.a.calls[0]: bad service name \"b\\x01\\x22q\" (expected "
     "[a-z][a-z0-9-], at most 63 characters)"},
};

START_TEST(rejects_broken)
{
	char err[512] = "";
	char *s = dq(broken[_i].json);
	manifest *m;

	m = manifest_load_string(s, err, sizeof(err));
	free(s);
	if (m)
		manifest_free(m);
	ck_assert_msg(m == NULL, "%s: loaded", broken[_i].name);
	ck_assert_msg(strcmp(err, broken[_i].err) == 0,
	              "%s:\n got  %s\n want %s", broken[_i].name, err,
	              broken[_i].err);
}
END_TEST

START_TEST(error_buffer_handling)
{
	char err[16];
	manifest *m;

	m = load_q("{'version':1,'services':{'a':{'instances':0}}}", err,
	           sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "services.a.inst");
	m = load_q("{'version':1,'services':{'a':{'instances':0}}}", NULL, 0);
	ck_assert_ptr_null(m);
	m = load_q("{'version':1,'services':{'a':{'instances':0}}}", err, 1);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "");
	manifest_free(NULL);
}
END_TEST

/* ---- Limits at their boundaries ---------------------------------------- */

/* A growing text buffer for generated manifests. */
typedef struct buf {
	char *s;
	size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		ck_assert_int_ge(n, 0);
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = (b->cap + (size_t)n) * 2;
		b->s = realloc(b->s, b->cap);
		ck_assert_ptr_nonnull(b->s);
	}
	b->len += (size_t)n;
}

static buf buf_new(void)
{
	buf b = {malloc(64), 0, 64};

	ck_assert_ptr_nonnull(b.s);
	b.s[0] = '\0';
	return b;
}

static manifest *load_buf(buf *b, char *err, size_t err_len)
{
	manifest *m = load_q(b->s, err, err_len);

	free(b->s);
	b->s = NULL;
	return m;
}

/* A manifest whose service "a" declares n methods. */
static manifest *with_methods(size_t n, char *err, size_t err_len)
{
	buf b = buf_new();
	size_t i;

	put(&b, "{'version':1,'services':{'a':{'methods':[");
	for (i = 0; i < n; i++)
		put(&b, "%s'm%zu'", i ? "," : "", i);
	put(&b, "]}}}");
	return load_buf(&b, err, err_len);
}

static manifest *with_services(size_t n, char *err, size_t err_len)
{
	buf b = buf_new();
	size_t i;

	put(&b, "{'version':1,'services':{");
	for (i = 0; i < n; i++)
		put(&b, "%s's%zu':{}", i ? "," : "", i);
	put(&b, "}}");
	return load_buf(&b, err, err_len);
}

static manifest *with_routes(size_t n, char *err, size_t err_len)
{
	buf b = buf_new();
	size_t i;

	put(&b, "{'version':1,'services':{'gateway':{},'a':{'methods':['x']}},"
	        "'routes':[");
	for (i = 0; i < n; i++)
		put(&b,
		    "%s{'method':'GET','path':'/r/%zu','service':'a',"
		    "'call':'x'}",
		    i ? "," : "", i);
	put(&b, "]}");
	return load_buf(&b, err, err_len);
}

static manifest *with_route_path(const char *path, char *err, size_t err_len)
{
	buf b = buf_new();

	put(&b,
	    "{'version':1,'services':{'gateway':{},'a':{'methods':['x']}},"
	    "'routes':[{'method':'GET','path':'%s','service':'a','call':'x'}]}",
	    path);
	return load_buf(&b, err, err_len);
}

static manifest *with_name(const char *service, const char *method,
                           const char *topic, char *err, size_t err_len)
{
	buf b = buf_new();

	put(&b,
	    "{'version':1,'services':{'%s':{'methods':['%s'],'publishes':['%s']"
	    "}}}",
	    service, method, topic);
	return load_buf(&b, err, err_len);
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

START_TEST(limits_lists_services_routes)
{
	char err[512];
	manifest *m;

	m = with_methods(MANIFEST_MAX_LIST, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_uint_eq(m->services[0].n_methods, MANIFEST_MAX_LIST);
	manifest_free(m);
	ck_assert_ptr_null(
	    with_methods(MANIFEST_MAX_LIST + 1, err, sizeof(err)));
	ck_assert_str_eq(err, "services.a.methods: 257 entries, at most 256 "
	                      "allowed");

	m = with_services(MANIFEST_MAX_SERVICES, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	manifest_free(m);
	ck_assert_ptr_null(
	    with_services(MANIFEST_MAX_SERVICES + 1, err, sizeof(err)));
	ck_assert_str_eq(err, "services: 257 services, at most 256 allowed");

	m = with_routes(MANIFEST_MAX_ROUTES, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	manifest_free(m);
	ck_assert_ptr_null(
	    with_routes(MANIFEST_MAX_ROUTES + 1, err, sizeof(err)));
	ck_assert_str_eq(err, "routes: 1025 routes, at most 1024 allowed");
}
END_TEST

START_TEST(limits_paths)
{
	char err[512], path[MANIFEST_PATH_MAX + 2];
	manifest *m;
	int i;

	/* 16 segments pass, 17 do not. */
	path[0] = '\0';
	for (i = 0; i < MANIFEST_PATH_SEGMENTS_MAX; i++)
		strcat(path, "/s");
	m = with_route_path(path, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_uint_eq(m->routes[0].n_segments, MANIFEST_PATH_SEGMENTS_MAX);
	manifest_free(m);
	strcat(path, "/s");
	ck_assert_ptr_null(with_route_path(path, err, sizeof(err)));
	ck_assert_str_eq(err,
	                 "routes[0].path: 17 segments, at most 16 allowed");

	/* 256 characters pass, 257 do not. */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[MANIFEST_PATH_MAX] = '\0';
	m = with_route_path(path, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	manifest_free(m);
	path[MANIFEST_PATH_MAX] = 'p';
	path[MANIFEST_PATH_MAX + 1] = '\0';
	ck_assert_ptr_null(with_route_path(path, err, sizeof(err)));
	ck_assert_str_eq(err,
	                 "routes[0].path: 257 characters, at most 256 allowed");
}
END_TEST

START_TEST(limits_names)
{
	char err[512];
	char *svc = repeat('s', MANIFEST_SERVICE_NAME_MAX);
	char *svc_long = repeat('s', MANIFEST_SERVICE_NAME_MAX + 1);
	char *meth = repeat('m', MANIFEST_METHOD_NAME_MAX);
	char *meth_long = repeat('m', MANIFEST_METHOD_NAME_MAX + 1);
	char *topic = repeat('t', MANIFEST_TOPIC_MAX);
	char *topic_long = repeat('t', MANIFEST_TOPIC_MAX + 1);
	manifest *m;

	m = with_name(svc, meth, topic, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	manifest_free(m);
	ck_assert_ptr_null(with_name(svc_long, meth, topic, err, sizeof(err)));
	ck_assert(strstr(err, "services: bad service name \"ssss") == err);
	ck_assert_ptr_null(with_name(svc, meth_long, topic, err, sizeof(err)));
	ck_assert(strstr(err, "methods[0]: bad method name \"mmm"));
	/* Long values are cut short in the message. */
	ck_assert(strstr(err, "mmm...\" (expected"));
	ck_assert_ptr_null(with_name(svc, meth, topic_long, err, sizeof(err)));
	ck_assert(strstr(err, "publishes[0]: bad topic name \"ttt"));
	free(svc);
	free(svc_long);
	free(meth);
	free(meth_long);
	free(topic);
	free(topic_long);
}
END_TEST

START_TEST(limits_numbers_accept_boundaries)
{
	manifest *m = load_ok("{'version':1,'defaults':{'timeout_ms':600000,'"
	                      "event_attempts':100},"
	                      "'services':{'a':{'instances':64},'b':{'"
	                      "instances':1,'timeout_ms':1}"
	                      "}}");

	ck_assert_int_eq(m->default_timeout_ms, 600000);
	ck_assert_int_eq(m->event_attempts, 100);
	ck_assert_int_eq(m->services[0].instances, 64);
	ck_assert_int_eq(m->services[0].timeout_ms, 600000);
	ck_assert_int_eq(m->services[1].timeout_ms, 1);
	manifest_free(m);
	expect_error("{'version':1,'defaults':{'event_attempts':101},"
	             "'services':{'a':{}}}",
	             "defaults.event_attempts: 101 is out of range 1-100");
	expect_error("{'version':1,'services':{'a':{'description':'" //
	             "0123456789012345678901234567890123456789"
	             "0123456789012345678901234567890123456789"
	             "0123456789012345678901234567890123456789"
	             "0123456789012345678901234567890123456789"
	             "0123456789012345678901234567890123456789x'}}}",
	             "services.a.description: 201 characters, at most 200 "
	             "allowed");
}
END_TEST

/* ---- What a valid manifest builds --------------------------------------- */

START_TEST(builds_fields_and_defaults)
{
	manifest *m = load_ok(
	    "{'version':1,'defaults':{'timeout_ms':750},'services':{"
	    "'gateway':{'calls':['auth']},"
	    "'auth':{'description':'keys','methods':['verify','create'],"
	    "'publishes':['key.created'],'instances':3,'timeout_ms':900},"
	    "'audit':{'methods':['tick'],'subscribes':['key.created'],"
	    "'cron':[{'schedule':'*/30 * * * *','method':'tick'}]}},"
	    "'routes':[{'method':'POST','path':'/api/keys/:id/x','service':"
	    "'auth','call':'create','scopes':['keys:write']},"
	    "{'method':'POST','path':'/api/"
	    "in','service':'auth','call':'create',"
	    "'auth':'public','cors':true,'raw_body':true,'rate_limit':false},"
	    "{'method':'GET','path':'/api/keys/:id/x','service':'auth','call':"
	    "'verify','auth':'admin'},"
	    "{'method':'POST','path':'/api/keys/all/x','service':'auth','call':"
	    "'verify','auth':'key'}]}");
	const manifest_service *auth = manifest_service_find(m, "auth");
	const manifest_service *audit = manifest_service_find(m, "audit");
	const manifest_route *r = &m->routes[0];

	ck_assert_int_eq(m->default_timeout_ms, 750);
	ck_assert_int_eq(m->event_attempts, 5);
	ck_assert_str_eq(auth->description, "keys");
	ck_assert_int_eq(auth->instances, 3);
	ck_assert_int_eq(auth->timeout_ms, 900);
	ck_assert_uint_eq(auth->n_methods, 2);
	ck_assert_str_eq(auth->methods[1], "create");
	ck_assert_str_eq(audit->description, "");
	ck_assert_int_eq(audit->instances, 1);
	ck_assert_int_eq(audit->timeout_ms, 750);
	ck_assert_uint_eq(audit->n_cron, 1);
	ck_assert_str_eq(audit->cron[0].schedule, "*/30 * * * *");
	ck_assert_uint_eq(audit->cron[0].expr.minutes,
	                  (UINT64_C(1) << 0) | (UINT64_C(1) << 30));

	ck_assert_str_eq(r->http_method, "POST");
	ck_assert_str_eq(r->path, "/api/keys/:id/x");
	ck_assert_uint_eq(r->n_segments, 4);
	ck_assert_str_eq(r->segments[0], "api");
	ck_assert_str_eq(r->segments[2], ":id");
	ck_assert_str_eq(r->service, "auth");
	ck_assert_str_eq(r->method, "create");
	ck_assert_int_eq(r->auth, MANIFEST_AUTH_KEY);
	ck_assert_uint_eq(r->n_scopes, 1);
	ck_assert_str_eq(r->scopes[0], "keys:write");
	ck_assert_int_eq(r->cors, 0);
	ck_assert_int_eq(r->raw_body, 0);
	ck_assert_int_eq(r->rate_limit, 1);
	ck_assert_int_eq(m->routes[1].auth, MANIFEST_AUTH_PUBLIC);
	ck_assert_int_eq(m->routes[1].rate_limit, 0);
	ck_assert_int_eq(m->routes[1].cors, 1);
	ck_assert_int_eq(m->routes[1].raw_body, 1);
	/* Same path, other method; a literal where another has a parameter:
	 * neither is a duplicate. */
	ck_assert_int_eq(m->routes[2].auth, MANIFEST_AUTH_ADMIN);
	ck_assert_int_eq(m->routes[3].auth, MANIFEST_AUTH_KEY);
	ck_assert_uint_eq(m->routes[3].n_scopes, 0);
	manifest_free(m);
}
END_TEST

/* ---- Queries ------------------------------------------------------------ */

START_TEST(may_call_rules)
{
	manifest *m = load_ok(
	    "{'version':1,'services':{"
	    "'gateway':{'calls':['auth']},"
	    "'auth':{'methods':['verify','create']},"
	    "'comps':{'methods':['search','add']},"
	    "'valuation':{'methods':['estimate'],'calls':['comps']}},"
	    "'routes':[{'method':'GET','path':'/api/comps','service':'comps',"
	    "'call':'search'}]}");

	/* Bound and declared. */
	ck_assert(manifest_may_call(m, "valuation", "comps", "search"));
	ck_assert(manifest_may_call(m, "valuation", "comps", "add"));
	/* Bound but not declared. */
	ck_assert(!manifest_may_call(m, "valuation", "comps", "delete"));
	/* Declared but not bound, in either direction. */
	ck_assert(!manifest_may_call(m, "comps", "valuation", "estimate"));
	ck_assert(!manifest_may_call(m, "valuation", "auth", "verify"));
	/* Builtins: always, from anyone, to a service that exists. */
	ck_assert(manifest_may_call(m, "comps", "valuation", "_health"));
	ck_assert(manifest_may_call(m, "meshctl", "auth", "_methods"));
	ck_assert(manifest_may_call(m, NULL, "auth", "_metrics"));
	ck_assert(!manifest_may_call(m, "comps", "nosuch", "_health"));
	/* The gateway: routed methods, plus its own bindings. */
	ck_assert(manifest_may_call(m, "gateway", "comps", "search"));
	ck_assert(!manifest_may_call(m, "gateway", "comps", "add"));
	ck_assert(!manifest_may_call(m, "gateway", "valuation", "estimate"));
	ck_assert(manifest_may_call(m, "gateway", "auth", "verify"));
	ck_assert(!manifest_may_call(m, "gateway", "auth", "delete"));
	/* Routes open nothing to other callers. */
	ck_assert(!manifest_may_call(m, "auth", "comps", "search"));
	/* Unknown names and NULLs. */
	ck_assert(!manifest_may_call(m, "nosuch", "comps", "search"));
	ck_assert(!manifest_may_call(m, "valuation", "nosuch", "search"));
	ck_assert(!manifest_may_call(m, "valuation", NULL, "search"));
	ck_assert(!manifest_may_call(m, "valuation", "comps", NULL));
	ck_assert(!manifest_may_call(NULL, "valuation", "comps", "search"));

	ck_assert(manifest_binds(m, "valuation", "comps"));
	ck_assert(!manifest_binds(m, "comps", "valuation"));
	ck_assert(!manifest_binds(m, "nosuch", "comps"));
	ck_assert(!manifest_binds(m, "valuation", NULL));
	ck_assert_ptr_null(manifest_service_find(m, "nosuch"));
	ck_assert_ptr_null(manifest_service_find(m, NULL));
	ck_assert(!manifest_service_has_method(NULL, "x"));
	ck_assert(!manifest_service_has_method(manifest_service_find(m, "auth"),
	                                       "_health"));
	manifest_free(m);
}
END_TEST

static void expect_order(const char *json, const char *want)
{
	manifest *m = load_ok(json);
	size_t order[MANIFEST_MAX_SERVICES], i;
	char got[256] = "";

	manifest_start_order(m, order);
	for (i = 0; i < m->n_services; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, m->services[order[i]].name);
	}
	ck_assert_str_eq(got, want);
	manifest_free(m);
}

START_TEST(start_order_rules)
{
	/* Callees first, whatever the manifest order. */
	expect_order("{'version':1,'services':{'x':{},'y':{'calls':['x']}}}",
	             "x y");
	expect_order("{'version':1,'services':{'y':{'calls':['x']},'x':{}}}",
	             "x y");
	/* Depth first in calls order; independent services keep manifest
	 * order. */
	expect_order("{'version':1,'services':{'app':{'calls':['db','log']},"
	             "'db':{'calls':['log']},'log':{},'other':{}}}",
	             "log db app other");
	/* A cycle a -> b -> a is broken at the edge back into a, the first
	 * in manifest order: b starts before a. */
	expect_order("{'version':1,'services':{'a':{'calls':['b']},"
	             "'b':{'calls':['a']},'c':{'calls':['a']}}}",
	             "b a c");
	expect_order("{'version':1,'services':{'b':{'calls':['a']},"
	             "'a':{'calls':['b']}}}",
	             "a b");
	/* A longer cycle. */
	expect_order("{'version':1,'services':{'p':{'calls':['q']},"
	             "'q':{'calls':['r']},'r':{'calls':['p','s']},'s':{}}}",
	             "s r q p");
	manifest_start_order(NULL, NULL);
}
END_TEST

/* ---- Mutations of the real manifest ------------------------------------- */

static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);

static size_t rnd(size_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (size_t)((rng_state * UINT64_C(2685821657736338717)) >> 33) % n;
}

/* Every value in the document with the container holding it. */
typedef struct node {
	json_t *parent;
	const char *key; /* NULL for an array element */
	size_t index;
} node;

static size_t collect(json_t *v, node *out, size_t n, size_t max)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, child)
		{
			if (n < max)
				out[n++] = (node){v, key, 0};
			n = collect(child, out, n, max);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child)
		{
			if (n < max)
				out[n++] = (node){v, NULL, i};
			n = collect(child, out, n, max);
		}
	}
	return n;
}

static json_t *odd_value(void)
{
	switch (rnd(9)) {
	case 0:
		return json_integer(0);
	case 1:
		return json_integer(100000000);
	case 2:
		return json_string("X");
	case 3:
		return json_string("_health");
	case 4:
		return json_string("logger");
	case 5:
		return json_array();
	case 6:
		return json_object();
	case 7:
		return json_true();
	default:
		return json_null();
	}
}

#define MUTATIONS 200
#define MAX_NODES 4096

/* One structural change anywhere in mesh.json must give either a manifest
 * or an error naming its place, and never a leak or a crash: this walks
 * the error paths of every partial build. */
START_TEST(mutations_fail_cleanly)
{
	json_error_t jerr;
	json_t *orig = json_load_file(MESH_JSON, 0, &jerr);
	static node nodes[MAX_NODES];
	int i, failed = 0;

	ck_assert_ptr_nonnull(orig);
	for (i = 0; i < MUTATIONS; i++) {
		json_t *doc = json_deep_copy(orig);
		size_t n = collect(doc, nodes, 0, MAX_NODES);
		node *pick = &nodes[rnd(n)];
		char err[512] = "", *text;
		manifest *m;

		ck_assert_uint_lt(n, MAX_NODES);
		switch (rnd(3)) {
		case 0:
			if (pick->key)
				json_object_del(pick->parent, pick->key);
			else
				json_array_remove(pick->parent, pick->index);
			break;
		case 1:
			if (pick->key)
				json_object_set_new(pick->parent, pick->key,
				                    odd_value());
			else
				json_array_set_new(pick->parent, pick->index,
				                   odd_value());
			break;
		default:
			/* Repeat an entry: duplicates, or a second route. */
			if (pick->key)
				json_object_set_new(pick->parent, "extra",
				                    odd_value());
			else
				json_array_append(
				    pick->parent,
				    json_array_get(pick->parent, pick->index));
			break;
		}
		text = json_dumps(doc, 0);
		ck_assert_ptr_nonnull(text);
		m = manifest_load_string(text, err, sizeof(err));
		if (m) {
			manifest_free(m);
		} else {
			failed++;
			ck_assert_msg(strstr(err, ": ") != NULL, "%s", err);
		}
		free(text);
		json_decref(doc);
	}
	json_decref(orig);
	ck_assert_int_gt(failed, MUTATIONS / 2);
}
END_TEST

static Suite *manifest_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("mesh.json");

	tcase_add_test(tc, mesh_json_loads);
	tcase_add_test(tc, mesh_json_declares_every_named_method);
	tcase_add_test(tc, mesh_json_bindings);
	tcase_add_test(tc, mesh_json_events_and_cron);
	tcase_add_test(tc, mesh_json_routes_resolve);
	tcase_add_test(tc, mesh_json_start_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, load_file_errors);
	tcase_add_loop_test(tc, rejects_broken, 0,
	                    (int)(sizeof(broken) / sizeof(broken[0])));
	tcase_add_test(tc, error_buffer_handling);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mutations_fail_cleanly);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, limits_lists_services_routes);
	tcase_add_test(tc, limits_paths);
	tcase_add_test(tc, limits_names);
	tcase_add_test(tc, limits_numbers_accept_boundaries);
	suite_add_tcase(s, tc);

	tc = tcase_create("queries");
	tcase_add_test(tc, builds_fields_and_defaults);
	tcase_add_test(tc, may_call_rules);
	tcase_add_test(tc, start_order_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(manifest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
