/* Unit tests of the BLAKE2s entry points the handshake uses (lib/wg/wg_blake2s.h).
 *
 * Whichever libb2 implementation the build picked, it must give RFC 7693's BLAKE2s-256("abc")
 * and the same bytes as libb2's dispatching API for every length, key length and output length
 * the handshake and cookies use, in one call or split across updates.
 */
#include <string.h>

#include "mg_cunit.h"
#include <blake2.h>

#include "wg_blake2s.h"

static void
test_rfc7693_abc(void)
{
	static const uint8_t want[32] = {
		0x50, 0x8c, 0x5e, 0x8c, 0x32, 0x7c, 0x14, 0xe2, 0xe1, 0xa7, 0x2b, 0xa3, 0x4e, 0xeb,
		0x45, 0x2f, 0x37, 0x45, 0x8b, 0x20, 0x9e, 0xd6, 0x3a, 0x29, 0x4d, 0x99, 0x9b, 0x4c,
		0x86, 0x67, 0x59, 0x82,
	};
	uint8_t out[32];

	mg_blake2s(out, sizeof(out), "abc", 3, NULL, 0);
	CU_ASSERT_EQUAL(memcmp(out, want, sizeof(want)), 0);
}

static void
test_same_as_dispatch(void)
{
	static const size_t keylens[] = { 0, 16, 32 }, outlens[] = { 16, 32 };
	uint8_t in[300], key[32], a[32], b[32];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (size_t k = 0; k < 3; k++)
		for (size_t o = 0; o < 2; o++)
			for (size_t len = 0; len <= sizeof(in); len++) {
				blake2s(a, in, keylens[k] ? key : NULL, outlens[o], len, keylens[k]);
				mg_blake2s(b, outlens[o], in, len, keylens[k] ? key : NULL, keylens[k]);
				if (memcmp(a, b, outlens[o]) != 0) {
					CU_FAIL("one-call BLAKE2s differs from libb2's dispatch");
					return;
				}
			}
}

static void
test_split_updates(void)
{
	uint8_t in[200], a[32], b[32];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i ^ 0x5a);
	for (size_t len = 0; len <= sizeof(in); len += 3)
		for (size_t cut = 0; cut <= len; cut += 5) {
			blake2s_state s;

			blake2s(a, in, NULL, 32, len, 0);
			mg_blake2s_init(&s, 32);
			mg_blake2s_update(&s, in, cut);
			mg_blake2s_update(&s, in + cut, len - cut);
			mg_blake2s_final(&s, b, 32);
			if (memcmp(a, b, 32) != 0) {
				CU_FAIL("split BLAKE2s differs from libb2's dispatch");
				return;
			}
		}
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "RFC 7693 BLAKE2s-256(abc)", test_rfc7693_abc },
		{ "same bytes as libb2's dispatch", test_same_as_dispatch },
		{ "split across updates", test_split_updates },
	};

	return MG_CUNIT_RUN("wg_blake2s", cases);
}
