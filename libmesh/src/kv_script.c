/*
 * kv_script.c: Lua scripts by EVALSHA. EVAL sends the whole text with every
 * call and Redis hashes it again each time (~2.5 us of its one thread for
 * 600 bytes, redis-benchmark pipelined: EVAL 222k/s, EVALSHA 488k/s).
 *
 * The SHA-1 comes from Redis itself (SCRIPT LOAD, once per script and
 * process, asked at the first call, which runs by EVAL meanwhile), not from
 * libcrypto: initialising OpenSSL would cost a small daemon more resident
 * memory than all of its own. When Redis does not know the script
 * (restarted, SCRIPT FLUSH), the NOSCRIPT answer is retried once by EVAL,
 * which runs the script and caches it for the next EVALSHA. The retry runs
 * after commands sent meanwhile: a script is atomic, but two calls of one
 * service are ordered only by their callbacks.
 */
#include <stdlib.h>
#include <string.h>

#include "kv.h"

#define SHA1_HEX_LEN 40

typedef struct kv_eval_op {
	kv *k;
	mesh_kv_script *s;
	mesh_kv_fn cb;
	void *arg;
	int evaled; /* sent by EVAL: no retry */
	int argc;   /* with EVAL|EVALSHA and the script in front */
	const char **argv;
	size_t *lens;
	/* the arguments' bytes follow */
} kv_eval_op;

static void eval_send(kv_eval_op *op);

static void sha_loaded(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	mesh_kv_script *s = arg;
	const char *sha = json_string_value(reply);

	s->asked = 0;
	if (err == MESH_OK && sha && strlen(sha) == SHA1_HEX_LEN) {
		memcpy(s->sha, sha, SHA1_HEX_LEN + 1);
		return;
	}
	/* Asked again by the next call; until then EVAL does the work. A
	 * Redis that is down (or a kv being freed) is no news. */
	if (err != MESH_EUNAVAILABLE)
		mesh_log(NULL, MESH_LOG_WARN, NULL, "SCRIPT LOAD: %s",
		         err == MESH_OK ? "unexpected answer" : msg);
}

static void eval_answered(void *arg, mesh_err err, const char *msg,
                          json_t *reply)
{
	kv_eval_op *op = arg;

	if (err != MESH_OK && !op->evaled && msg &&
	    strncmp(msg, "NOSCRIPT", 8) == 0) {
		op->evaled = 1;
		eval_send(op);
		return;
	}
	op->cb(op->arg, err, msg, reply);
	free(op);
}

static void eval_send(kv_eval_op *op)
{
	mesh_kv_script *s = op->s;

	if (!s->sha[0]) {
		op->evaled = 1;
		if (!s->asked) {
			const char *load[] = {"SCRIPT", "LOAD", s->text};
			s->asked = 1;
			kv_command(op->k, sha_loaded, s, 3, load, NULL);
		}
	}
	op->argv[0] = op->evaled ? "EVAL" : "EVALSHA";
	op->argv[1] = op->evaled ? s->text : s->sha;
	op->lens[0] = strlen(op->argv[0]);
	op->lens[1] = strlen(op->argv[1]);
	kv_command(op->k, eval_answered, op, op->argc, op->argv, op->lens);
}

void kv_eval(kv *k, mesh_kv_script *s, mesh_kv_fn cb, void *arg, int argc,
             const char **argv, const size_t *lens)
{
	size_t n = (size_t)argc + 2, bytes = 0;

	for (int i = 0; i < argc; i++)
		bytes += lens ? lens[i] : strlen(argv[i]);
	/* One block: the op, the argument pointers and lengths, then their
	 * bytes, kept for the NOSCRIPT retry (hiredis has formatted and
	 * forgotten them by then). */
	kv_eval_op *op =
	    malloc(sizeof *op + n * (sizeof(char *) + sizeof(size_t)) + bytes);
	if (!op)
		abort();
	*op =
	    (kv_eval_op){.k = k, .s = s, .cb = cb, .arg = arg, .argc = (int)n};
	op->argv = (const char **)(void *)(op + 1);
	op->lens = (size_t *)(void *)(op->argv + n);
	char *p = (char *)(op->lens + n);
	for (int i = 0; i < argc; i++) {
		size_t len = lens ? lens[i] : strlen(argv[i]);
		memcpy(p, argv[i], len);
		op->argv[i + 2] = p;
		op->lens[i + 2] = len;
		p += len;
	}
	eval_send(op);
}
