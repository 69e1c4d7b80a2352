/* MSS clamping on TCP SYN segments (RFC 9293 3.7.1; the MSS option is kind 2, length 4).
 *
 * The option walk never reads past the data offset nor the segment; any malformed option list
 * leaves the segment untouched. The checksum update handles an option at an odd offset.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "csum.h"
#include "tcp_mss.h"

enum tcp_opt {
	TCP_OPT_EOL = 0,
	TCP_OPT_NOP = 1,
	TCP_OPT_MSS = 2,
	TCP_OPT_MSS_LEN = 4,
	TCP_HDR_MIN = 20,
};

/* Offset of the MSS option within the header, or 0 when absent or the options are malformed. */
static uint32_t
find_mss(const uint8_t *opt, uint32_t doff)
{
	uint32_t i = TCP_HDR_MIN;

	while (i < doff) {
		uint8_t kind = opt[i], olen;

		if (kind == TCP_OPT_EOL)
			return 0;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= doff)
			return 0;
		olen = opt[i + 1];
		if (olen < 2 || i + olen > doff)
			return 0;
		if (kind == TCP_OPT_MSS)
			return olen == TCP_OPT_MSS_LEN ? i : 0;
		i += olen;
	}
	return 0;
}

bool
mg_pkt_tcp_clamp_mss(struct rte_tcp_hdr *tcp, uint32_t l4_len, uint16_t mss)
{
	uint8_t *b = (uint8_t *)tcp;
	uint16_t old_v, new_v, sum;
	uint32_t doff, at;

	if (l4_len < TCP_HDR_MIN || !(b[13] & RTE_TCP_SYN_FLAG))
		return false;
	doff = (uint32_t)(b[12] >> 4) * 4;
	if (doff < TCP_HDR_MIN || doff > l4_len)
		return false;
	at = find_mss(b, doff);
	if (at == 0 || (uint32_t)(b[at + 2] << 8 | b[at + 3]) <= mss)
		return false;

	memcpy(&old_v, b + at + 2, 2);
	new_v = rte_cpu_to_be_16(mss);
	memcpy(b + at + 2, &new_v, 2);
	/* At an odd offset the two bytes sit in two different checksum words, which sums the same
	 * as the byte-swapped pair at an even offset (RFC 1071: byte-order independence). */
	if ((at + 2) & 1) {
		old_v = rte_bswap16(old_v);
		new_v = rte_bswap16(new_v);
	}
	sum = tcp->cksum;
	mg_csum_replace16(&sum, old_v, new_v);
	tcp->cksum = sum;
	return true;
}
