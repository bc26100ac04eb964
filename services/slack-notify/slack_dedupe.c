#include "slack_dedupe.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

int slack_dedupe_digest(const char *channel, const char *text,
                        char hex[SLACK_DEDUPE_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const char *ch = channel ? channel : "";
	size_t cl = strlen(ch), tl = strlen(text);
	/* The NUL between them keeps ("a", "bc") apart from ("ab", "c"); a
	 * channel name never holds one. */
	char *buf = malloc(cl + 1 + tl);

	if (!buf)
		return -1;
	memcpy(buf, ch, cl);
	buf[cl] = '\0';
	memcpy(buf + cl + 1, text, tl);
	int ok = EVP_Digest(buf, cl + 1 + tl, md, &md_len, EVP_sha256(), NULL);
	free(buf);
	if (!ok || md_len * 2 != SLACK_DEDUPE_HEX)
		return -1;
	for (unsigned int i = 0; i < md_len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[SLACK_DEDUPE_HEX] = '\0';
	return 0;
}
