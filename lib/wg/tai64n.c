/* placeholder: tai64n.c is being written. */
typedef int mg_placeholder_tai64n;
