/* placeholder: replay.c is being written. */
typedef int mg_placeholder_replay;
