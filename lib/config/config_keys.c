/* Text forms of the values the config holds: IPv4 addresses and prefixes, and WireGuard keys in
 * standard base64 (what `wg genkey` and `wg pubkey` print). Parsing is strict — a dotted quad with
 * no leading zeros, an explicit prefix length, keys of exactly 32 bytes — so a typo is an error.
 */
#include <arpa/inet.h>
#include <string.h>

#include <sodium.h>

#include "config.h"

enum { ADDR_TEXT_MAX = 15, LEN_DIGITS_MAX = 2, KEY_B64_CHARS = 44 };

int mg_config_parse_addr(const char *text, uint32_t *out_host)
{
	struct in_addr a;

	/* inet_pton takes exactly four decimal parts and refuses leading zeros (no octal). */
	if (text == NULL || inet_pton(AF_INET, text, &a) != 1)
		return -1;
	*out_host = ntohl(a.s_addr);
	return 0;
}

int mg_config_parse_prefix(const char *text, struct mg_prefix *out)
{
	char addr[ADDR_TEXT_MAX + 1];
	const char *slash, *p;
	unsigned int len = 0;

	if (text == NULL || (slash = strchr(text, '/')) == NULL)
		return -1;
	if ((size_t)(slash - text) > ADDR_TEXT_MAX)
		return -1;
	memcpy(addr, text, slash - text);
	addr[slash - text] = '\0';
	for (p = slash + 1; *p >= '0' && *p <= '9'; p++)
		len = len * 10 + (unsigned int)(*p - '0');
	if (p == slash + 1 || *p != '\0' || p - (slash + 1) > LEN_DIGITS_MAX || len > 32)
		return -1;
	if (mg_config_parse_addr(addr, &out->addr) < 0)
		return -1;
	out->len = (uint8_t)len;
	return 0;
}

int mg_config_parse_key(const char *base64, uint8_t out[32])
{
	const char *end = NULL;
	size_t bin_len = 0;

	if (base64 == NULL || strlen(base64) != KEY_B64_CHARS)
		return -1;
	if (sodium_base642bin(out, MG_CONFIG_KEY_LEN, base64, KEY_B64_CHARS, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != MG_CONFIG_KEY_LEN || end != base64 + KEY_B64_CHARS) {
		sodium_memzero(out, MG_CONFIG_KEY_LEN);
		return -1;
	}
	return 0;
}

int mg_config_format_key(const uint8_t key[32], char out[MG_CONFIG_KEY_B64_LEN])
{
	sodium_bin2base64(out, MG_CONFIG_KEY_B64_LEN, key, MG_CONFIG_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	return 0;
}
