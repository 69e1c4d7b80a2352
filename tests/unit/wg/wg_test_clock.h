/* Virtual clocks for the lib/wg device tests: monotonic nanoseconds and wall time, advanced
 * together. lib/wg takes time as arguments and never reads a clock, so a test drives both.
 * Each test file that includes this has its own clock (static state, one file per executable).
 */
#ifndef MG_WG_TEST_CLOCK_H
#define MG_WG_TEST_CLOCK_H

#include <stdint.h>
#include <time.h>

enum { WG_TEST_NS_PER_MS = 1000000 };

static uint64_t now_ns;
static struct timespec wall;

/* now_ns at 5 s, wall time at 2023-11-14 22:13:20 UTC. */
static inline void
reset_clock(void)
{
	now_ns = 5000ULL * WG_TEST_NS_PER_MS;
	wall.tv_sec = 1700000000;
	wall.tv_nsec = 0;
}

static inline void
advance_ms(uint64_t ms)
{
	now_ns += ms * WG_TEST_NS_PER_MS;
	wall.tv_sec += (time_t)(ms / 1000);
	wall.tv_nsec += (long)((ms % 1000) * WG_TEST_NS_PER_MS);
	if (wall.tv_nsec >= 1000000000L) {
		wall.tv_nsec -= 1000000000L;
		wall.tv_sec++;
	}
}

#endif /* MG_WG_TEST_CLOCK_H */
