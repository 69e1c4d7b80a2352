/* Unit tests of peer removal in the handshake device (mg_wg_device_remove_peer), the device half
 * of open-mode reclamation: a removed key is forgotten and its id reused, lookups of every other
 * key still work after deletions from a crowded public-key table, the removed peer's local
 * indices are released and its handshake state is gone.
 *
 * Expected values come from a reference model kept by the test (which key holds which id, ids
 * handed out last-removed-first as documented in device.h) and from the protocol rules (a
 * response to an abandoned initiation is an unknown index), never from the device's own output.
 */
#include <string.h>

#include "mg_cunit.h"
#include <sodium.h>

#include "device.h"
#include "wg_test_clock.h"
#include "wg_messages.h"

enum {
	MS = 1000000,
	BIG = 1024,    /* peers in the crowded-table test: 2048 key slots at load 1/2 */
	ROUNDS = 4,
};

static const uint32_t ip_a = 0x0200a8c0;
static const uint16_t port_a = 0x3412;

struct node {
	struct mg_wg_device *dev;
	uint8_t pub[32];
};

static void
node_make(struct node *n, bool open_mode, uint32_t max_peers)
{
	struct mg_wg_device_params p = { .handshake_rate = 20, .handshake_burst = 5,
					 .open_mode = open_mode, .max_peers = max_peers };

	randombytes_buf(p.private_key, sizeof(p.private_key));
	n->dev = mg_wg_device_create(&p);
	sodium_memzero(p.private_key, sizeof(p.private_key));
	CU_ASSERT_PTR_NOT_NULL_FATAL(n->dev);
	mg_wg_device_public_key(n->dev, n->pub);
}

static void
random_public_key(uint8_t pub[32])
{
	uint8_t priv[32];

	randombytes_buf(priv, sizeof(priv));
	crypto_scalarmult_base(pub, priv);
	sodium_memzero(priv, sizeof(priv));
}

/* Client c (its peer 0 is gateway g) sends an initiation; g's result, reply in out. */
static struct mg_wg_handshake_result
initiate(struct node *c, struct node *g, uint8_t out[MG_WG_DEVICE_OUT_MIN], size_t *out_len)
{
	uint8_t init[MG_WG_MSG_INITIATION_LEN];
	struct mg_wg_handshake_result r;

	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(c->dev, 0, now_ns, &wall, init), 0);
	mg_wg_device_handle(g->dev, ip_a, port_a, init, sizeof(init), now_ns, &wall, false, out,
			    out_len, &r);
	return r;
}

/* The client consumes g's response; true when it derived a session whose keys pair with kg. */
static bool
complete(struct node *c, const uint8_t *resp, size_t len, const struct mg_noise_keys *kg)
{
	uint8_t out[MG_WG_DEVICE_OUT_MIN];
	size_t out_len;
	struct mg_wg_handshake_result r;
	bool ok;

	mg_wg_device_handle(c->dev, ip_a, port_a, resp, len, now_ns, &wall, false, out, &out_len,
			    &r);
	ok = (r.actions & MG_WG_ACT_SESSION) && memcmp(r.keys.send_key, kg->recv_key, 32) == 0 &&
	     memcmp(r.keys.recv_key, kg->send_key, 32) == 0;
	sodium_memzero(&r.keys, sizeof(r.keys));
	return ok;
}

static void
client_make(struct node *c, const struct node *g)
{
	node_make(c, false, 1);
	CU_ASSERT_EQUAL_FATAL(mg_wg_device_add_peer(c->dev, g->pub, NULL), 0);
}

/* Open mode full, one peer removed: the refused key is admitted with the freed id, and the
 * removed key is a stranger (refused while full, as any new key). */
static void
test_remove_and_readmit(void)
{
	struct node g, c[3];
	uint8_t out[MG_WG_DEVICE_OUT_MIN];
	size_t out_len;
	struct mg_wg_handshake_result r;
	struct mg_wg_device_stats st;

	reset_clock();
	node_make(&g, true, 2);
	for (int i = 0; i < 3; i++)
		client_make(&c[i], &g);
	for (int i = 0; i < 2; i++) {
		r = initiate(&c[i], &g, out, &out_len);
		CU_ASSERT_EQUAL(r.peer_id, i);
		CU_ASSERT_TRUE(complete(&c[i], out, out_len, &r.keys));
		sodium_memzero(&r.keys, sizeof(r.keys));
	}
	r = initiate(&c[2], &g, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_PEERS_FULL);

	CU_ASSERT_EQUAL(mg_wg_device_remove_peer(g.dev, 0), 0);
	CU_ASSERT_EQUAL(mg_wg_device_remove_peer(g.dev, 0), -1); /* not live any more */
	CU_ASSERT_EQUAL(mg_wg_device_remove_peer(g.dev, 2), -1); /* never handed out */
	CU_ASSERT_EQUAL(mg_wg_device_remove_peer(g.dev, -1), -1);
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), 1);
	CU_ASSERT_EQUAL(mg_wg_device_peer_id_end(g.dev), 2);
	CU_ASSERT_EQUAL(mg_wg_device_find_peer(g.dev, c[0].pub), -1);
	CU_ASSERT_EQUAL(mg_wg_device_find_peer(g.dev, c[1].pub), 1);
	CU_ASSERT_PTR_NULL(mg_wg_device_peer_public_key(g.dev, 0));

	advance_ms(50);
	r = initiate(&c[2], &g, out, &out_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION | MG_WG_ACT_NEW_PEER);
	CU_ASSERT_EQUAL(r.peer_id, 0);
	CU_ASSERT_TRUE(complete(&c[2], out, out_len, &r.keys));
	sodium_memzero(&r.keys, sizeof(r.keys));
	CU_ASSERT_EQUAL(memcmp(mg_wg_device_peer_public_key(g.dev, 0), c[2].pub, 32), 0);
	CU_ASSERT_EQUAL(mg_wg_device_peer_id_end(g.dev), 2);

	advance_ms(50);
	r = initiate(&c[0], &g, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_PEERS_FULL);
	CU_ASSERT_EQUAL(r.actions, 0);
	mg_wg_device_get_stats(g.dev, &st);
	CU_ASSERT_EQUAL(st.peers_admitted, 3);
	CU_ASSERT_EQUAL(st.peers_removed, 1);
	CU_ASSERT_EQUAL(st.drops[MG_WG_DROP_PEERS_FULL], 2);
	for (int i = 0; i < 3; i++)
		mg_wg_device_destroy(c[i].dev);
	mg_wg_device_destroy(g.dev);
}

/* The reference model: key i is held by id[i] (-1 when removed); every lookup must agree. */
static void
check_model(struct mg_wg_device *dev, uint8_t (*keys)[32], const int *id, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		if (mg_wg_device_find_peer(dev, keys[i]) != id[i])
			bad++;
		if (id[i] >= 0 && memcmp(mg_wg_device_peer_public_key(dev, id[i]), keys[i], 32) != 0)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* A full device (1024 keys in 2048 slots, so long probe runs): remove half in random order,
 * looking every key up after each removal, then add new keys: they get the freed ids, last
 * removed first, and the device is full again. Several rounds over the same table. */
static void
test_lookups_after_deletion_in_full_table(void)
{
	static uint8_t keys[BIG + ROUNDS * BIG / 2][32];
	static int id[BIG + ROUNDS * BIG / 2];
	int n = BIG, live[BIG];
	struct node g;
	uint8_t extra[32];

	node_make(&g, false, BIG);
	for (int i = 0; i < BIG; i++) {
		random_public_key(keys[i]);
		id[i] = mg_wg_device_add_peer(g.dev, keys[i], NULL);
		CU_ASSERT_EQUAL_FATAL(id[i], i); /* fresh ids in order */
		live[i] = i;                     /* id -> key */
	}
	random_public_key(extra);
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(g.dev, extra, NULL), -1); /* full */
	for (int round = 0; round < ROUNDS; round++) {
		int freed[BIG / 2];

		for (int k = 0; k < BIG / 2; k++) {
			int victim;

			do
				victim = (int)randombytes_uniform(BIG);
			while (live[victim] < 0);
			CU_ASSERT_EQUAL(mg_wg_device_remove_peer(g.dev, victim), 0);
			id[live[victim]] = -1;
			live[victim] = -1;
			freed[k] = victim;
			if (k % 64 == 0 || k == BIG / 2 - 1)
				check_model(g.dev, keys, id, n);
		}
		CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), BIG / 2);
		for (int k = BIG / 2 - 1; k >= 0; k--) {
			random_public_key(keys[n]);
			id[n] = mg_wg_device_add_peer(g.dev, keys[n], NULL);
			CU_ASSERT_EQUAL(id[n], freed[k]);
			if (id[n] >= 0)
				live[id[n]] = n;
			n++;
		}
		check_model(g.dev, keys, id, n);
		CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), BIG);
		CU_ASSERT_EQUAL(mg_wg_device_peer_id_end(g.dev), BIG);
		CU_ASSERT_EQUAL(mg_wg_device_add_peer(g.dev, extra, NULL), -1);
	}
	mg_wg_device_destroy(g.dev);
}

/* A removed peer's indices (keypairs not yet released, a handshake in flight) are all released,
 * other peers' are kept; a response to its abandoned initiation is an unknown index, and the
 * next peer given the id starts with no handshake state. */
static void
test_indices_released(void)
{
	struct node g, c[2];
	uint8_t out[MG_WG_DEVICE_OUT_MIN], init[MG_WG_MSG_INITIATION_LEN];
	uint8_t resp[MG_WG_DEVICE_OUT_MIN];
	uint32_t idx0[6], idx1;
	size_t out_len, resp_len;
	struct mg_wg_handshake_result r;

	reset_clock();
	node_make(&g, false, 2);
	for (int i = 0; i < 2; i++) {
		client_make(&c[i], &g);
		CU_ASSERT_EQUAL(mg_wg_device_add_peer(g.dev, c[i].pub, NULL), i);
	}
	/* Five sessions with client 0: the data plane released none of their indices. */
	for (int k = 0; k < 5; k++) {
		advance_ms(50);
		r = initiate(&c[0], &g, out, &out_len);
		CU_ASSERT_EQUAL_FATAL(r.actions & MG_WG_ACT_SESSION, MG_WG_ACT_SESSION);
		idx0[k] = r.keys.local_index;
		sodium_memzero(&r.keys, sizeof(r.keys));
	}
	r = initiate(&c[1], &g, out, &out_len);
	idx1 = r.keys.local_index;
	sodium_memzero(&r.keys, sizeof(r.keys));
	/* The gateway initiates to client 0 as well; the client answers. */
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(g.dev, 0, now_ns, &wall, init), 0);
	idx0[5] = (uint32_t)init[4] | (uint32_t)init[5] << 8 | (uint32_t)init[6] << 16 |
		  (uint32_t)init[7] << 24; /* sender index, little-endian */
	mg_wg_device_handle(c[0].dev, ip_a, port_a, init, sizeof(init), now_ns, &wall, false, resp,
			    &resp_len, &r);
	CU_ASSERT_EQUAL_FATAL(resp_len, MG_WG_MSG_RESPONSE_LEN);
	sodium_memzero(&r.keys, sizeof(r.keys));
	for (int k = 0; k < 6; k++)
		CU_ASSERT_EQUAL(mg_wg_device_index_peer(g.dev, idx0[k]), 0);

	CU_ASSERT_EQUAL(mg_wg_device_remove_peer(g.dev, 0), 0);
	for (int k = 0; k < 6; k++)
		CU_ASSERT_EQUAL(mg_wg_device_index_peer(g.dev, idx0[k]), -1);
	CU_ASSERT_EQUAL(mg_wg_device_index_peer(g.dev, idx1), 1);
	mg_wg_device_handle(g.dev, ip_a, port_a, resp, resp_len, now_ns, &wall, false, out,
			    &out_len, &r);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_UNKNOWN_INDEX);
	CU_ASSERT_EQUAL(r.actions, 0);

	/* Re-added under the same id, client 0's key works again from a clean state. */
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(g.dev, c[0].pub, NULL), 0);
	advance_ms(50);
	r = initiate(&c[0], &g, out, &out_len);
	CU_ASSERT_EQUAL(r.peer_id, 0);
	CU_ASSERT_TRUE(complete(&c[0], out, out_len, &r.keys));
	sodium_memzero(&r.keys, sizeof(r.keys));
	for (int i = 0; i < 2; i++)
		mg_wg_device_destroy(c[i].dev);
	mg_wg_device_destroy(g.dev);
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "remove and re-admit in open mode", test_remove_and_readmit },
		{ "lookups after deletion in a full table", test_lookups_after_deletion_in_full_table },
		{ "indices released, handshake state gone", test_indices_released },
	};

	if (sodium_init() < 0)
		return 2;
	return MG_CUNIT_RUN("wg peer removal", cases);
}
