// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl monitor [--count N]: the current objects, then their changes, a
 * line each (drbdsetup events2 style):
 *
 *   exists volume name:data id:0 ...       every volume, as dumped
 *   exists assoc data/m1 id:1 ...          every association
 *   exists -                               end of the current state
 *   create|change|destroy volume ... seq:N one line per notification
 *   create|change|destroy assoc ... seq:N
 *   # lost events, re-dumping              then "exists" lines again
 *
 * The events group is joined before the dump, so nothing that happens during
 * the dump is missed (it may be seen twice: in the dump and as an event).
 * Notifications carry a family-wide sequence number; a gap, or a socket
 * overrun (ENOBUFS), means events were lost: the queued ones are dropped and
 * the state is dumped again, the same way.
 *
 * Each kind of object is one row of the table below, dumped in that order:
 * volumes before their associations.
 */
#define _GNU_SOURCE	/* ppoll() */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vdrep.h>
#include <netlink/genl/genl.h>

#include "netlink.h"
#include "print.h"
#include "vdrepctl.h"

struct monitored {
	const char *object;	/* "volume" */
	uint8_t dump_cmd;	/* dumped for the "exists" lines */
	struct {
		uint8_t cmd;
		const char *event;
	} events[3];
	/* The notification's event-seq (0 if absent); -1 if malformed. */
	int (*event_seq)(struct nl_msg *msg, uint64_t *seq);
	/* Print a dumped object or a notification as a monitor line. */
	int (*print)(struct nl_msg *msg, const char *event);
};

static const struct monitored monitored[] = {
	{
		.object = "volume",
		.dump_cmd = VDREP_CMD_VOLUME_GET,
		.events = {
			{ VDREP_CMD_VOLUME_CREATE_NTF, "create" },
			{ VDREP_CMD_VOLUME_CHANGE_NTF, "change" },
			{ VDREP_CMD_VOLUME_DESTROY_NTF, "destroy" },
		},
		.event_seq = volume_event_seq,
		.print = volume_print_msg,
	},
	{
		.object = "assoc",
		.dump_cmd = VDREP_CMD_ASSOC_GET,
		.events = {
			{ VDREP_CMD_ASSOC_CREATE_NTF, "create" },
			{ VDREP_CMD_ASSOC_CHANGE_NTF, "change" },
			{ VDREP_CMD_ASSOC_DESTROY_NTF, "destroy" },
		},
		.event_seq = assoc_event_seq,
		.print = assoc_print_msg,
	},
};

struct monitor {
	struct vdrep_nl events;		/* joined to "events" and nlctrl "notify" */
	struct vdrep_nl requests;	/* for the dumps */
	uint64_t last_seq;		/* 0: no sequence to continue */
	bool lost;			/* a gap in the sequence: dump again */
	bool family_gone;		/* the module was unloaded */
	long remaining;			/* events to print before exiting; -1: no limit */
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* A line of its own: "exists -" and the lost-events marker. */
static void print_marker(const char *text, const char *event)
{
	print_open_object(NULL);
	print_text("%s", text);
	print_string(PRINT_JSON, "event", event);
	print_string(PRINT_JSON, "object", "-");
	print_close_object();
}

static int on_exists(struct nl_msg *msg, void *arg)
{
	const struct monitored *m = arg;

	return m->print(msg, "exists");
}

/* Every object as "exists" lines, then "exists -". */
static int dump_state(struct monitor *mon)
{
	for (size_t i = 0; i < ARRAY_SIZE(monitored); i++) {
		const struct monitored *m = &monitored[i];
		struct nl_msg *req;
		char what[64];

		snprintf(what, sizeof(what), "monitor: %s dump", m->object);
		req = vdrep_nl_request(&mon->requests, m->dump_cmd, NLM_F_DUMP);
		if (!req) {
			fprintf(stderr, "%s: %s: out of memory\n", progname, what);
			return -1;
		}
		if (vdrep_nl_transact(&mon->requests, req, on_exists, (void *)m, what))
			return -1;
	}
	print_marker("exists -", "exists");
	return 0;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *ghdr = nlmsg_data(nlh);
	const struct monitored *m = NULL;
	struct monitor *mon = arg;
	const char *event = NULL;
	uint64_t seq;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	if (vdrep_nl_family_gone(msg)) {
		mon->family_gone = true;
		return NL_STOP;
	}
	if (nlh->nlmsg_type != mon->events.family)
		return NL_SKIP;
	for (size_t i = 0; i < ARRAY_SIZE(monitored) && !event; i++) {
		for (size_t e = 0; e < ARRAY_SIZE(monitored[i].events); e++) {
			if (monitored[i].events[e].cmd == ghdr->cmd) {
				m = &monitored[i];
				event = m->events[e].event;
				break;
			}
		}
	}
	if (!event)
		return NL_SKIP;	/* a notification newer than this vdrepctl */
	if (m->event_seq(msg, &seq))
		return NL_SKIP;

	if (seq && mon->last_seq && seq != mon->last_seq + 1) {
		/* The fresh dump will show this event's outcome too. */
		mon->lost = true;
		return NL_STOP;
	}
	if (seq)
		mon->last_seq = seq;
	m->print(msg, event);
	if (mon->remaining > 0 && --mon->remaining == 0)
		return NL_STOP;
	return NL_OK;
}

static int monitor_open(struct monitor *mon)
{
	if (vdrep_nl_open_events(&mon->events, "monitor"))
		return -1;
	if (vdrep_nl_open(&mon->requests))
		return -1;
	return 0;
}

static void monitor_close(struct monitor *mon)
{
	if (mon->events.sock)
		vdrep_nl_close(&mon->events);
	if (mon->requests.sock)
		vdrep_nl_close(&mon->requests);
}

/* Read every queued notification; 0 when the socket is empty. */
static int read_events(struct monitor *mon, struct nl_cb *cb)
{
	int err;

	for (;;) {
		err = nl_recvmsgs(mon->events.sock, cb);
		if (mon->remaining == 0 || mon->family_gone || stop_signal)
			return 0;
		if (err == -NLE_AGAIN)
			return 0;
		if (err == -NLE_NOMEM || mon->lost) {
			/* -NLE_NOMEM is ENOBUFS: the kernel dropped notifications. */
			mon->lost = false;
			mon->last_seq = 0;	/* the next one starts a new sequence */
			/*
			 * The queued notifications happened before the dump
			 * that follows, which shows their outcome. Printed
			 * after it they would undo it (a "create" of a
			 * volume that is gone again).
			 */
			vdrep_nl_discard_queued(&mon->events);
			print_marker("# lost events, re-dumping", "lost");
			if (dump_state(mon))
				return -1;
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "%s: monitor: %s\n", progname, nl_geterror(err));
			return -1;
		}
	}
}

static int do_monitor(const struct command *cmd, int argc, char **argv)
{
	struct monitor mon = { .remaining = -1 };
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t stop_signals, wait_mask;
	struct nl_cb *cb = NULL;
	int ret = EXIT_FAILED;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--count")) {
			char *end;

			if (i + 1 >= argc)
				return usage_error(cmd, "missing N after --count");
			errno = 0;
			mon.remaining = strtol(argv[++i], &end, 10);
			if (errno || end == argv[i] || *end || mon.remaining <= 0)
				return usage_error(cmd, "--count '%s' is not a number above 0",
						   argv[i]);
		} else {
			return usage_error(cmd, "unexpected argument '%s'", argv[i]);
		}
	}

	/*
	 * SIGINT and SIGTERM are only let in while waiting in ppoll(), so a
	 * line is never cut short and the sockets are closed on the way out.
	 * (libnl retries a read that a signal interrupts: waiting in its
	 * recvmsg() would not notice them.)
	 */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* One JSON object per line, so -p does not apply. */
	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_KV, false);

	if (monitor_open(&mon))
		goto out;
	cb = vdrep_nl_events_cb(on_event, &mon);
	if (!cb) {
		fprintf(stderr, "%s: monitor: out of memory\n", progname);
		goto out;
	}

	if (dump_state(&mon))
		goto out;
	while (!stop_signal && mon.remaining != 0 && !mon.family_gone) {
		struct pollfd pfd = {
			.fd = nl_socket_get_fd(mon.events.sock), .events = POLLIN,
		};

		if (ppoll(&pfd, 1, NULL, &wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: monitor: %s\n", progname, strerror(errno));
			goto out;
		}
		if (read_events(&mon, cb))
			goto out;
	}
	if (mon.family_gone) {
		fprintf(stderr, "%s: monitor: the vdrep module was unloaded\n", progname);
		goto out;
	}
	ret = EXIT_OK;
out:
	print_flush();
	if (cb)
		nl_cb_put(cb);
	monitor_close(&mon);
	return ret;
}

const struct command monitor_commands[] = {
	{ NULL, "monitor", "[--count N]",
	  "print every object, 'exists -', then a line per event (N events, then exit)",
	  do_monitor },
};
const size_t monitor_command_count = ARRAY_SIZE(monitor_commands);
