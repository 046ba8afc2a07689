// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: generic netlink plumbing on libnl-genl-3. Requests are sent with
 * extended acks turned on so that the kernel's message reaches the user.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>

#include "vdrepctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int vnl_open(struct vdrep_nl *nl)
{
	int one = 1;
	int err;

	nl->sock = nl_socket_alloc();
	if (!nl->sock) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return -ENOMEM;
	}
	err = genl_connect(nl->sock);
	if (err) {
		fprintf(stderr, "%s: cannot open a netlink socket: %s\n", progname,
			nl_geterror(err));
		goto err_free;
	}
	/* Without these the kernel's extack text never reaches us. */
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sock, VDREP_FAMILY_NAME);
	if (nl->family < 0) {
		if (nl->family == -NLE_OBJ_NOTFOUND)
			fprintf(stderr, "%s: vdrep module not loaded\n", progname);
		else
			fprintf(stderr, "%s: cannot find the vdrep netlink family: %s\n",
				progname, nl_geterror(nl->family));
		err = nl->family;
		goto err_free;
	}
	return 0;

err_free:
	nl_socket_free(nl->sock);
	nl->sock = NULL;
	return err;
}

void vnl_close(struct vdrep_nl *nl)
{
	nl_socket_free(nl->sock);
	nl->sock = NULL;
}

struct nl_msg *vnl_request(struct vdrep_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_ACK, cmd, VDREP_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct transact {
	nl_reply_fn fn;
	void *arg;
	bool done;
	int error;			/* -errno from the kernel */
	char message[256];		/* its extack message, if any */
	uint32_t missing_attr;		/* NLMSGERR_ATTR_MISS_TYPE, if any */
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct transact *t = arg;

	return t->fn ? t->fn(msg, t->arg) : NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct transact *t = arg;

	(void)msg;
	t->done = true;
	return NL_STOP;
}

/* Pick the extack attributes that follow struct nlmsgerr. */
static void parse_extack(struct transact *t, struct nlmsghdr *nlh,
			 struct nlmsgerr *err)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	size_t offset = sizeof(*err);
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Unless capped, the ack quotes the whole request before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	len = (int)nlh->nlmsg_len - (int)NLMSG_HDRLEN - (int)offset;
	if (len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)err + offset), len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(t->message, sizeof(t->message), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		t->missing_attr = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	struct transact *t = arg;

	(void)nla;
	t->error = err->error;
	t->done = true;
	if (err->error)
		parse_extack(t, nlh, err);
	return NL_STOP;
}

int vnl_transact(struct vdrep_nl *nl, struct nl_msg *req, nl_reply_fn fn,
		void *arg, const char *what)
{
	struct transact t = { .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(req);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_finish, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);

	err = nl_send_auto(nl->sock, req);
	nlmsg_free(req);
	if (err < 0) {
		fprintf(stderr, "%s: %s: cannot send: %s\n", progname, what,
			nl_geterror(err));
		nl_cb_put(cb);
		return -EIO;
	}
	while (!t.done) {
		err = nl_recvmsgs(nl->sock, cb);
		if (err < 0 && !t.done) {
			fprintf(stderr, "%s: %s: %s\n", progname, what, nl_geterror(err));
			nl_cb_put(cb);
			return -EIO;
		}
	}
	nl_cb_put(cb);

	if (t.error) {
		if (t.message[0])
			fprintf(stderr, "%s: %s: %s: %s\n", progname, what, t.message,
				strerror(-t.error));
		else if (t.missing_attr)
			fprintf(stderr, "%s: %s: missing attribute %u: %s\n", progname,
				what, t.missing_attr, strerror(-t.error));
		else
			fprintf(stderr, "%s: %s: %s\n", progname, what,
				strerror(-t.error));
		return t.error;
	}
	return 0;
}

int vnl_subscribe_events(struct vdrep_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->sock, VDREP_FAMILY_NAME,
					VDREP_MCGRP_EVENTS);
	int err;

	if (grp < 0) {
		fprintf(stderr, "%s: cannot find the events group: %s\n", progname,
			nl_geterror(grp));
		return grp;
	}
	err = nl_socket_add_membership(nl->sock, grp);
	if (err) {
		fprintf(stderr, "%s: cannot join the events group: %s\n", progname,
			nl_geterror(err));
		return err;
	}
	return 0;
}
