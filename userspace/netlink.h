/* SPDX-License-Identifier: GPL-2.0 */
/* vdrepctl: the vdrep generic netlink family through libnl-genl-3. */
#ifndef VDREPCTL_NETLINK_H
#define VDREPCTL_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/msg.h>
#include <netlink/socket.h>

struct vdrep_nl {
	struct nl_sock *sock;
	int family;		/* generic netlink family id of "vdrep" */
};

/* Called for each reply or dump message; returns NL_OK, NL_SKIP or NL_STOP. */
typedef int (*vdrep_reply_fn)(struct nl_msg *msg, void *arg);

/*
 * Open a socket with extended acks on and resolve the family. On failure
 * prints why ("vdrep module not loaded") and returns a negative libnl error.
 */
int vdrep_nl_open(struct vdrep_nl *nl);
void vdrep_nl_close(struct vdrep_nl *nl);

/* A request for @cmd; @flags is 0 or NLM_F_DUMP. NULL if out of memory. */
struct nl_msg *vdrep_nl_request(struct vdrep_nl *nl, uint8_t cmd, int flags);

/*
 * Send @req (always freed), call @fn (may be NULL) for each reply message,
 * and wait for the ack or the end of the dump. On a kernel error prints
 * "vdrepctl: <extack message>: <strerror>", or "vdrepctl: <what>: <strerror>"
 * when the kernel gave no message, and returns -errno. Local failures print
 * "vdrepctl: <what>: <reason>" and return a negative errno too.
 */
int vdrep_nl_transact(struct vdrep_nl *nl, struct nl_msg *req,
		      vdrep_reply_fn fn, void *arg, const char *what);

/*
 * The same, but a kernel error of -@quiet_errno (ENOENT, say) is only
 * returned, not printed: the caller expects it. 0 prints every error.
 */
int vdrep_nl_transact_quiet(struct vdrep_nl *nl, struct nl_msg *req,
			    vdrep_reply_fn fn, void *arg, const char *what,
			    int quiet_errno);

/*
 * Open, send the request @build makes, call @fn for each reply, close: a
 * command's whole exchange. Returns EXIT_OK, or EXIT_FAILED after printing
 * why.
 */
int vdrep_request(struct nl_msg *(*build)(struct vdrep_nl *nl, void *arg),
		  void *arg, vdrep_reply_fn fn, const char *what);

/* Join the "events" multicast group; prints why on failure. */
int vdrep_nl_join_events(struct vdrep_nl *nl);

/*
 * A socket for notifications: open, joined to "events" and to nlctrl's
 * "notify" (module unload), a large receive buffer, non-blocking. Prints
 * why on failure ("<what>: ..."); the socket may need closing all the same.
 */
int vdrep_nl_open_events(struct vdrep_nl *nl, const char *what);

/*
 * Callbacks for an events socket: @fn for every message, no sequence
 * check (notifications carry no sequence number of ours). NULL if out of
 * memory.
 */
struct nl_cb *vdrep_nl_events_cb(vdrep_reply_fn fn, void *arg);

/* @msg is nlctrl's notice that the vdrep family went away. */
bool vdrep_nl_family_gone(struct nl_msg *msg);

/*
 * Throw away the notifications queued on @nl, after a loss: the state read
 * next shows their outcome.
 */
void vdrep_nl_discard_queued(struct vdrep_nl *nl);

#endif /* VDREPCTL_NETLINK_H */
