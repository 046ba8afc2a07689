// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: control vdrep volumes and associations over generic netlink.
 *
 *   vdrepctl [-j] [-p] OBJECT COMMAND [ARGS]
 *
 * Commands are declared in one table next to their handlers' names; the
 * usage text is generated from it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vdrepctl.h"

#define VDREPCTL_VERSION "0.1.0"

bool opt_json, opt_pretty;
const char *progname = "vdrepctl";

static const struct command commands[] = {
	{ "volume", "create", cmd_volume_create, "NAME source PATH [chunk-size SIZE]",
	  "create volume NAME on block device PATH (chunk size 4K..1M, default 64K)" },
	{ "volume", "destroy", cmd_volume_destroy, "NAME",
	  "destroy volume NAME (refused while it is open)" },
	{ "volume", "show", cmd_volume_show, "[NAME]",
	  "show volume NAME, or every volume" },
	{ NULL, "monitor", cmd_monitor, "[--count N]",
	  "print the current objects, 'exists -', then one line per event" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: %s [-j] [-p] OBJECT COMMAND [ARGS]\n\n", progname);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		fprintf(out, "  %s%s%s %s\n", c->object ? c->object : "",
			c->object ? " " : "", c->name, c->args);
		fprintf(out, "      %s\n", c->help);
	}
	fprintf(out, "\noptions:\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indent JSON output\n"
		"  -V, --version  print the version\n"
		"  -h, --help     this text\n"
		"\nexit status: 0 done, 1 refused or failed, 2 bad command line\n");
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(%s -h for help)\n", progname);
	return EXIT_USAGE;
}

static bool is_object(const char *word)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].object && !strcmp(commands[i].object, word))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *object, *name;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			opt_json = true;
		} else if (!strcmp(o, "-p") || !strcmp(o, "--pretty")) {
			opt_pretty = true;
		} else if (!strcmp(o, "-jp") || !strcmp(o, "-pj")) {
			opt_json = opt_pretty = true;
		} else if (!strcmp(o, "-V") || !strcmp(o, "--version")) {
			printf("%s %s\n", progname, VDREPCTL_VERSION);
			return EXIT_OK;
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			return usage_error("unknown option %s", o);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return EXIT_OK;
	}

	/* OBJECT COMMAND, or a top-level COMMAND. */
	object = is_object(argv[i]) ? argv[i++] : NULL;
	if (object && i >= argc)
		return usage_error("%s: missing COMMAND", object);
	name = argv[i++];
	for (size_t c = 0; c < N_COMMANDS; c++) {
		const struct command *cmd = &commands[c];

		if ((cmd->object == NULL) != (object == NULL))
			continue;
		if (object && strcmp(cmd->object, object))
			continue;
		if (!strcmp(cmd->name, name))
			return cmd->handler(argc - i, argv + i);
	}
	if (object)
		return usage_error("%s: unknown command %s", object, name);
	return usage_error("unknown object or command %s", name);
}
