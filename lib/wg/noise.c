/* placeholder: noise.c is being written. */
typedef int mg_placeholder_noise;
