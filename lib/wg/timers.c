/* placeholder: timers.c is being written. */
typedef int mg_placeholder_timers;
