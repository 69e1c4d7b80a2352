/* A fixed vector from a stock client: one handshake initiation sent by wireguard-go v0.0.20220316
 * (captured by tests/integration/wg_interop.sh through wg_responder --dump-initiation).
 *
 * The keys were made by `wg genkey` / `wg pubkey`; the client was configured with `wg set`. The
 * expected facts come from that set-up, not from this code: mac1 is keyed with the responder's
 * public key, the sealed static key is the client's public key, and the sender index is the
 * little-endian u32 in bytes 4..7.
 */
#include <arpa/inet.h>
#include <string.h>

#include "mg_cunit.h"
#include <sodium.h>

#include "device.h"
#include "wg_messages.h"

static const char resp_priv_b64[] = "ADMHQSkSDbDI9kKfPHvRoSFlwPAh0soK2fjt3FHpeUY=";
static const char resp_pub_b64[] = "LcV4j94be17q8cnh/FtquoKFcCmSnfbk7SNF4FdJ5lA=";
static const char client_pub_b64[] = "bWSXhJP6wKytRB3+5Y+PnUp6cKeHVNyPkVVhbpKQPAQ=";
static const char other_pub_b64[] = "0rEJwBOQaD0CCCDKVYlZQNiMnYZmpKM2pu75Iav48Dk="; /* a third wg key */

static const char initiation_hex[] =
	"01000000df47486fa1689777ee22fe33"
	"a4490d3814aebd33d876d8fff0e657c4"
	"da47a9f89eb8ce4b5638b4b40114c43a"
	"cd0cb6da6dfa8be3115b1b7a094962ca"
	"7eae4c0cf7944323b20655dde893d7af"
	"5978c948cc123d8b98052dc1ba8fa589"
	"6639747cf8f58af69e4730a93363fc05"
	"03b05f04a286ac501aba186a66be86f4"
	"a986f100000000000000000000000000"
	"00000000";

static uint8_t initiation[MG_WG_MSG_INITIATION_LEN];
static uint8_t resp_priv[32], resp_pub[32], client_pub[32], other_pub[32];
static const uint64_t now_ns = 1000000000ULL;
static const struct timespec wall = {1700000000, 0};

static void
b64(const char *s, uint8_t out[32])
{
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(sodium_base642bin(out, 32, s, strlen(s), NULL, &n, NULL,
						sodium_base64_VARIANT_ORIGINAL), 0);
	CU_ASSERT_EQUAL_FATAL(n, 32);
}

static int
setup(void)
{
	size_t n = 0;

	if (sodium_hex2bin(initiation, sizeof(initiation), initiation_hex, strlen(initiation_hex), NULL,
			   &n, NULL) != 0 || n != sizeof(initiation))
		return 1;
	return 0;
}

static struct mg_wg_device *
responder(bool open_mode, const uint8_t *peer, const uint8_t *psk)
{
	struct mg_wg_device_params p = {.handshake_rate = 20, .handshake_burst = 5,
					.open_mode = open_mode, .max_peers = 4};
	struct mg_wg_device *dev;

	b64(resp_priv_b64, resp_priv);
	b64(resp_pub_b64, resp_pub);
	b64(client_pub_b64, client_pub);
	b64(other_pub_b64, other_pub);
	memcpy(p.private_key, resp_priv, 32);
	dev = mg_wg_device_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	if (peer != NULL)
		CU_ASSERT_EQUAL(mg_wg_device_add_peer(dev, peer == client_pub ? client_pub : other_pub, psk), 0);
	return dev;
}

static struct mg_wg_handshake_result
consume(struct mg_wg_device *dev, bool load, size_t *out_len)
{
	struct mg_wg_handshake_result r;
	uint8_t out[MG_WG_DEVICE_OUT_MIN];

	mg_wg_device_handle(dev, htonl(0xc6336402), htons(40000), initiation, sizeof(initiation), now_ns,
			    &wall, load, out, out_len, &r);
	return r;
}

static void
test_public_key_matches_wg_pubkey(void)
{
	struct mg_wg_device *dev = responder(false, NULL, NULL);
	uint8_t pub[32];

	mg_wg_device_public_key(dev, pub);
	CU_ASSERT_EQUAL(memcmp(pub, resp_pub, 32), 0);
	mg_wg_device_destroy(dev);
}

static void
test_consumed_and_peer_identified(void)
{
	struct mg_wg_device *dev = responder(false, client_pub, NULL);
	struct mg_wg_handshake_result r;
	size_t out_len;

	r = consume(dev, false, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NONE);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION);
	CU_ASSERT_EQUAL(r.peer_id, 0);
	CU_ASSERT_EQUAL(out_len, MG_WG_MSG_RESPONSE_LEN);
	CU_ASSERT_EQUAL(r.keys.remote_index, 0x6f4847dfu); /* wire bytes df 47 48 6f */
	CU_ASSERT_FALSE(r.keys.initiator);
	/* Replaying the captured bytes is refused. */
	r = consume(dev, false, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_REPLAYED_TIMESTAMP);
	mg_wg_device_destroy(dev);
}

/* The psk enters only the response: a device configured with one still consumes the initiation. */
static void
test_consumed_with_psk_configured(void)
{
	uint8_t psk[32] = {1, 2, 3};
	struct mg_wg_device *dev = responder(false, client_pub, psk);
	size_t out_len;

	CU_ASSERT_EQUAL(consume(dev, false, &out_len).actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION);
	mg_wg_device_destroy(dev);
}

static void
test_open_mode_learns_client_key(void)
{
	struct mg_wg_device *dev = responder(true, NULL, NULL);
	struct mg_wg_handshake_result r;
	size_t out_len;

	r = consume(dev, false, &out_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION | MG_WG_ACT_NEW_PEER);
	CU_ASSERT_EQUAL_FATAL(r.peer_id, 0);
	CU_ASSERT_EQUAL(memcmp(mg_wg_device_peer_public_key(dev, 0), client_pub, 32), 0);
	mg_wg_device_destroy(dev);
}

static void
test_rejections(void)
{
	struct mg_wg_device *dev = responder(false, other_pub, NULL);
	size_t out_len;

	/* Closed mode, client not configured. */
	CU_ASSERT_EQUAL(consume(dev, false, &out_len).drop, MG_WG_DROP_UNKNOWN_PEER);
	/* Under load: wireguard-go sent no mac2, so a cookie reply comes back. */
	CU_ASSERT_EQUAL(consume(dev, true, &out_len).drop, MG_WG_DROP_COOKIE_REQUIRED);
	CU_ASSERT_EQUAL(out_len, MG_WG_MSG_COOKIE_REPLY_LEN);
	mg_wg_device_destroy(dev);
	/* A different responder key: mac1 does not verify. */
	struct mg_wg_device_params p = {.handshake_rate = 20, .handshake_burst = 5, .max_peers = 4};
	randombytes_buf(p.private_key, 32);
	dev = mg_wg_device_create(&p);
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(dev, client_pub, NULL), 0);
	CU_ASSERT_EQUAL(consume(dev, false, &out_len).drop, MG_WG_DROP_BAD_MAC1);
	mg_wg_device_destroy(dev);
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "public key matches wg pubkey", test_public_key_matches_wg_pubkey },
		{ "consumed and peer identified", test_consumed_and_peer_identified },
		{ "consumed with psk configured", test_consumed_with_psk_configured },
		{ "open mode learns client key", test_open_mode_learns_client_key },
		{ "rejections", test_rejections },
	};

	if (sodium_init() < 0)
		return 2;
	return mg_cunit_run_suite("wg_vector (wireguard-go initiation)", setup, NULL, cases,
				  MG_CUNIT_N(cases));
}
