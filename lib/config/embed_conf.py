#!/usr/bin/env python3
# Turns conf/meshgate.conf into a C header holding it as one string literal, so that the daemon
# runs with no file at all (config_embedded.c includes the result). Usage: embed_conf.py IN OUT
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
lines = ['/* Generated from %s by embed_conf.py; do not edit. */' % sys.argv[1].split('/')[-1],
         'static const char mg_config_embedded_text[] =']
for line in text.splitlines(keepends=True):
    esc = line.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t', '\\t')
    lines.append('\t"%s"' % esc)
lines.append('\t"";')
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
