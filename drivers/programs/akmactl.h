/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMACTL_H
#define AKMACTL_H

/* akmactl's client commands (akmactl_client.c): register, get, remove,
 * stats. Returns the exit status. */
int akmactl_client(const char *cmd, int argc, char **argv, const char *default_config);

#endif
