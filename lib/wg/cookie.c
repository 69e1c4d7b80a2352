/* placeholder: cookie.c is being written. */
typedef int mg_placeholder_cookie;
