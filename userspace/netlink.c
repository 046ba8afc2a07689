// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: request/reply over the vdrep generic netlink family.
 *
 * Requests go out with extended acks turned on, so a refusal comes back with
 * the kernel's own explanation (NLMSGERR_ATTR_MSG), which is what the user
 * sees. libnl hands the error callback the struct nlmsgerr; the extack
 * attributes that follow it are parsed here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vdrep.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "netlink.h"
#include "vdrepctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int vdrep_nl_open(struct vdrep_nl *nl)
{
	int one = 1;
	int err;

	nl->sock = nl_socket_alloc();
	if (!nl->sock) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return -NLE_NOMEM;
	}
	err = genl_connect(nl->sock);
	if (err) {
		fprintf(stderr, "%s: cannot open a generic netlink socket: %s\n",
			progname, nl_geterror(err));
		goto err_free;
	}
	/*
	 * EXT_ACK: the kernel's message reaches us. CAP_ACK: the ack does not
	 * quote our whole request back. Kernels older than 4.12 lack both, and
	 * then only the errno is shown; nothing fails.
	 */
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sock, VDREP_FAMILY_NAME);
	if (nl->family < 0) {
		err = nl->family;
		if (err == -NLE_OBJ_NOTFOUND)
			fprintf(stderr, "%s: vdrep module not loaded\n", progname);
		else
			fprintf(stderr, "%s: cannot look up the vdrep netlink family: %s\n",
				progname, nl_geterror(err));
		goto err_free;
	}
	return 0;

err_free:
	nl_socket_free(nl->sock);
	nl->sock = NULL;
	return err;
}

void vdrep_nl_close(struct vdrep_nl *nl)
{
	nl_socket_free(nl->sock);
	nl->sock = NULL;
}

struct nl_msg *vdrep_nl_request(struct vdrep_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, VDREP_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* The state of one request while its replies come in. */
struct transaction {
	vdrep_reply_fn fn;
	void *arg;
	bool done;		/* ack, error or end of dump seen */
	int error;		/* -errno from the kernel, 0 */
	char message[512];	/* extack message, "" if none */
	uint32_t missing_attr;	/* extack: a required attribute that was absent */
};

static struct nla_policy extack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG]		= { .type = NLA_STRING },
	[NLMSGERR_ATTR_OFFS]		= { .type = NLA_U32 },
	[NLMSGERR_ATTR_MISS_TYPE]	= { .type = NLA_U32 },
};

/* Extack attributes start @offset bytes into the payload of @nlh. */
static void parse_extack(struct transaction *t, struct nlmsghdr *nlh,
			 size_t offset)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	len = (int)nlh->nlmsg_len - (int)NLMSG_HDRLEN - (int)offset;
	if (len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + offset), len,
		      extack_policy))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(t->message, sizeof(t->message), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		t->missing_attr = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct transaction *t = arg;

	return t->fn ? t->fn(msg, t->arg) : NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct transaction *t = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/* A successful ack may still carry a warning. */
	if (nlh->nlmsg_flags & NLM_F_CAPPED)
		parse_extack(t, nlh, sizeof(struct nlmsgerr));
	t->done = true;
	return NL_STOP;
}

/* End of a dump: an int error, then (kernel 6.0+) extack attributes. */
static int on_dump_done(struct nl_msg *msg, void *arg)
{
	struct transaction *t = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int error;

	t->done = true;
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		memcpy(&error, nlmsg_data(nlh), sizeof(error));
		if (error < 0) {
			t->error = error;
			parse_extack(t, nlh, sizeof(int));
		}
	}
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	struct transaction *t = arg;
	size_t offset = sizeof(*err);

	(void)who;
	/* Unless capped, the error quotes our whole request before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset = sizeof(err->error) + NLMSG_ALIGN(err->msg.nlmsg_len);
	t->error = err->error;
	t->done = true;
	parse_extack(t, nlh, offset);
	return NL_STOP;
}

static void report_error(const struct transaction *t, const char *what)
{
	const char *reason = strerror(-t->error);

	if (t->message[0])
		fprintf(stderr, "%s: %s: %s\n", progname, t->message, reason);
	else if (t->missing_attr)
		fprintf(stderr, "%s: %s: attribute %u missing: %s\n", progname,
			what, t->missing_attr, reason);
	else
		fprintf(stderr, "%s: %s: %s\n", progname, what, reason);
}

int vdrep_nl_transact(struct vdrep_nl *nl, struct nl_msg *req,
		      vdrep_reply_fn fn, void *arg, const char *what)
{
	return vdrep_nl_transact_quiet(nl, req, fn, arg, what, 0);
}

int vdrep_nl_transact_quiet(struct vdrep_nl *nl, struct nl_msg *req,
			    vdrep_reply_fn fn, void *arg, const char *what,
			    int quiet_errno)
{
	struct transaction t = { .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(req);
		fprintf(stderr, "%s: %s: out of memory\n", progname, what);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_dump_done, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);

	/* nl_send_auto() asks for an ack, so a "do" always ends in one. */
	err = nl_send_auto(nl->sock, req);
	nlmsg_free(req);
	if (err < 0) {
		fprintf(stderr, "%s: %s: cannot send the request: %s\n", progname,
			what, nl_geterror(err));
		nl_cb_put(cb);
		return -EIO;
	}
	while (!t.done) {
		err = nl_recvmsgs(nl->sock, cb);
		if (err < 0 && !t.done) {
			fprintf(stderr, "%s: %s: %s\n", progname, what,
				nl_geterror(err));
			nl_cb_put(cb);
			return -EIO;
		}
	}
	nl_cb_put(cb);

	if (t.error) {
		if (!quiet_errno || t.error != -quiet_errno)
			report_error(&t, what);
		return t.error;
	}
	if (t.message[0])
		fprintf(stderr, "%s: warning: %s\n", progname, t.message);
	return 0;
}

int vdrep_request(struct nl_msg *(*build)(struct vdrep_nl *nl, void *arg),
		  void *arg, vdrep_reply_fn fn, const char *what)
{
	struct vdrep_nl nl;
	struct nl_msg *req;
	int err;

	if (vdrep_nl_open(&nl))
		return EXIT_FAILED;
	req = build(&nl, arg);
	if (!req) {
		fprintf(stderr, "%s: %s: cannot build the request\n", progname, what);
		vdrep_nl_close(&nl);
		return EXIT_FAILED;
	}
	err = vdrep_nl_transact(&nl, req, fn, NULL, what);
	vdrep_nl_close(&nl);
	return err ? EXIT_FAILED : EXIT_OK;
}

int vdrep_nl_join_events(struct vdrep_nl *nl)
{
	int group, err;

	group = genl_ctrl_resolve_grp(nl->sock, VDREP_FAMILY_NAME,
				      VDREP_MCGRP_EVENTS);
	if (group < 0) {
		fprintf(stderr, "%s: cannot find the vdrep \"%s\" group: %s\n",
			progname, VDREP_MCGRP_EVENTS, nl_geterror(group));
		return group;
	}
	err = nl_socket_add_membership(nl->sock, group);
	if (err) {
		fprintf(stderr, "%s: cannot join the vdrep \"%s\" group: %s\n",
			progname, VDREP_MCGRP_EVENTS, nl_geterror(err));
		return err;
	}
	return 0;
}

int vdrep_nl_open_events(struct vdrep_nl *nl, const char *what)
{
	int group, err;

	if (vdrep_nl_open(nl))
		return -1;
	if (vdrep_nl_join_events(nl))
		return -1;
	group = genl_ctrl_resolve_grp(nl->sock, "nlctrl", "notify");
	if (group < 0 || nl_socket_add_membership(nl->sock, group) < 0) {
		/* Only the unload notice depends on it: carry on without. */
		fprintf(stderr, "%s: %s: cannot follow the netlink controller; a module unload will go unnoticed\n",
			progname, what);
	}
	/* Room for bursts, so that ENOBUFS (and a re-read) stays rare. */
	nl_socket_set_buffer_size(nl->sock, 1 << 20, 0);
	err = nl_socket_set_nonblocking(nl->sock);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", progname, what, nl_geterror(err));
		return -1;
	}
	return 0;
}

/* Notifications are not replies: they carry no sequence number of ours. */
static int accept_any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

struct nl_cb *vdrep_nl_events_cb(vdrep_reply_fn fn, void *arg)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, accept_any_seq, NULL);
	return cb;
}

bool vdrep_nl_family_gone(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *ghdr = nlmsg_data(nlh);
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING },
	};

	if (nlh->nlmsg_type != GENL_ID_CTRL || ghdr->cmd != CTRL_CMD_DELFAMILY ||
	    genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME])
		return false;
	return !strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), VDREP_FAMILY_NAME);
}

void vdrep_nl_discard_queued(struct vdrep_nl *nl)
{
	int fd = nl_socket_get_fd(nl->sock);
	char buf[8192];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno != ENOBUFS && errno != EINTR)
			return;		/* EAGAIN: empty */
	}
}
