// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl monitor [--count N]: the state of every object, then its changes,
 * a line each (drbdsetup events2 style):
 *
 *   exists volume name:data id:0 ...     the current objects
 *   exists -                             end of the current state
 *   create|change|destroy volume ... seq:N
 *
 * The events group is joined before the dump, so no change between the two
 * is missed (it may be seen twice). Notifications carry a family-wide
 * sequence number; a gap, or a socket overrun, means events were lost, and
 * the monitor says so on stderr and dumps the state again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdrepctl.h"

struct monitor {
	uint64_t last_seq;	/* 0: none seen yet */
	bool lost;
	long remaining;		/* events to print before exiting, -1: forever */
};

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case VDREP_CMD_VOLUME_CREATE_NTF:
		return "create";
	case VDREP_CMD_VOLUME_CHANGE_NTF:
		return "change";
	case VDREP_CMD_VOLUME_DESTROY_NTF:
		return "destroy";
	default:
		return NULL;
	}
}

static uint64_t event_seq(struct nl_msg *msg)
{
	struct nlattr *tb[VDREP_A_VOLUME_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VDREP_A_VOLUME_MAX, NULL) < 0 ||
	    !tb[VDREP_A_VOLUME_EVENT_SEQ])
		return 0;
	return nla_get_u64(tb[VDREP_A_VOLUME_EVENT_SEQ]);
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *ghdr = nlmsg_data(nlmsg_hdr(msg));
	const char *event = event_name(ghdr->cmd);
	struct monitor *mon = arg;
	uint64_t seq;

	if (!event)
		return NL_SKIP;	/* a kind this vdrepctl does not know yet */
	seq = event_seq(msg);
	if (mon->last_seq && seq != mon->last_seq + 1)
		mon->lost = true;
	mon->last_seq = seq;
	print_volume_msg(msg, event);
	if (mon->remaining > 0 && --mon->remaining == 0)
		return NL_STOP;
	return NL_OK;
}

static int on_exists(struct nl_msg *msg, void *arg)
{
	(void)arg;
	return print_volume_msg(msg, "exists");
}

static int dump_state(void)
{
	struct vdrep_nl nl;
	struct nl_msg *req;
	int err;

	if (vnl_open(&nl))
		return -1;
	req = vnl_request(&nl, VDREP_CMD_VOLUME_GET, NLM_F_DUMP);
	if (!req) {
		vnl_close(&nl);
		return -1;
	}
	err = vnl_transact(&nl, req, on_exists, NULL, "monitor: volume dump");
	vnl_close(&nl);
	if (err)
		return -1;
	if (opt_json)
		puts("{\"event\":\"exists\",\"object\":\"-\"}");
	else
		puts("exists -");
	print_flush();
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor mon = { .remaining = -1 };
	struct vdrep_nl events;
	struct nl_cb *cb;
	int err;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			char *end;

			mon.remaining = strtol(argv[++i], &end, 10);
			if (*end || mon.remaining <= 0)
				return usage_error("monitor: --count takes a number above 0");
		} else {
			return usage_error("monitor: unknown option %s", argv[i]);
		}
	}

	if (vnl_open(&events))
		return EXIT_FAILED;
	if (vnl_subscribe_events(&events)) {
		vnl_close(&events);
		return EXIT_FAILED;
	}
	nl_socket_disable_seq_check(events.sock);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		vnl_close(&events);
		return EXIT_FAILED;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &mon);

	print_start(opt_json ? PRINT_JSON : PRINT_KV);
	if (dump_state())
		goto err_out;

	for (;;) {
		err = nl_recvmsgs(events.sock, cb);
		if (mon.remaining == 0)
			break;
		if (err == -NLE_NOMEM || mon.lost) {
			/* ENOBUFS: the kernel dropped events for us. */
			fprintf(stderr, "%s: monitor: lost events, dumping the state again\n",
				progname);
			mon.lost = false;
			mon.last_seq = 0;
			if (dump_state())
				goto err_out;
		} else if (err < 0 && err != -NLE_INTR && err != -NLE_AGAIN) {
			fprintf(stderr, "%s: monitor: %s\n", progname, nl_geterror(err));
			goto err_out;
		}
	}
	nl_cb_put(cb);
	vnl_close(&events);
	return EXIT_OK;

err_out:
	nl_cb_put(cb);
	vnl_close(&events);
	return EXIT_FAILED;
}
