/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdrepctl: what the command files share. Each object's file (volume.c,
 * assoc.c, monitor.c, meta.c) declares its commands in a table next to their
 * handlers; vdrepctl.c dispatches and generates the usage text from those
 * tables.
 */
#ifndef VDREPCTL_H
#define VDREPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netlink/msg.h>

/* Exit status: 0 done, 1 refused or failed, 2 bad command line. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

extern const char *progname;
/* -j and -p */
extern bool opt_json, opt_pretty;

struct command {
	const char *object;	/* "volume"; NULL for a command of its own ("monitor") */
	const char *name;
	const char *args;	/* synopsis of the arguments, for the usage text */
	const char *help;	/* one line */
	/* @argc/@argv: the words after the command's name */
	int (*handler)(const struct command *cmd, int argc, char **argv);
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The command tables, one per file. */
extern const struct command volume_commands[];
extern const size_t volume_command_count;
extern const struct command monitor_commands[];
extern const size_t monitor_command_count;
extern const struct command assoc_commands[];
extern const size_t assoc_command_count;
/* Printed after the assoc commands' usage: what ASSOC and STATE are. */
extern const char assoc_usage_notes[];
extern const struct command meta_commands[];
extern const size_t meta_command_count;

/* "<prefix>vdrepctl OBJECT COMMAND ARGS" */
void print_synopsis(FILE *out, const char *prefix, const struct command *cmd);

/*
 * Print "vdrepctl: OBJECT COMMAND: <message>" and the command's synopsis on
 * stderr; returns EXIT_USAGE for the handler to return.
 */
int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * "keyword value" arguments (iproute2 style), checked from a table: each
 * keyword at most once, a value after each, required ones present. Usage
 * errors name the keyword and its value ("missing source PATH").
 */
struct keyword {
	const char *name;	/* "source" */
	const char *value;	/* "PATH", the value's name in messages */
	bool required;
	const char *arg;	/* out: the value, NULL if not given */
};

/* Returns 0, or EXIT_USAGE after printing why. */
int parse_keywords(const struct command *cmd, int argc, char **argv,
		   struct keyword *keywords, size_t count);

/*
 * A size in bytes: digits, optionally followed by K, M or G (powers of 1024,
 * "KiB" and "KB" too). -1 if malformed or above UINT64_MAX; the kernel
 * judges the range, so that its message is the one users see.
 */
int parse_size(const char *s, uint64_t *out);

/* ---------------------------------------------------------------- store.c */

/* 1 if @path holds a snapshot store's header (either copy has the magic). */
int store_probe(const char *path);
/* meta dump / meta check on a snapshot store; an exit status. */
int store_dump(const char *path);
int store_check(const char *path);

/* --------------------------------------------------------------- volume.c */

/* A volume message's event-seq attribute; -1 if the message is malformed. */
int volume_event_seq(struct nl_msg *msg, uint64_t *seq);
/*
 * Print a volume message (reply, dump or notification). @event NULL: as
 * "volume show" does; else as a monitor line ("exists", "create", ...).
 */
int volume_print_msg(struct nl_msg *msg, const char *event);

/* ---------------------------------------------------------------- assoc.c */

/* An association message's event-seq attribute; -1 if the message is malformed. */
int assoc_event_seq(struct nl_msg *msg, uint64_t *seq);
/*
 * Print an association message. @event NULL: as "assoc show" does; else as
 * a monitor line ("exists", "create", ...).
 */
int assoc_print_msg(struct nl_msg *msg, const char *event);

#endif /* VDREPCTL_H */
