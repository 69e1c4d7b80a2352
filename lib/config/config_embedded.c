/* The embedded default configuration: conf/meshgate.conf, turned into a string at build time by
 * embed_conf.py (a meson custom_target), so that `meshgate` with no -c runs the documented
 * two-port layout and the shipped file and the built-in one can never drift apart.
 */
#include "config.h"
#include "meshgate_conf.h"

const char *mg_config_embedded_default(void)
{
	return mg_config_embedded_text;
}
