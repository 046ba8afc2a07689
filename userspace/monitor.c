// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl monitor [--count N]: the current objects, then their changes, a
 * line each (drbdsetup events2 style):
 *
 *   exists volume name:data id:0 ...       every object, as dumped
 *   exists -                               end of the current state
 *   create|change|destroy volume ... seq:N one line per notification
 *   # lost events, re-dumping              then "exists" lines again
 *
 * The events group is joined before the dump, so nothing that happens during
 * the dump is missed (it may be seen twice: in the dump and as an event).
 * Notifications carry a family-wide sequence number; a gap, or a socket
 * overrun (ENOBUFS), means events were lost: the queued ones are dropped and
 * the state is dumped again, the same way.
 *
 * Each kind of object is one row of the table below: associations, when the
 * kernel has them, add a row with their dump command and notifications.
 */
#define _GNU_SOURCE	/* ppoll() */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/vdrep.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
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

/* nlctrl tells every listener when a family goes away. */
static void check_family_gone(struct monitor *mon, struct nl_msg *msg)
{
	struct genlmsghdr *ghdr = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING },
	};

	if (ghdr->cmd != CTRL_CMD_DELFAMILY ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME])
		return;
	if (!strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), VDREP_FAMILY_NAME))
		mon->family_gone = true;
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
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		check_family_gone(mon, msg);
		return mon->family_gone ? NL_STOP : NL_SKIP;
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

/* Notifications are not replies: they carry no sequence number of ours. */
static int accept_any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int monitor_open(struct monitor *mon)
{
	int group, err;

	if (vdrep_nl_open(&mon->events))
		return -1;
	if (vdrep_nl_join_events(&mon->events))
		return -1;
	group = genl_ctrl_resolve_grp(mon->events.sock, "nlctrl", "notify");
	if (group < 0 || nl_socket_add_membership(mon->events.sock, group) < 0) {
		/* Only the unload notice depends on it: carry on without. */
		fprintf(stderr, "%s: monitor: cannot follow the netlink controller; a module unload will go unnoticed\n",
			progname);
	}
	/* Room for bursts, so that ENOBUFS (and a re-dump) stays rare. */
	nl_socket_set_buffer_size(mon->events.sock, 1 << 20, 0);
	err = nl_socket_set_nonblocking(mon->events.sock);
	if (err) {
		fprintf(stderr, "%s: monitor: %s\n", progname, nl_geterror(err));
		return -1;
	}
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

/*
 * Throw away the notifications queued so far: they happened before the dump
 * that follows, which shows their outcome. Printed after it they would undo
 * it (a "create" of a volume that is gone again).
 */
static void discard_queued(struct monitor *mon)
{
	int fd = nl_socket_get_fd(mon->events.sock);
	char buf[8192];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno != ENOBUFS && errno != EINTR)
			return;		/* EAGAIN: empty */
	}
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
			discard_queued(mon);
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
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		fprintf(stderr, "%s: monitor: out of memory\n", progname);
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &mon);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, accept_any_seq, NULL);

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
