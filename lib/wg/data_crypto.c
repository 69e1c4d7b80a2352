/* placeholder: data_crypto.c is being written. */
typedef int mg_placeholder_data_crypto;
