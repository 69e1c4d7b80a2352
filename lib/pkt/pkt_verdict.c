/* Strings for the packet verdicts of pkt_verdict.h, generated from the same X-macro list.
 *
 * Two tables: a sentence for people (logs, CLI) and the enum suffix as a stable telemetry key.
 */
#include "pkt_verdict.h"

static const char *const verdict_str[MG_PKT_VERDICT_COUNT] = {
#define MG_PKT_VERDICT_STR(name, str) [MG_PKT_VERDICT_##name] = str,
	MG_PKT_VERDICT_LIST(MG_PKT_VERDICT_STR)
#undef MG_PKT_VERDICT_STR
};

/* The enum suffix itself (e.g. "BAD_HDR_CSUM"): a stable key for telemetry and tests. */
static const char *const verdict_name[MG_PKT_VERDICT_COUNT] = {
#define MG_PKT_VERDICT_NAME(name, str) [MG_PKT_VERDICT_##name] = #name,
	MG_PKT_VERDICT_LIST(MG_PKT_VERDICT_NAME)
#undef MG_PKT_VERDICT_NAME
};

const char *
mg_pkt_verdict_str(enum mg_pkt_verdict v)
{
	if ((unsigned int)v >= MG_PKT_VERDICT_COUNT)
		return "unknown verdict";
	return verdict_str[v];
}

const char *
mg_pkt_verdict_name(enum mg_pkt_verdict v)
{
	if ((unsigned int)v >= MG_PKT_VERDICT_COUNT)
		return "UNKNOWN";
	return verdict_name[v];
}
