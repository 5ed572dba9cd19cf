/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes akmad.conf(5) from akmad's configuration table at build time, so
 * that the page can never disagree with the keys akmad reads. Usage:
 * akmad-conf-man VERSION > akmad.conf.5 */
#include <stdio.h>

#include "akmad_conf.h"

int main(int argc, char **argv)
{
	const char *version = argc > 1 ? argv[1] : "";
	printf(".TH AKMAD.CONF 5 \"\" \"akmad %s\" \"File formats\"\n"
	       ".SH NAME\n"
	       "akmad.conf \\- configuration of akmad, akma\\-sbi and akmactl\n"
	       ".SH SYNOPSIS\n"
	       ".I sysconfdir/akmad/akmad.conf\n"
	       ".SH DESCRIPTION\n"
	       "An INI file: \\fB[section]\\fR lines, then \\fIkey\\fR \\fB=\\fR \\fIvalue\\fR "
	       "lines; \\fB#\\fR and \\fB;\\fR start comments. Every key has a default, so "
	       "an empty file is a valid configuration. A key may also be given on the "
	       "command line, which wins over the file: \\fB\\-\\-set\\fR "
	       "\\fIsection\\fR.\\fIkey\\fR=\\fIvalue\\fR, or "
	       "\\fB\\-\\-\\fR\\fIsection\\fR\\fB\\-\\fR\\fIkey\\fR \\fIvalue\\fR (a key's "
	       "underscore may be written as a hyphen). Relative file names (the PSK, the "
	       "KEK, certificates, the policy) are taken from the directory of this file. A "
	       "bad value stops start\\-up with the file, line and key named; "
	       "\\fBakmactl config\\fR prints every key with the value a file gives it.\n"
	       ".PP\n"
	       "akmad reads every section; akma\\-sbi reads \\fB[sbi]\\fR, "
	       "\\fBwire.psk_file\\fR, \\fBwire.listen\\fR (the akmad to talk to) and "
	       "\\fBmetrics.front_end_listen\\fR; akmactl reads \\fBwire.listen\\fR and "
	       "\\fBwire.psk_file\\fR.\n"
	       ".SH KEYS\n",
	       version);
	akma_conf_man(&akmad_conf_table, stdout);
	printf(".SH SIGNALS\n"
	       "SIGHUP makes akmad read the file again: \\fBengine.kaf_lifetime\\fR, "
	       "\\fBengine.kakma_lifetime\\fR, \\fBwire.replay_window\\fR and "
	       "\\fBlog.level\\fR apply at once, the consumer policy and the NRF keys are "
	       "read again, and every other changed key is logged as needing a restart.\n"
	       ".SH SEE ALSO\n"
	       ".BR akmad (8),\n"
	       ".BR akma\\-sbi (8),\n"
	       ".BR akmactl (8)\n");
	return 0;
}
