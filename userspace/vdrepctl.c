// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: control vdrep volumes and their associations over the vdrep
 * generic netlink family, and read metadata devices offline (meta).
 *
 *   vdrepctl [-j] [-p] [-V] [-h] OBJECT COMMAND [ARGS]
 *
 * Each object's file declares its commands in a table next to their handlers
 * (volume.c, assoc.c, meta.c, monitor.c); this file finds the command and
 * generates the usage text from the same tables.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdrepctl.h"

#ifndef VDREPCTL_VERSION
#define VDREPCTL_VERSION "0.1.0"
#endif

const char *progname = "vdrepctl";
bool opt_json, opt_pretty;

static const struct {
	const struct command *commands;
	const size_t *count;
	const char *notes;	/* after the table's usage, NULL if none */
} tables[] = {
	{ volume_commands, &volume_command_count, NULL },
	{ assoc_commands, &assoc_command_count, assoc_usage_notes },
	{ meta_commands, &meta_command_count, NULL },
	{ monitor_commands, &monitor_command_count, NULL },
};

#define for_each_command(cmd, t, i)					\
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)			\
		for (size_t i = 0; i < *tables[t].count &&		\
		     ((cmd) = &tables[t].commands[i], 1); i++)

void print_synopsis(FILE *out, const char *prefix, const struct command *cmd)
{
	fprintf(out, "%s%s", prefix, progname);
	if (cmd->object)
		fprintf(out, " %s", cmd->object);
	fprintf(out, " %s%s%s\n", cmd->name, cmd->args[0] ? " " : "", cmd->args);
}

/* Usage of every command, or of @object's only. */
static void usage(FILE *out, const char *object)
{
	const struct command *cmd;

	fprintf(out, "Usage: %s [-j] [-p] [-V] [-h] OBJECT COMMAND [ARGS]\n\n", progname);
	for_each_command(cmd, t, i) {
		if (object && (!cmd->object || strcmp(cmd->object, object)))
			continue;
		print_synopsis(out, "  ", cmd);
		fprintf(out, "      %s\n", cmd->help);
	}
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		const struct command *first = &tables[t].commands[0];

		if (tables[t].notes &&
		    (!object || (first->object && !strcmp(first->object, object))))
			fprintf(out, "\n%s", tables[t].notes);
	}
	if (object)
		return;
	fprintf(out,
		"\nOptions:\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indented JSON (with -j)\n"
		"  -V, --version  print the version and exit\n"
		"  -h, --help     print this help and exit\n"
		"\nSIZE: bytes, or a number with K, M or G (64K, 1M, 2G).\n"
		"Exit status: 0 done, 1 refused or failed, 2 bad command line.\n");
}

/* A usage error that belongs to no command: "vdrepctl: <message>". */
static int main_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int main_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help'.\n", progname);
	return EXIT_USAGE;
}

int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	if (cmd->object)
		fprintf(stderr, "%s ", cmd->object);
	fprintf(stderr, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_synopsis(stderr, "Usage: ", cmd);
	return EXIT_USAGE;
}

int parse_keywords(const struct command *cmd, int argc, char **argv,
		   struct keyword *keywords, size_t count)
{
	for (int i = 0; i < argc; i += 2) {
		struct keyword *kw = NULL;

		for (size_t k = 0; k < count; k++)
			if (!strcmp(argv[i], keywords[k].name))
				kw = &keywords[k];
		if (!kw)
			return usage_error(cmd, "unexpected argument '%s'", argv[i]);
		if (kw->arg)
			return usage_error(cmd, "%s given twice", kw->name);
		if (i + 1 >= argc)
			return usage_error(cmd, "missing %s after %s", kw->value, kw->name);
		kw->arg = argv[i + 1];
	}
	for (size_t k = 0; k < count; k++)
		if (keywords[k].required && !keywords[k].arg)
			return usage_error(cmd, "missing %s %s", keywords[k].name,
					   keywords[k].value);
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	}
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static bool is_object(const char *word)
{
	const struct command *cmd;

	for_each_command(cmd, t, i)
		if (cmd->object && !strcmp(cmd->object, word))
			return true;
	return false;
}

/* "help [OBJECT]" */
static int help(int argc, char **argv)
{
	if (argc > 0 && !is_object(argv[0]))
		return main_usage_error("help: unknown object '%s'", argv[0]);
	usage(stdout, argc > 0 ? argv[0] : NULL);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json",    no_argument, NULL, 'j' },
		{ "pretty",  no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help",    no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	const char *object = NULL, *name;
	int opt;

	/* '+': options end at OBJECT, so "volume create x source -y" stays whole. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jpVh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			opt_json = true;
			break;
		case 'p':
			opt_pretty = true;
			break;
		case 'V':
			printf("%s %s\n", progname, VDREPCTL_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout, NULL);
			return EXIT_OK;
		default:
			if (optopt)
				return main_usage_error("unknown option '-%c'", optopt);
			return main_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;

	if (argc < 1)
		return main_usage_error("missing OBJECT");
	if (!strcmp(argv[0], "help"))
		return help(argc - 1, argv + 1);

	if (is_object(argv[0])) {
		object = argv[0];
		argc--;
		argv++;
		if (argc < 1)
			return main_usage_error("%s: missing COMMAND", object);
		if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
		    !strcmp(argv[0], "--help")) {
			usage(stdout, object);
			return EXIT_OK;
		}
	}
	name = argv[0];
	for_each_command(cmd, t, i) {
		if (object ? cmd->object && !strcmp(cmd->object, object) : !cmd->object) {
			if (!strcmp(cmd->name, name))
				return cmd->handler(cmd, argc - 1, argv + 1);
		}
	}
	if (object)
		return main_usage_error("%s: unknown command '%s'", object, name);
	return main_usage_error("unknown object '%s'", name);
}
