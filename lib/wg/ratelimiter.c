/* placeholder: ratelimiter.c is being written. */
typedef int mg_placeholder_ratelimiter;
