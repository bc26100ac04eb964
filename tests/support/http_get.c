#include "http_get.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sink {
	char *data;
	size_t len;
} sink;

static size_t sink_write(char *p, size_t size, size_t n, void *arg)
{
	sink *s = arg;
	size_t add = size * n;
	char *grown = realloc(s->data, s->len + add + 1);

	if (!grown)
		return 0;
	memcpy(grown + s->len, p, add);
	s->data = grown;
	s->len += add;
	s->data[s->len] = '\0';
	return add;
}

http_result http_do(const char *method, const char *url, const char *body,
                    size_t body_len, const char *const *headers,
                    long timeout_ms)
{
	http_result r = {0};
	sink b = {0}, h = {0};
	struct curl_slist *list = NULL;
	CURL *c = curl_easy_init();

	for (const char *const *p = headers; p && *p; p++)
		list = curl_slist_append(list, *p);
	list = curl_slist_append(list, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)body_len);
	}
	r.curl_error = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_cleanup(c);
	curl_slist_free_all(list);
	r.body = b.data ? b.data : calloc(1, 1);
	r.body_len = b.len;
	r.headers = h.data ? h.data : calloc(1, 1);
	r.json = json_loadb(r.body, r.body_len, 0, NULL);
	return r;
}

const char *http_header(const http_result *r, const char *name)
{
	static char value[1024];
	size_t n = strlen(name);

	for (const char *line = r->headers; line && *line;) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > n && strncasecmp(line, name, n) == 0 &&
		    line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			size_t vlen = len - (size_t)(v - line);
			if (vlen >= sizeof value)
				vlen = sizeof value - 1;
			memcpy(value, v, vlen);
			value[vlen] = '\0';
			return value;
		}
		line = end ? end + 2 : NULL;
	}
	return NULL;
}

void http_result_free(http_result *r)
{
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}
