/* placeholder: device.c is being written. */
typedef int mg_placeholder_device;
