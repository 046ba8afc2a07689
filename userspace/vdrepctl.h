/* SPDX-License-Identifier: GPL-2.0 */
/* vdrepctl: shared declarations. */
#ifndef VDREPCTL_H
#define VDREPCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <linux/vdrep.h>

/* Exit codes: 0 done, 1 refused or failed, 2 bad command line. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* Global options. */
extern bool opt_json, opt_pretty;
extern const char *progname;

/* ------------------------------------------------------------ vdrepctl.c */

/* Print "vdrepctl: <cmd>: <message>" style usage errors and return EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A command: OBJECT COMMAND, handler, and its argument synopsis for usage. */
struct command {
	const char *object;	/* "volume", or NULL for a top-level command */
	const char *name;
	int (*handler)(int argc, char **argv);
	const char *args;
	const char *help;
};

/* ------------------------------------------------------------------ nl.c */

struct vdrep_nl {
	struct nl_sock *sock;
	int family;
};

/* Callback for each reply or dump message: return NL_OK or NL_STOP. */
typedef int (*nl_reply_fn)(struct nl_msg *msg, void *arg);

/* Open a socket and resolve the family; prints the reason on failure. */
int vnl_open(struct vdrep_nl *nl);
void vnl_close(struct vdrep_nl *nl);
/* A new request message for @cmd (@flags: NLM_F_DUMP or 0). */
struct nl_msg *vnl_request(struct vdrep_nl *nl, uint8_t cmd, int flags);
/*
 * Send @req (consumed), call @fn for each reply message, wait for the ack or
 * the end of the dump. On a kernel error, print "vdrepctl: <what>: <extack
 * message>: <strerror>" and return -errno.
 */
int vnl_transact(struct vdrep_nl *nl, struct nl_msg *req, nl_reply_fn fn,
		void *arg, const char *what);
/* Join the "events" multicast group. */
int vnl_subscribe_events(struct vdrep_nl *nl);

/* --------------------------------------------------------------- print.c */

/*
 * One printing path for text and JSON. Fields are named by their JSON key;
 * text shows "key value" with '_' turned into '-' (or "key:value" in the
 * monitor's key-value style).
 */
enum print_style { PRINT_TEXT, PRINT_KV, PRINT_JSON };

void print_start(enum print_style style);
void print_list_begin(void);
void print_list_end(void);
void print_object_begin(void);
void print_object_end(void);
/* Text-only lead-in, e.g. "name:" before the key-value pairs. */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_str(const char *key, const char *value);
void print_u64(const char *key, uint64_t value);
void print_flush(void);

/* --------------------------------------------------------------- names.c */

/* Names of the seed's enum values ("synchronized"), NULL if unknown. */
const char *copy_state_name(unsigned int v);
const char *sync_state_name(unsigned int v);
const char *progress_status_name(unsigned int v);
const char *sync_type_name(unsigned int v);
const char *sync_mode_name(unsigned int v);
const char *copy_type_name(unsigned int v);
const char *replica_type_name(unsigned int v);
const char *copy_methodology_name(unsigned int v);
const char *copy_priority_name(unsigned int v);
const char *meta_state_name(unsigned int v);
/* Reverse look-up: the value of @name in the table of @lookup, or -1. */
int enum_value(const char *(*lookup)(unsigned int), const char *name);

/* -------------------------------------------------------------- volume.c */

int cmd_volume_create(int argc, char **argv);
int cmd_volume_destroy(int argc, char **argv);
int cmd_volume_show(int argc, char **argv);
/* Print a volume message; @event is NULL for show, else "create" etc. */
int print_volume_msg(struct nl_msg *msg, const char *event);

/* ------------------------------------------------------------- monitor.c */

int cmd_monitor(int argc, char **argv);

#endif /* VDREPCTL_H */
