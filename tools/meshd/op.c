#include "op.h"

#include <stdlib.h>

#include "reap.h"
#include "runtime.h"

static op *ops;

op *op_new(mesh_req *req, child *c)
{
	op *o = calloc(1, sizeof *o);

	if (!o)
		return NULL;
	o->req = req;
	o->c = c;
	o->started_ms = o->stage_ms = runtime_now_ms();
	o->next = ops;
	ops = o;
	c->op = o;
	return o;
}

void op_free(op *o)
{
	for (op **pp = &ops; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	/* A stop this op asked for still completes; only its report goes. */
	reap_forget_arg(o);
	if (o->c->ready_arg == o)
		o->c->ready_cb = NULL;
	probe_cancel(o->probe);
	o->c->op = NULL;
	free(o);
}

void op_cancel_all(const char *why)
{
	while (ops) {
		op *o = ops;
		mesh_fail(o->req, MESH_EUNAVAILABLE, "%s: %s", o->c->name, why);
		op_free(o);
	}
}
