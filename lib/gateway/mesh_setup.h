/* Translation of the configuration's `mesh` group into the mesh node's configuration. */
#ifndef MG_GATEWAY_MESH_SETUP_H
#define MG_GATEWAY_MESH_SETUP_H

#include "config.h"
#include "node.h"

/* Fill out (secret key included: the caller wipes it) and seeds[] (MG_CONFIG_MAX_SEEDS). */
int mg_gateway_mesh_config(const struct mg_config *cfg, const struct mg_port_config *mesh_port,
			   struct mg_mesh_config *out, struct mg_mesh_seed *seeds);

#endif /* MG_GATEWAY_MESH_SETUP_H */
