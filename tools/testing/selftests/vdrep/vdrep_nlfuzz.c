// SPDX-License-Identifier: GPL-2.0
/*
 * vdrep_nlfuzz: send seeded random requests to the "vdrep" generic netlink
 * family, most of them malformed on purpose, read every reply and check it.
 *
 *   vdrep_nlfuzz [--seed N] [--count N] [--name NAME]... [--dev PATH]...
 *                [--expect-eperm-for-mutating] [--timeout SECONDS]
 *                [--only GEN[,GEN...]] [--trace] [--hex] [--list]
 *
 * Each message comes from one generator, chosen at random. A message built
 * to be malformed must be refused: a success reply to it (an ACK with
 * error 0, a data reply, a dump) is a failure. A well-formed request may
 * succeed or fail. Device paths come only from --dev and names only from
 * --name (plus a few built-in names no object has); no other path is ever
 * sent in an attribute the kernel would open.
 *
 * After each message the fuzzer sends an NLMSG_NOOP with NLM_F_ACK (in
 * the same datagram when nlmsg_len is what is sent) and reads until that
 * ACK (and the end of a dump) arrives, so every reply is matched to its
 * request, even for requests the kernel answers with nothing. A socket
 * that answers nothing for --timeout seconds stops the run (exit 2). The
 * messages depend on the seed and the arguments only, never on the
 * replies: the same command line replays the same messages.
 * Documentation/dev-tools/netlink-fuzz.rst has the details.
 *
 * Exit status: 0 no failure, 1 failures, 2 the socket stopped answering or
 * the family could not be used, 3 bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/vdrep.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MSG_MAX		(72 * 1024)	/* the largest request built */
/*
 * Bytes asked of each recv(): the kernel sizes dump skbs by the largest
 * read so far, so one page makes it cut dumps into parts (and resume them)
 * instead of fitting a whole dump in one 32 KiB skb. Every reply to a doit
 * fits (NLMSG_GOODSIZE); a longer datagram is reported as truncated.
 */
#define RECV_LEN	4096
#define MAX_LIST	64		/* --name and --dev entries */
#define MAX_ATTRS	48		/* attributes of one request */
#define FAIL_PRINT	20		/* failures printed as they happen */

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* ------------------------------------------------------------------ rng */

static uint64_t rng;

/* xorshift64*: fast and good enough; seeded through splitmix64. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void rnd_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	rng = (z ^ (z >> 31)) | 1;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)((rnd() >> 32) % n) : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* ------------------------------------------------------------ commands */

struct cmd_desc {
	uint8_t cmd;
	const char *name;
	bool mutating;		/* GENL_ADMIN_PERM */
	bool dump;		/* has a dumpit */
	uint16_t maxattr;	/* of the request policy */
};

static const struct cmd_desc cmds[] = {
	{ VDREP_CMD_VOLUME_GET, "volume-get", false, true, VDREP_A_VOLUME_NAME },
	{ VDREP_CMD_VOLUME_CREATE, "volume-create", true, false, VDREP_A_VOLUME_META_PATH },
	{ VDREP_CMD_VOLUME_DESTROY, "volume-destroy", true, false, VDREP_A_VOLUME_NAME },
	{ VDREP_CMD_ASSOC_GET, "assoc-get", false, true, VDREP_A_ASSOC_NAME },
	{ VDREP_CMD_ASSOC_CREATE, "assoc-create", true, false, VDREP_A_ASSOC_RATE_LIMIT },
	{ VDREP_CMD_ASSOC_DESTROY, "assoc-destroy", true, false, VDREP_A_ASSOC_NAME },
	{ VDREP_CMD_ASSOC_MODIFY, "assoc-modify", true, false, VDREP_A_ASSOC_RATE_LIMIT },
	{ VDREP_CMD_VOLUME_STOP, "volume-stop", true, false, VDREP_A_VOLUME_NAME },
};

static const struct cmd_desc *cmd_find(uint8_t cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (cmds[i].cmd == cmd)
			return &cmds[i];
	return NULL;
}

static const char *cmd_name(uint8_t cmd)
{
	const struct cmd_desc *d = cmd_find(cmd);

	return d ? d->name : "unknown";
}

static bool cmd_is_assoc(uint8_t cmd)
{
	switch (cmd) {
	case VDREP_CMD_VOLUME_GET:
	case VDREP_CMD_VOLUME_CREATE:
	case VDREP_CMD_VOLUME_DESTROY:
	case VDREP_CMD_VOLUME_STOP:
		return false;
	default:
		return true;
	}
}

/* The attributes of each request policy (kernel/netlink-gen.c). */
enum akind { A_STR, A_PATH, A_U32, A_U64, A_FLAG };

struct attr_desc {
	uint8_t cmd;
	uint16_t type;
	enum akind kind;
	bool ranged;		/* NLA_POLICY_RANGE/MAX: [lo, hi] */
	uint32_t lo, hi;
};

static const struct attr_desc attrs[] = {
	{ VDREP_CMD_VOLUME_GET, VDREP_A_VOLUME_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_VOLUME_CREATE, VDREP_A_VOLUME_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_VOLUME_CREATE, VDREP_A_VOLUME_SOURCE_PATH, A_PATH, false, 0, 0 },
	{ VDREP_CMD_VOLUME_CREATE, VDREP_A_VOLUME_CHUNK_SIZE, A_U32, false, 0, 0 },
	{ VDREP_CMD_VOLUME_CREATE, VDREP_A_VOLUME_META_PATH, A_PATH, false, 0, 0 },
	{ VDREP_CMD_VOLUME_DESTROY, VDREP_A_VOLUME_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_VOLUME_STOP, VDREP_A_VOLUME_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_GET, VDREP_A_ASSOC_VOLUME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_GET, VDREP_A_ASSOC_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_VOLUME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_TARGET_PATH, A_PATH, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_SYNC_TYPE, A_U32, true, 6, 8 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_SYNC_MODE, A_U32, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_COPY_TYPE, A_U32, true, 2, 5 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_COPY_PRIORITY, A_U32, true, 0, 3 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_PREPARE_ONLY, A_FLAG, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_VIEW_WRITABLE, A_FLAG, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_RATE_LIMIT, A_U64, false, 0, 0 },
	{ VDREP_CMD_ASSOC_CREATE, VDREP_A_ASSOC_BACKLOG_LIMIT, A_U64, false, 0, 0 },
	{ VDREP_CMD_ASSOC_DESTROY, VDREP_A_ASSOC_VOLUME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_DESTROY, VDREP_A_ASSOC_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_MODIFY, VDREP_A_ASSOC_VOLUME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_MODIFY, VDREP_A_ASSOC_NAME, A_STR, false, 0, 0 },
	{ VDREP_CMD_ASSOC_MODIFY, VDREP_A_ASSOC_OPERATION, A_U32, true, 1, 11 },
	{ VDREP_CMD_ASSOC_MODIFY, VDREP_A_ASSOC_COPY_PRIORITY, A_U32, true, 0, 3 },
	{ VDREP_CMD_ASSOC_MODIFY, VDREP_A_ASSOC_RATE_LIMIT, A_U64, false, 0, 0 },
	{ VDREP_CMD_ASSOC_MODIFY, VDREP_A_ASSOC_BACKLOG_LIMIT, A_U64, false, 0, 0 },
	{ VDREP_CMD_ASSOC_MODIFY, VDREP_A_ASSOC_VIEW_WRITABLE, A_FLAG, false, 0, 0 },
};

/* A random attribute of @cmd's policy, of @kind unless kind is -1. */
static const struct attr_desc *attr_pick(uint8_t cmd, int kind)
{
	const struct attr_desc *found[ARRAY_SIZE(attrs)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(attrs); i++)
		if (attrs[i].cmd == cmd && (kind < 0 || (int)attrs[i].kind == kind ||
					    (kind == A_STR && attrs[i].kind == A_PATH)))
			found[n++] = &attrs[i];
	return n ? found[below(n)] : NULL;
}

static const struct attr_desc *attr_find(uint8_t cmd, uint16_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++)
		if (attrs[i].cmd == cmd && attrs[i].type == type)
			return &attrs[i];
	return NULL;
}

/* ------------------------------------------------------------- options */

static const char *names[MAX_LIST];
static unsigned int nr_names;
static const char *devs[MAX_LIST];
static unsigned int nr_devs;
static bool expect_eperm;
static bool trace, hex;
static int timeout_s = 10;

/* Names no object has, in every run (the fuzzer may create them). */
static const char *const builtin_names[] = { "nlfuzz-none", "nlfuzz.x" };
/* A path that never exists, used when --dev gives none. */
#define NO_DEV		"/nonexistent-nlfuzz/dev"

static const char *pick_name(void)
{
	uint32_t i = below(nr_names + ARRAY_SIZE(builtin_names));

	return i < nr_names ? names[i] : builtin_names[i - nr_names];
}

static const char *pick_dev(void)
{
	return nr_devs ? devs[below(nr_devs)] : NO_DEV;
}

/* ------------------------------------------------ attribute lists */

/*
 * A request's attributes before they are laid out: generators build the
 * valid list of a command, then change one thing in it.
 */
struct attr {
	uint16_t type;		/* with NLA_F_NESTED etc. when a generator sets them */
	uint32_t len;		/* payload bytes */
	unsigned char *data;
};

struct alist {
	unsigned int n;
	struct attr a[MAX_ATTRS];
	size_t used;
	unsigned char arena[MSG_MAX];
};

static unsigned char *arena_alloc(struct alist *l, size_t len)
{
	unsigned char *p;

	if (l->used + len > sizeof(l->arena)) {
		fprintf(stderr, "vdrep_nlfuzz: attribute arena full\n");
		exit(2);
	}
	p = l->arena + l->used;
	l->used += (len + 3) & ~(size_t)3;
	return p;
}

static struct attr *add_raw(struct alist *l, uint16_t type, const void *data, size_t len)
{
	struct attr *a;

	if (l->n >= MAX_ATTRS)
		return NULL;
	a = &l->a[l->n++];
	a->type = type;
	a->len = len;
	a->data = arena_alloc(l, len);
	if (len)
		memcpy(a->data, data, len);
	return a;
}

static void add_str(struct alist *l, uint16_t type, const char *s)
{
	add_raw(l, type, s, strlen(s) + 1);
}

static void add_u32(struct alist *l, uint16_t type, uint32_t v)
{
	add_raw(l, type, &v, sizeof(v));
}

static void add_u64(struct alist *l, uint16_t type, uint64_t v)
{
	add_raw(l, type, &v, sizeof(v));
}

static void add_flag(struct alist *l, uint16_t type)
{
	add_raw(l, type, NULL, 0);
}

static int find_attr(struct alist *l, uint16_t type)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if ((l->a[i].type & NLA_TYPE_MASK) == type)
			return (int)i;
	return -1;
}

static void del_attr(struct alist *l, unsigned int i)
{
	memmove(&l->a[i], &l->a[i + 1], (l->n - i - 1) * sizeof(l->a[0]));
	l->n--;
}

static void del_type(struct alist *l, uint16_t type)
{
	int i;

	while ((i = find_attr(l, type)) >= 0)
		del_attr(l, (unsigned int)i);
}

/* Replace (or add) attribute @type with @len bytes of @data. */
static void set_raw(struct alist *l, uint16_t type, const void *data, size_t len)
{
	int i = find_attr(l, type);

	if (i < 0) {
		add_raw(l, type, data, len);
		return;
	}
	l->a[i].len = len;
	l->a[i].data = arena_alloc(l, len);
	if (len)
		memcpy(l->a[i].data, data, len);
}

static void set_u32(struct alist *l, uint16_t type, uint32_t v)
{
	set_raw(l, type, &v, sizeof(v));
}

static void set_u64(struct alist *l, uint16_t type, uint64_t v)
{
	set_raw(l, type, &v, sizeof(v));
}

/* Move the last attribute to a random position. */
static void shuffle_last(struct alist *l)
{
	unsigned int to;
	struct attr a;

	if (l->n < 2)
		return;
	to = below(l->n);
	a = l->a[l->n - 1];
	memmove(&l->a[to + 1], &l->a[to], (l->n - 1 - to) * sizeof(a));
	l->a[to] = a;
}

static const uint64_t rates[] = { 0, 4096, 1 << 20, 64 << 20, UINT64_MAX };

static uint64_t pick_rate(void)
{
	return chance(80) ? rates[below(ARRAY_SIZE(rates))] : rnd();
}

static uint64_t pick_backlog(void)
{
	return (1ULL << 20) + rnd() % ((1ULL << 30) - (1ULL << 20) + 1);
}

/*
 * The attributes of a well-formed request of @cmd (a dump when @dump):
 * names from --name, paths from --dev, values the spec allows.
 */
static void valid_attrs(struct alist *l, uint8_t cmd, bool dump)
{
	uint32_t type;

	l->n = 0;
	l->used = 0;
	switch (cmd) {
	case VDREP_CMD_VOLUME_GET:
		if (!dump || chance(20))
			add_str(l, VDREP_A_VOLUME_NAME, pick_name());
		break;
	case VDREP_CMD_VOLUME_CREATE:
		add_str(l, VDREP_A_VOLUME_NAME, pick_name());
		add_str(l, VDREP_A_VOLUME_SOURCE_PATH, pick_dev());
		if (chance(50))
			add_u32(l, VDREP_A_VOLUME_CHUNK_SIZE, 1U << (12 + below(9)));
		/* Formats it, or assembles from what an earlier create left there. */
		if (chance(20))
			add_str(l, VDREP_A_VOLUME_META_PATH, pick_dev());
		break;
	case VDREP_CMD_VOLUME_DESTROY:
	case VDREP_CMD_VOLUME_STOP:
		add_str(l, VDREP_A_VOLUME_NAME, pick_name());
		break;
	case VDREP_CMD_ASSOC_GET:
		if (!dump || chance(50))
			add_str(l, VDREP_A_ASSOC_VOLUME, pick_name());
		if (!dump)
			add_str(l, VDREP_A_ASSOC_NAME, pick_name());
		break;
	case VDREP_CMD_ASSOC_CREATE:
		add_str(l, VDREP_A_ASSOC_VOLUME, pick_name());
		add_str(l, VDREP_A_ASSOC_NAME, pick_name());
		add_str(l, VDREP_A_ASSOC_TARGET_PATH, pick_dev());
		type = VDREP_SYNC_TYPE_MIRROR;
		if (chance(60)) {
			type = VDREP_SYNC_TYPE_MIRROR + below(3);
			add_u32(l, VDREP_A_ASSOC_SYNC_TYPE, type);
		}
		if (type == VDREP_SYNC_TYPE_MIRROR && chance(50)) {
			uint32_t mode = chance(50) ? VDREP_SYNC_MODE_SYNCHRONOUS :
						     VDREP_SYNC_MODE_ASYNCHRONOUS;

			add_u32(l, VDREP_A_ASSOC_SYNC_MODE, mode);
			if (mode == VDREP_SYNC_MODE_ASYNCHRONOUS && chance(50))
				add_u64(l, VDREP_A_ASSOC_BACKLOG_LIMIT, pick_backlog());
		}
		if (type == VDREP_SYNC_TYPE_CLONE && chance(50))
			add_u32(l, VDREP_A_ASSOC_COPY_TYPE, VDREP_COPY_TYPE_UNSYNC_ASSOC + below(2));
		if (chance(40))
			add_u32(l, VDREP_A_ASSOC_COPY_PRIORITY, below(4));
		if (chance(20))
			add_flag(l, VDREP_A_ASSOC_PREPARE_ONLY);
		if (chance(20))
			add_flag(l, VDREP_A_ASSOC_VIEW_WRITABLE);
		if (chance(40))
			add_u64(l, VDREP_A_ASSOC_RATE_LIMIT, pick_rate());
		break;
	case VDREP_CMD_ASSOC_DESTROY:
		add_str(l, VDREP_A_ASSOC_VOLUME, pick_name());
		add_str(l, VDREP_A_ASSOC_NAME, pick_name());
		break;
	case VDREP_CMD_ASSOC_MODIFY:
		add_str(l, VDREP_A_ASSOC_VOLUME, pick_name());
		add_str(l, VDREP_A_ASSOC_NAME, pick_name());
		if (chance(75))
			add_u32(l, VDREP_A_ASSOC_OPERATION, VDREP_OPERATION_ACTIVATE + below(11));
		if (chance(20))
			add_u32(l, VDREP_A_ASSOC_COPY_PRIORITY, below(4));
		if (chance(20))
			add_u64(l, VDREP_A_ASSOC_RATE_LIMIT, pick_rate());
		if (chance(10))
			add_u64(l, VDREP_A_ASSOC_BACKLOG_LIMIT, pick_backlog());
		if (chance(10))
			add_flag(l, VDREP_A_ASSOC_VIEW_WRITABLE);
		if (l->n == 2)
			add_u32(l, VDREP_A_ASSOC_OPERATION, VDREP_OPERATION_ACTIVATE + below(11));
		break;
	}
	/* Attribute order carries no meaning. */
	if (l->n > 1 && chance(30)) {
		struct attr t;
		unsigned int i = below(l->n), j = below(l->n);

		t = l->a[i];
		l->a[i] = l->a[j];
		l->a[j] = t;
	}
}

/* ------------------------------------------------------------- messages */

enum expect {
	EXP_ANY,	/* well-formed: success or error */
	EXP_ERROR,	/* malformed: an error reply, never a success */
	EXP_NO_SUCCESS,	/* malformed framing the core drops: no reply or an error */
	EXP_IGNORED,	/* no NLM_F_REQUEST: not executed (an ACK at most) */
};

struct msg {
	unsigned char buf[MSG_MAX] __attribute__((aligned(8)));
	size_t len;		/* bytes laid out */
	size_t send_len;	/* bytes sent */
	const char *gen;
	uint8_t cmd;
	enum expect exp;
	/* Set from the bytes sent, see classify_header(). */
	bool dump;		/* the kernel starts a dump: wait for NLMSG_DONE */
	bool eperm;		/* unprivileged: only EPERM is right */
	bool eperm_or_notsupp;	/* ... or EOPNOTSUPP (NLM_F_DUMP on a doit command) */
	unsigned int nr_attrs;
	size_t attr_off[MAX_ATTRS + 8];
};

static uint16_t family_id;

static struct nlmsghdr *msg_nlh(struct msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static struct genlmsghdr *msg_genlh(struct msg *m)
{
	return (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
}

static void msg_put_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	size_t total = NLA_HDRLEN + len;
	struct nlattr *nla;

	if (total > 0xffff || m->len + NLA_ALIGN(total) > sizeof(m->buf)) {
		fprintf(stderr, "vdrep_nlfuzz: message buffer full\n");
		exit(2);
	}
	nla = (struct nlattr *)(m->buf + m->len);
	nla->nla_len = (uint16_t)total;
	nla->nla_type = type;
	if (len)
		memcpy(m->buf + m->len + NLA_HDRLEN, data, len);
	memset(m->buf + m->len + total, 0, NLA_ALIGN(total) - total);
	if (m->nr_attrs < ARRAY_SIZE(m->attr_off))
		m->attr_off[m->nr_attrs++] = m->len;
	m->len += NLA_ALIGN(total);
}

/* Lay out a request: headers, then the attributes of @l in order. */
static void msg_build(struct msg *m, const char *gen, uint8_t cmd, uint16_t flags,
		      struct alist *l, enum expect exp)
{
	struct nlmsghdr *nlh = msg_nlh(m);
	struct genlmsghdr *g = msg_genlh(m);
	unsigned int i;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags = flags;
	g->cmd = cmd;
	g->version = VDREP_FAMILY_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nr_attrs = 0;
	for (i = 0; l && i < l->n; i++)
		msg_put_attr(m, l->a[i].type, l->a[i].data, l->a[i].len);
	nlh->nlmsg_len = (uint32_t)m->len;
	m->send_len = m->len;
	m->gen = gen;
	m->cmd = cmd;
	m->exp = exp;
}

static uint16_t req_flags(void)
{
	uint16_t f = NLM_F_REQUEST;

	if (chance(30))
		f |= NLM_F_ACK;
	if (chance(10))
		f |= NLM_F_ECHO;
	return f;
}

static uint8_t pick_cmd(void)
{
	return cmds[below(ARRAY_SIZE(cmds))].cmd;
}

static uint8_t pick_dump_cmd(void)
{
	return chance(50) ? VDREP_CMD_VOLUME_GET : VDREP_CMD_ASSOC_GET;
}

/*
 * A command and whether the request is a dump, for generators whose fault
 * the policy catches (it checks dumps too): sometimes a dump.
 */
static uint8_t pick_cmd_maybe_dump(bool *dump)
{
	*dump = chance(20);
	return *dump ? pick_dump_cmd() : pick_cmd();
}

static uint16_t dump_flags(bool dump)
{
	return req_flags() | (dump ? NLM_F_DUMP : 0);
}

/* A request that reaches the handler ("doit") with a handler-level fault. */
static void finish_doit(struct msg *m, const char *gen, uint8_t cmd, struct alist *l)
{
	msg_build(m, gen, cmd, req_flags(), l, EXP_ERROR);
}

/* Bytes that are a wrong payload for an attribute of @kind. */
static size_t wrong_payload(enum akind kind, unsigned char *buf)
{
	static const size_t u32_lens[] = { 0, 1, 2, 3, 5, 6, 8, 16 };
	static const size_t u64_lens[] = { 0, 1, 2, 4, 7, 9, 12, 16 };
	size_t len, i;

	switch (kind) {
	case A_STR:
	case A_PATH:
		/* Empty, or no NUL anywhere. */
		len = chance(25) ? 0 : 1 + below(40);
		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)(1 + below(255));
		return len;
	case A_U32:
		len = u32_lens[below(ARRAY_SIZE(u32_lens))];
		break;
	case A_U64:
		len = u64_lens[below(ARRAY_SIZE(u64_lens))];
		break;
	case A_FLAG:
	default:
		len = 1 + below(8);
		break;
	}
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)below(256);
	return len;
}

/* A value outside the policy range of @d (which is ranged). */
static uint32_t out_of_range(const struct attr_desc *d)
{
	if (d->lo > 0 && chance(50))
		return below(d->lo);
	if (chance(70))
		return d->hi + 1 + below(64);
	return d->hi + 1 + (uint32_t)(rnd() % (UINT32_MAX - d->hi));
}

/* ----------------------------------------------------------- generators */

/* Unknown commands: 0, the notification numbers, numbers past the last one. */
static void gen_unknown_cmd(struct msg *m, struct alist *l)
{
	static const uint8_t ntf[] = {
		0, VDREP_CMD_VOLUME_CREATE_NTF, VDREP_CMD_VOLUME_CHANGE_NTF,
		VDREP_CMD_VOLUME_DESTROY_NTF, VDREP_CMD_ASSOC_CREATE_NTF,
		VDREP_CMD_ASSOC_CHANGE_NTF, VDREP_CMD_ASSOC_DESTROY_NTF,
	};
	uint8_t cmd;

	if (chance(50))
		cmd = ntf[below(ARRAY_SIZE(ntf))];
	else
		cmd = (uint8_t)(VDREP_CMD_MAX + 1 + below(255 - VDREP_CMD_MAX));
	valid_attrs(l, pick_cmd(), false);
	msg_build(m, "unknown-cmd", cmd, req_flags() | (chance(30) ? NLM_F_DUMP : 0),
		  l, EXP_ERROR);
}

/* An attribute of the command's policy with a payload of the wrong size. */
static void gen_bad_attr_len(struct msg *m, struct alist *l)
{
	unsigned char buf[64];
	const struct attr_desc *d;
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);

	valid_attrs(l, cmd, dump);
	d = attr_pick(cmd, -1);
	set_raw(l, d->type, buf, wrong_payload(d->kind, buf));
	msg_build(m, "bad-attr-len", cmd, dump_flags(dump), l, EXP_ERROR);
}

/* An enum attribute outside its policy range. */
static void gen_out_of_range(struct msg *m, struct alist *l)
{
	uint8_t cmd = chance(50) ? VDREP_CMD_ASSOC_CREATE : VDREP_CMD_ASSOC_MODIFY;
	const struct attr_desc *d;

	do
		d = attr_pick(cmd, A_U32);
	while (!d->ranged);
	valid_attrs(l, cmd, false);
	set_u32(l, d->type, out_of_range(d));
	msg_build(m, "out-of-range", cmd, req_flags(), l, EXP_ERROR);
}

/* Values the policy lets through and the handler must refuse. */
static void gen_bad_value(struct msg *m, struct alist *l)
{
	static const uint32_t chunks[] = {
		0, 1, 512, 2048, 4095, 4097, 12288, 65535, 65537, 2 << 20, 1U << 31,
		UINT32_MAX,
	};
	static const uint64_t backlogs[] = {
		0, 1, (1 << 20) - 1, (1ULL << 30) + 1, 1ULL << 40, UINT64_MAX,
	};
	uint8_t cmd;

	switch (below(7)) {
	case 0:
		cmd = VDREP_CMD_VOLUME_CREATE;
		valid_attrs(l, cmd, false);
		set_u32(l, VDREP_A_VOLUME_CHUNK_SIZE, chunks[below(ARRAY_SIZE(chunks))]);
		break;
	case 1:	/* sync mode not 2 or 3, on a mirror */
		cmd = VDREP_CMD_ASSOC_CREATE;
		valid_attrs(l, cmd, false);
		del_type(l, VDREP_A_ASSOC_SYNC_TYPE);
		del_type(l, VDREP_A_ASSOC_COPY_TYPE);
		del_type(l, VDREP_A_ASSOC_BACKLOG_LIMIT);
		if (chance(50))
			add_u32(l, VDREP_A_ASSOC_SYNC_TYPE, VDREP_SYNC_TYPE_MIRROR);
		set_u32(l, VDREP_A_ASSOC_SYNC_MODE,
			chance(50) ? below(2) : 4 + below(1000));
		break;
	case 2:	/* a sync mode for a snapshot or a clone */
		cmd = VDREP_CMD_ASSOC_CREATE;
		valid_attrs(l, cmd, false);
		del_type(l, VDREP_A_ASSOC_BACKLOG_LIMIT);
		del_type(l, VDREP_A_ASSOC_COPY_TYPE);
		set_u32(l, VDREP_A_ASSOC_SYNC_TYPE, VDREP_SYNC_TYPE_SNAPSHOT + below(2));
		set_u32(l, VDREP_A_ASSOC_SYNC_MODE, VDREP_SYNC_MODE_SYNCHRONOUS + below(2));
		break;
	case 3:	/* a copy type for a mirror or a snapshot; async/sync for a clone */
		cmd = VDREP_CMD_ASSOC_CREATE;
		valid_attrs(l, cmd, false);
		del_type(l, VDREP_A_ASSOC_SYNC_MODE);
		del_type(l, VDREP_A_ASSOC_BACKLOG_LIMIT);
		if (chance(50)) {
			del_type(l, VDREP_A_ASSOC_SYNC_TYPE);
			if (chance(50))
				add_u32(l, VDREP_A_ASSOC_SYNC_TYPE, VDREP_SYNC_TYPE_MIRROR +
					below(2));
			set_u32(l, VDREP_A_ASSOC_COPY_TYPE, VDREP_COPY_TYPE_ASYNC + below(4));
		} else {
			set_u32(l, VDREP_A_ASSOC_SYNC_TYPE, VDREP_SYNC_TYPE_CLONE);
			set_u32(l, VDREP_A_ASSOC_COPY_TYPE, VDREP_COPY_TYPE_ASYNC + below(2));
		}
		break;
	case 4:	/* backlog limit out of [1 MiB, 1 GiB] */
		cmd = chance(50) ? VDREP_CMD_ASSOC_CREATE : VDREP_CMD_ASSOC_MODIFY;
		valid_attrs(l, cmd, false);
		set_u64(l, VDREP_A_ASSOC_BACKLOG_LIMIT, backlogs[below(ARRAY_SIZE(backlogs))]);
		break;
	case 5:	/* a backlog limit on a create that is no asynchronous mirror */
		cmd = VDREP_CMD_ASSOC_CREATE;
		valid_attrs(l, cmd, false);
		del_type(l, VDREP_A_ASSOC_SYNC_MODE);
		del_type(l, VDREP_A_ASSOC_COPY_TYPE);
		if (chance(50)) {
			del_type(l, VDREP_A_ASSOC_SYNC_TYPE);
			if (chance(50))
				add_u32(l, VDREP_A_ASSOC_SYNC_MODE, VDREP_SYNC_MODE_SYNCHRONOUS);
		} else {
			set_u32(l, VDREP_A_ASSOC_SYNC_TYPE, VDREP_SYNC_TYPE_SNAPSHOT + below(2));
		}
		set_u64(l, VDREP_A_ASSOC_BACKLOG_LIMIT, pick_backlog());
		break;
	default: /* a path that is no block device */
		{
			static const char *const paths[] = {
				"", "/", ".", "/nonexistent-nlfuzz/dev",
			};

			uint16_t type;

			cmd = chance(50) ? VDREP_CMD_VOLUME_CREATE : VDREP_CMD_ASSOC_CREATE;
			type = cmd == VDREP_CMD_VOLUME_CREATE ? VDREP_A_VOLUME_SOURCE_PATH :
								VDREP_A_ASSOC_TARGET_PATH;
			valid_attrs(l, cmd, false);
			del_type(l, type);
			add_str(l, type, paths[below(ARRAY_SIZE(paths))]);
			shuffle_last(l);
		}
		break;
	}
	finish_doit(m, "bad-value", cmd, l);
}

/* Names the kernel must refuse: empty, ".", "..", characters outside [A-Za-z0-9_.-]. */
static void gen_bad_name(struct msg *m, struct alist *l)
{
	static const char bad_chars[] = "/ :*?@\\\n\t\"'$%&()[]{}<>|!#+,;=^`~\x01\x7f\x80\xff";
	uint8_t cmd = pick_cmd();
	const struct attr_desc *d;
	char buf[40];
	size_t n;

	do
		d = attr_pick(cmd, A_STR);
	while (d->kind != A_STR);
	valid_attrs(l, cmd, false);
	switch (below(4)) {
	case 0:
		buf[0] = '\0';
		break;
	case 1:
		strcpy(buf, chance(50) ? "." : "..");
		break;
	default:
		snprintf(buf, 32, "%s", pick_name());
		n = strlen(buf);
		if (n > 30)
			n = 30;
		n = below((uint32_t)n + 1);
		memmove(buf + n + 1, buf + n, strlen(buf + n) + 1);
		buf[n] = bad_chars[below(sizeof(bad_chars) - 1)];
		buf[31] = '\0';
		break;
	}
	set_raw(l, d->type, buf, strlen(buf) + 1);
	finish_doit(m, "bad-name", cmd, l);
}

/* Names longer than 31 bytes; paths longer than any file name allows. */
static void gen_oversize(struct msg *m, struct alist *l)
{
	static const uint32_t lens[] = { 32, 33, 64, 255, 256, 4095, 4096, 4097, 65000 };
	uint8_t cmd = pick_cmd();
	const struct attr_desc *d = attr_pick(cmd, A_STR);
	uint32_t len = chance(70) ? lens[below(ARRAY_SIZE(lens))] : 32 + below(65000 - 32);
	static char s[65001];
	uint32_t i;

	valid_attrs(l, cmd, false);
	if (d->kind == A_PATH) {
		/* Under a directory that does not exist, whatever follows. */
		const char *pre = "/nonexistent-nlfuzz/";
		size_t p = strlen(pre);

		if (len < p + 1)
			len = (uint32_t)p + 1;
		memcpy(s, pre, p);
		for (i = (uint32_t)p; i < len; i++)
			s[i] = (char)('a' + i % 26);
	} else {
		for (i = 0; i < len; i++)
			s[i] = (char)('a' + below(26));
	}
	s[len] = '\0';
	set_raw(l, d->type, s, len + 1);
	finish_doit(m, "oversize-string", cmd, l);
}

/* A string attribute without its terminating NUL. */
static void gen_unterminated(struct msg *m, struct alist *l)
{
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);
	const struct attr_desc *d = attr_pick(cmd, A_STR);
	const char *s = d->kind == A_PATH ? pick_dev() : pick_name();
	size_t len = strlen(s);

	valid_attrs(l, cmd, dump);
	if (chance(20) && len > 1)
		len = 1 + below((uint32_t)len - 1);
	set_raw(l, d->type, s, len);
	msg_build(m, "unterminated-string", cmd, dump_flags(dump), l, EXP_ERROR);
}

/* A required attribute left out. */
static void gen_missing(struct msg *m, struct alist *l)
{
	uint8_t cmd = pick_cmd();

	valid_attrs(l, cmd, false);
	if (chance(10)) {
		l->n = 0;
	} else {
		switch (cmd) {
		case VDREP_CMD_VOLUME_GET:
		case VDREP_CMD_VOLUME_DESTROY:
		case VDREP_CMD_VOLUME_STOP:
			del_type(l, VDREP_A_VOLUME_NAME);
			break;
		case VDREP_CMD_VOLUME_CREATE:
			del_type(l, chance(50) ? VDREP_A_VOLUME_NAME : VDREP_A_VOLUME_SOURCE_PATH);
			break;
		case VDREP_CMD_ASSOC_CREATE:
			if (chance(33)) {
				del_type(l, VDREP_A_ASSOC_TARGET_PATH);
				break;
			}
			/* fallthrough */
		case VDREP_CMD_ASSOC_GET:
		case VDREP_CMD_ASSOC_DESTROY:
			del_type(l, chance(50) ? VDREP_A_ASSOC_VOLUME : VDREP_A_ASSOC_NAME);
			break;
		case VDREP_CMD_ASSOC_MODIFY:
			if (chance(50)) {
				del_type(l, chance(50) ? VDREP_A_ASSOC_VOLUME : VDREP_A_ASSOC_NAME);
			} else {
				/* Nothing to do: neither an operation nor a setting. */
				del_type(l, VDREP_A_ASSOC_OPERATION);
				del_type(l, VDREP_A_ASSOC_COPY_PRIORITY);
				del_type(l, VDREP_A_ASSOC_RATE_LIMIT);
				del_type(l, VDREP_A_ASSOC_BACKLOG_LIMIT);
				del_type(l, VDREP_A_ASSOC_VIEW_WRITABLE);
			}
			break;
		}
	}
	finish_doit(m, "missing-attr", cmd, l);
}

/* An attribute twice, one of the copies malformed. */
static void gen_dup_bad(struct msg *m, struct alist *l)
{
	unsigned char buf[64];
	const struct attr_desc *d;
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);
	size_t len;

	valid_attrs(l, cmd, dump);
	d = attr_pick(cmd, -1);
	if (find_attr(l, d->type) < 0) {
		/* Put a valid copy first. */
		switch (d->kind) {
		case A_STR:
			add_str(l, d->type, pick_name());
			break;
		case A_PATH:
			add_str(l, d->type, pick_dev());
			break;
		case A_U32:
			add_u32(l, d->type, d->ranged ? d->lo : 4096);
			break;
		case A_U64:
			add_u64(l, d->type, 1 << 20);
			break;
		case A_FLAG:
			add_flag(l, d->type);
			break;
		}
	}
	if (d->ranged && chance(30)) {
		uint32_t v = out_of_range(d);

		add_u32(l, d->type, v);
	} else {
		len = wrong_payload(d->kind, buf);
		add_raw(l, d->type, buf, len);
	}
	shuffle_last(l);
	msg_build(m, "dup-attr-bad", cmd, dump_flags(dump), l, EXP_ERROR);
}

/* An attribute twice, both copies valid: the kernel takes the last one. */
static void gen_dup_valid(struct msg *m, struct alist *l)
{
	static struct alist other_list;
	struct alist *other = &other_list;
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);
	unsigned int i;

	valid_attrs(l, cmd, dump);
	valid_attrs(other, cmd, dump);
	if (other->n) {
		i = below(other->n);
		add_raw(l, other->a[i].type, other->a[i].data, other->a[i].len);
		shuffle_last(l);
	}
	msg_build(m, "dup-attr-valid", cmd, dump_flags(dump), l, EXP_ANY);
}

/* Random attributes, nested to @depth, into @buf; returns the length. */
static size_t nest_garbage(unsigned char *buf, size_t room, unsigned int depth)
{
	size_t len = 0;

	while (len + NLA_HDRLEN + 8 <= room && chance(75)) {
		struct nlattr *nla = (struct nlattr *)(buf + len);
		size_t plen;

		nla->nla_type = (uint16_t)(rnd() & 0xffff);
		if (depth && chance(40)) {
			nla->nla_type |= NLA_F_NESTED;
			plen = nest_garbage(buf + len + NLA_HDRLEN, (room - len - NLA_HDRLEN) / 2,
					    depth - 1);
		} else {
			size_t i;

			plen = below(9);
			for (i = 0; i < plen; i++)
				buf[len + NLA_HDRLEN + i] = (unsigned char)below(256);
		}
		nla->nla_len = (uint16_t)(NLA_HDRLEN + plen);
		if (chance(5))	/* a nested length that lies */
			nla->nla_len = (uint16_t)(rnd() & 0xffff);
		memset(buf + len + NLA_HDRLEN + plen, 0, NLA_ALIGN(plen) - plen);
		len += NLA_HDRLEN + NLA_ALIGN(plen);
	}
	return len;
}

/*
 * NLA_F_NESTED on an attribute that is not nested (the policy has no
 * nested attribute), with nested garbage inside, or nests of unknown types.
 */
static void gen_nested(struct msg *m, struct alist *l)
{
	unsigned char buf[2048];
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);
	const struct cmd_desc *c = cmd_find(cmd);
	uint16_t type;
	size_t len;

	valid_attrs(l, cmd, dump);
	if (chance(60))
		type = attr_pick(cmd, -1)->type;
	else
		type = (uint16_t)(c->maxattr + 1 + below(NLA_TYPE_MASK - c->maxattr));
	len = nest_garbage(buf, sizeof(buf), 1 + below(6));
	if (chance(50)) {
		/* Replace the attribute of that type, or add one. */
		int i = find_attr(l, type);

		if (i >= 0)
			del_attr(l, (unsigned int)i);
	}
	add_raw(l, type | NLA_F_NESTED, buf, len);
	shuffle_last(l);
	msg_build(m, "nested-garbage", cmd, dump_flags(dump), l, EXP_ERROR);
}

/* Attribute types the command's policy does not have (0 included). */
static void gen_unknown_attr(struct msg *m, struct alist *l)
{
	unsigned char buf[16];
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);
	const struct cmd_desc *c = cmd_find(cmd);
	uint16_t type;
	size_t len, i;

	valid_attrs(l, cmd, dump);
	switch (below(3)) {
	case 0:	/* within maxattr, not in this policy (pad, ids, ...) */
		do
			type = (uint16_t)below(c->maxattr + 1u);
		while (attr_find(cmd, type));
		break;
	case 1:
		type = (uint16_t)(c->maxattr + 1 + below(8));
		break;
	default:
		type = (uint16_t)(c->maxattr + 1 + below(NLA_TYPE_MASK - c->maxattr));
		break;
	}
	if (chance(10))
		type |= NLA_F_NET_BYTEORDER;
	len = below(sizeof(buf) + 1);
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)below(256);
	add_raw(l, type, buf, len);
	shuffle_last(l);
	msg_build(m, "unknown-attr", cmd, dump_flags(dump), l, EXP_ERROR);
}

/* Fewer bytes than a netlink header. */
static void gen_trunc_short(struct msg *m, struct alist *l)
{
	uint8_t cmd = pick_cmd();

	valid_attrs(l, cmd, false);
	msg_build(m, "trunc-short", cmd, req_flags(), l, EXP_NO_SUCCESS);
	m->send_len = 1 + below(NLMSG_HDRLEN - 1);
}

/* nlmsg_len below a netlink header, or past the bytes sent: the core drops it. */
static void gen_bad_nlmsg_len(struct msg *m, struct alist *l)
{
	uint8_t cmd = pick_cmd();
	uint32_t len;

	valid_attrs(l, cmd, chance(20) && cmd_find(cmd)->dump);
	msg_build(m, "bad-nlmsg-len", cmd, req_flags(), l, EXP_NO_SUCCESS);
	switch (below(3)) {
	case 0:
		len = below(NLMSG_HDRLEN);
		break;
	case 1:
		len = (uint32_t)m->len + 1 + below(1024);
		break;
	default:
		len = UINT32_MAX - below(16);
		break;
	}
	msg_nlh(m)->nlmsg_len = len;
}

/*
 * nlmsg_len covers the netlink header but not the whole generic netlink
 * header; sometimes the rest of the message follows (and is read as the
 * next message).
 */
static void gen_trunc_genlhdr(struct msg *m, struct alist *l)
{
	uint8_t cmd = pick_cmd();

	valid_attrs(l, cmd, false);
	msg_build(m, "trunc-genlhdr", cmd, req_flags(), l, EXP_ERROR);
	msg_nlh(m)->nlmsg_len = NLMSG_HDRLEN + below(GENL_HDRLEN);
	if (chance(70))
		m->send_len = msg_nlh(m)->nlmsg_len;
}

/*
 * nlmsg_len ends inside an attribute (its header or its payload); sometimes
 * the rest of the message follows it.
 */
static void gen_trunc_attrs(struct msg *m, struct alist *l)
{
	uint8_t cmd;
	const struct nlattr *nla;
	size_t off;

	do {
		cmd = pick_cmd();
		valid_attrs(l, cmd, false);
	} while (!l->n);
	msg_build(m, "trunc-attrs", cmd, req_flags(), l, EXP_ERROR);
	off = m->attr_off[below(m->nr_attrs)];
	nla = (const struct nlattr *)(m->buf + off);
	/* Strictly inside [off, off + nla_len): never at an attribute's end. */
	msg_nlh(m)->nlmsg_len = (uint32_t)(off + 1 + below(nla->nla_len - 1u));
	if (chance(70))
		m->send_len = msg_nlh(m)->nlmsg_len;
}

/* genlmsghdr.reserved is not 0. */
static void gen_genl_reserved(struct msg *m, struct alist *l)
{
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);

	valid_attrs(l, cmd, dump);
	msg_build(m, "genl-reserved", cmd, dump_flags(dump), l, EXP_ERROR);
	msg_genlh(m)->reserved = (uint16_t)(1 + below(0xffff));
}

/* NLM_F_DUMP on a command that has no dump. */
static void gen_dump_on_doit(struct msg *m, struct alist *l)
{
	uint8_t cmd;

	do
		cmd = pick_cmd();
	while (cmd_find(cmd)->dump);
	valid_attrs(l, cmd, false);
	msg_build(m, "dump-on-doit", cmd, req_flags() | NLM_F_DUMP, l, EXP_ERROR);
}

/*
 * Flags a request may not carry: anything but NLM_F_REQUEST, NLM_F_ACK,
 * NLM_F_ECHO and both bits of NLM_F_DUMP (generic netlink refuses the
 * rest since 6.1).
 */
static void gen_bad_flags(struct msg *m, struct alist *l)
{
	static const uint16_t bits[] = {
		NLM_F_MULTI, NLM_F_DUMP_INTR, NLM_F_DUMP_FILTERED, NLM_F_ROOT, NLM_F_MATCH,
		NLM_F_ATOMIC, 0x800, 0x1000, 0x2000, 0x4000, 0x8000,
	};
	const uint16_t ok = NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO;
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);
	uint16_t flags, rest;

	valid_attrs(l, cmd, dump);
	do {
		flags = dump_flags(dump) | bits[below(ARRAY_SIZE(bits))];
		if (chance(30))
			flags |= (uint16_t)(rnd() & 0xfff0);
		rest = flags;
		if ((rest & NLM_F_DUMP) == NLM_F_DUMP)
			rest &= (uint16_t)~NLM_F_DUMP;
	} while (!(rest & ~ok));
	msg_build(m, "bad-nlmsg-flags", cmd, flags, l, EXP_ERROR);
}

/* No NLM_F_REQUEST: the kernel executes nothing. */
static void gen_no_request(struct msg *m, struct alist *l)
{
	uint8_t cmd = pick_cmd();
	uint16_t flags = (uint16_t)(rnd() & ~NLM_F_REQUEST);

	valid_attrs(l, cmd, false);
	msg_build(m, "no-request", cmd, flags, l, EXP_IGNORED);
}

/*
 * A well-formed request of a random command on random objects: names from
 * --name, devices from --dev.
 */
static void gen_random_op(struct msg *m, struct alist *l)
{
	uint8_t cmd = chance(25) ? pick_dump_cmd() : pick_cmd();
	bool dump = cmd_find(cmd)->dump && chance(40);

	valid_attrs(l, cmd, dump);
	msg_build(m, "random-op", cmd, dump_flags(dump), l, EXP_ANY);
	if (chance(5))	/* the version and the port id are not checked */
		msg_genlh(m)->version = (uint8_t)below(256);
	if (chance(5))
		msg_nlh(m)->nlmsg_pid = (uint32_t)rnd();
}

/*
 * Attribute soup: attributes of the command's types with random payloads.
 * Nothing to expect (some soups are valid), but nothing may crash. A path
 * attribute is a device from --dev or has no NUL.
 */
static void gen_soup(struct msg *m, struct alist *l)
{
	unsigned char buf[48];
	bool dump;
	uint8_t cmd = pick_cmd_maybe_dump(&dump);
	unsigned int n = below(8), i;

	l->n = 0;
	l->used = 0;
	for (i = 0; i < n; i++) {
		const struct attr_desc *d = attr_pick(cmd, -1);
		size_t len = below(sizeof(buf) + 1), j;

		for (j = 0; j < len; j++)
			buf[j] = (unsigned char)below(256);
		if (d->kind == A_PATH) {
			if (chance(50)) {
				add_str(l, d->type, pick_dev());
				continue;
			}
			for (j = 0; j < len; j++)
				buf[j] |= 1;
		}
		add_raw(l, d->type, buf, len);
	}
	msg_build(m, "attr-soup", cmd, dump_flags(dump), l, EXP_ANY);
}

struct generator {
	const char *name;
	void (*fn)(struct msg *m, struct alist *l);
	unsigned int weight;
	bool enabled;
	/* statistics */
	unsigned long sent, success, error, silent, lost, failed;
};

static struct generator gens[] = {
	{ "random-op", gen_random_op, 28, true, 0, 0, 0, 0, 0, 0 },
	{ "dup-attr-valid", gen_dup_valid, 3, true, 0, 0, 0, 0, 0, 0 },
	{ "attr-soup", gen_soup, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "unknown-cmd", gen_unknown_cmd, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "bad-attr-len", gen_bad_attr_len, 6, true, 0, 0, 0, 0, 0, 0 },
	{ "out-of-range", gen_out_of_range, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "bad-value", gen_bad_value, 5, true, 0, 0, 0, 0, 0, 0 },
	{ "bad-name", gen_bad_name, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "oversize-string", gen_oversize, 3, true, 0, 0, 0, 0, 0, 0 },
	{ "unterminated-string", gen_unterminated, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "missing-attr", gen_missing, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "dup-attr-bad", gen_dup_bad, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "nested-garbage", gen_nested, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "unknown-attr", gen_unknown_attr, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "trunc-short", gen_trunc_short, 2, true, 0, 0, 0, 0, 0, 0 },
	{ "bad-nlmsg-len", gen_bad_nlmsg_len, 3, true, 0, 0, 0, 0, 0, 0 },
	{ "trunc-genlhdr", gen_trunc_genlhdr, 2, true, 0, 0, 0, 0, 0, 0 },
	{ "trunc-attrs", gen_trunc_attrs, 4, true, 0, 0, 0, 0, 0, 0 },
	{ "genl-reserved", gen_genl_reserved, 2, true, 0, 0, 0, 0, 0, 0 },
	{ "dump-on-doit", gen_dump_on_doit, 3, true, 0, 0, 0, 0, 0, 0 },
	{ "bad-nlmsg-flags", gen_bad_flags, 3, true, 0, 0, 0, 0, 0, 0 },
	{ "no-request", gen_no_request, 3, true, 0, 0, 0, 0, 0, 0 },
};

static struct generator *pick_gen(void)
{
	unsigned int total = 0, r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gens); i++)
		if (gens[i].enabled)
			total += gens[i].weight;
	r = below(total);
	for (i = 0; i < ARRAY_SIZE(gens); i++) {
		if (!gens[i].enabled)
			continue;
		if (r < gens[i].weight)
			return &gens[i];
		r -= gens[i].weight;
	}
	return &gens[0];
}

/*
 * What the kernel does with the header as sent: whether it starts a dump,
 * and (unprivileged) whether the permission check is what refuses it.
 * genl_family_rcv_msg() checks, in order: the length of the generic
 * netlink header, the reserved field and the flags, the command, then
 * GENL_ADMIN_PERM; the policy comes after.
 */
static void classify_header(struct msg *m)
{
	const struct nlmsghdr *nlh = msg_nlh(m);
	const struct cmd_desc *c = cmd_find(msg_genlh(m)->cmd);
	uint16_t flags = nlh->nlmsg_flags, rest = flags;
	bool dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;

	m->dump = m->eperm = m->eperm_or_notsupp = false;
	if (m->send_len < NLMSG_HDRLEN + GENL_HDRLEN || nlh->nlmsg_len > m->send_len ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN || !(flags & NLM_F_REQUEST) ||
	    nlh->nlmsg_type != family_id || msg_genlh(m)->reserved || !c)
		return;
	if (dump)
		rest &= (uint16_t)~NLM_F_DUMP;
	if (rest & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO))
		return;
	if (expect_eperm && c->mutating) {
		/* 6.12 looks the dump up before the permission (EOPNOTSUPP). */
		if (dump)
			m->eperm_or_notsupp = true;
		else
			m->eperm = true;
		return;
	}
	m->dump = dump && c->dump;
}

/* ------------------------------------------------------------ netlink io */

static int nl_fd;
static uint32_t next_seq;
static unsigned char rbuf[RECV_LEN] __attribute__((aligned(8)));

static unsigned long stat_strays, stat_enobufs, stat_send_err, stat_failures;
static unsigned long errno_count[4096];
static unsigned long success_by_cmd[256];	/* well-formed requests */

struct result {
	bool data, ack0, done_ok, lost, bad_reply;
	int err;		/* first error, positive errno */
	char why[160];		/* what was wrong with a reply */
	char extack[128];
};

static void nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = timeout_s };
	int one = 1, rcvbuf = 1 << 20;

	nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl_fd < 0) {
		perror("vdrep_nlfuzz: socket(AF_NETLINK)");
		exit(2);
	}
	if (bind(nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("vdrep_nlfuzz: bind");
		exit(2);
	}
	/* Errors without the request echoed; extack messages for --trace. */
	setsockopt(nl_fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(nl_fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("vdrep_nlfuzz: SO_RCVTIMEO");
		exit(2);
	}
}

static int nl_send(const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(nl_fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* The sync message: an NLMSG_NOOP the netlink core acknowledges. */
static void ping_init(struct nlmsghdr *ping)
{
	memset(ping, 0, sizeof(*ping));
	ping->nlmsg_len = NLMSG_HDRLEN;
	ping->nlmsg_type = NLMSG_NOOP;
	ping->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ping->nlmsg_seq = next_seq++;
}

static uint32_t send_ping(void)
{
	struct nlmsghdr ping;
	int err;

	ping_init(&ping);
	err = nl_send(&ping, sizeof(ping));
	if (err) {
		fprintf(stderr, "vdrep_nlfuzz: sending the sync message: %s\n", strerror(-err));
		exit(2);
	}
	return ping.nlmsg_seq;
}

/* Wait for a datagram; -ETIMEDOUT after timeout_s seconds of silence. */
static ssize_t nl_recv(void)
{
	ssize_t n;

	for (;;) {
		n = recv(nl_fd, rbuf, RECV_LEN, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -ETIMEDOUT;
		if (n < 0)
			return -errno;
		return n;
	}
}

static void extack_msg(const struct nlmsghdr *nh, size_t hdr, char *out, size_t size)
{
	const struct nlattr *nla;
	size_t off = NLMSG_HDRLEN + hdr;

	out[0] = '\0';
	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (off + NLA_HDRLEN <= nh->nlmsg_len) {
		nla = (const struct nlattr *)((const char *)nh + off);
		if (nla->nla_len < NLA_HDRLEN || off + nla->nla_len > nh->nlmsg_len)
			return;
		if ((nla->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			snprintf(out, size, "%.*s", (int)(nla->nla_len - NLA_HDRLEN),
				 (const char *)nla + NLA_HDRLEN);
			return;
		}
		off += NLA_ALIGN(nla->nla_len);
	}
}

/*
 * A data reply must be a message of the request's command whose attributes
 * are well laid out and name their object.
 */
static const char *check_reply(const struct msg *m, const struct nlmsghdr *nh)
{
	const struct genlmsghdr *g = NLMSG_DATA(nh);
	uint16_t max = cmd_is_assoc(m->cmd) ? VDREP_A_ASSOC_MAX : VDREP_A_VOLUME_MAX;
	uint16_t want = cmd_is_assoc(m->cmd) ? VDREP_A_ASSOC_NAME : VDREP_A_VOLUME_NAME;
	bool named = false;
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nh->nlmsg_len < off)
		return "reply shorter than its headers";
	if (g->cmd != m->cmd)
		return "reply of another command";
	while (off < nh->nlmsg_len) {
		const struct nlattr *nla = (const struct nlattr *)((const char *)nh + off);
		uint16_t type = nla->nla_type & NLA_TYPE_MASK;

		if (off + NLA_HDRLEN > nh->nlmsg_len || nla->nla_len < NLA_HDRLEN ||
		    off + nla->nla_len > nh->nlmsg_len)
			return "reply attribute overruns the message";
		if (type == 0 || type > max)
			return "reply attribute of unknown type";
		if (type == want) {
			const char *s = (const char *)nla + NLA_HDRLEN;
			size_t len = nla->nla_len - NLA_HDRLEN;

			if (!len || len > VDREP_NAME_MAX_LEN + 1 || s[len - 1] ||
			    strlen(s) + 1 != len)
				return "reply name is not a NUL-terminated name";
			named = true;
		}
		off += NLA_ALIGN(nla->nla_len);
	}
	return named ? NULL : "reply without a name";
}

/* Send @m, then the sync message; read until both are answered. */
static int exchange(struct msg *m, struct result *r)
{
	uint32_t seq = next_seq++, ping = 0;
	bool ping_done = false, wait_done = m->dump, sent_ping = false;
	int err;

	memset(r, 0, sizeof(*r));
	msg_nlh(m)->nlmsg_seq = seq;
	if (m->send_len >= NLMSG_HDRLEN && msg_nlh(m)->nlmsg_len == m->send_len &&
	    NLMSG_ALIGN(m->send_len) + NLMSG_HDRLEN <= sizeof(m->buf)) {
		/*
		 * The netlink core reads the message up to its aligned nlmsg_len,
		 * then the sync message: one datagram (a slow debug kernel
		 * spends its time per system call). Framing faults go alone.
		 */
		size_t len = NLMSG_ALIGN(m->send_len);

		memset(m->buf + m->send_len, 0, len - m->send_len);
		ping_init((struct nlmsghdr *)(m->buf + len));
		ping = ((struct nlmsghdr *)(m->buf + len))->nlmsg_seq;
		err = nl_send(m->buf, len + NLMSG_HDRLEN);
		sent_ping = true;
	} else {
		err = nl_send(m->buf, m->send_len);
	}
	if (err) {
		/* e.g. EMSGSIZE: nothing reached the family. */
		stat_send_err++;
		r->err = -err;
		snprintf(r->why, sizeof(r->why), "send: %s", strerror(-err));
		wait_done = false;
		sent_ping = false;
	}
	if (!sent_ping)
		ping = send_ping();

	while (!ping_done || wait_done) {
		ssize_t n = nl_recv();
		struct nlmsghdr *nh;
		int left;

		if (n == -ETIMEDOUT)
			return -ETIMEDOUT;
		if (n == -ENOBUFS) {
			/* Replies were dropped: this one cannot be judged. */
			stat_enobufs++;
			r->lost = true;
			wait_done = false;
			ping = send_ping();
			ping_done = false;
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "vdrep_nlfuzz: recv: %s\n", strerror((int)-n));
			exit(2);
		}
		if (n > RECV_LEN) {
			r->bad_reply = true;
			snprintf(r->why, sizeof(r->why), "reply of %zd bytes truncated", n);
			n = RECV_LEN;
		}
		left = (int)n;
		for (nh = (struct nlmsghdr *)rbuf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq == ping && nh->nlmsg_type == NLMSG_ERROR) {
				ping_done = true;
				continue;
			}
			if (nh->nlmsg_seq != seq) {
				stat_strays++;
				continue;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(int))) {
					r->bad_reply = true;
					snprintf(r->why, sizeof(r->why), "short NLMSG_ERROR");
				} else if (e->error == 0) {
					r->ack0 = true;
				} else if (!r->err) {
					r->err = -e->error;
					extack_msg(nh, sizeof(*e), r->extack, sizeof(r->extack));
				}
				wait_done = false;
			} else if (nh->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&e, NLMSG_DATA(nh), sizeof(e));
				if (e < 0 && !r->err)
					r->err = -e;
				else if (e >= 0)
					r->done_ok = true;
				wait_done = false;
			} else if (nh->nlmsg_type == family_id) {
				const char *why = check_reply(m, nh);

				r->data = true;
				if (nh->nlmsg_flags & NLM_F_MULTI)
					wait_done = true;
				if (why && !r->bad_reply) {
					r->bad_reply = true;
					snprintf(r->why, sizeof(r->why), "%s", why);
				}
			} else {
				r->bad_reply = true;
				snprintf(r->why, sizeof(r->why), "reply of type %u", nh->nlmsg_type);
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------- judging */

static const char *errname(int e)
{
	const char *s = strerrorname_np(e);
	static char buf[16];

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void hexdump(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 512; i++)
		fprintf(stderr, "%02x%s", p[i], (i % 32 == 31) ? "\n" : " ");
	fprintf(stderr, "%s", i % 32 ? "\n" : "");
	if (len > 512)
		fprintf(stderr, "... (%zu bytes)\n", len);
}

static void describe(char *buf, size_t size, unsigned long idx, struct msg *m)
{
	const struct nlmsghdr *nlh = msg_nlh(m);

	snprintf(buf, size, "#%lu %s: cmd %u (%s) flags 0x%x nlmsg_len %u sent %zu",
		 idx, m->gen, m->cmd, cmd_name(m->cmd), nlh->nlmsg_flags, nlh->nlmsg_len,
		 m->send_len);
}

static const char *outcome(const struct result *r, char *buf, size_t size)
{
	if (r->lost)
		return "lost (ENOBUFS)";
	if (r->err && (r->data || r->ack0 || r->done_ok))
		snprintf(buf, size, "%s after a success reply", errname(r->err));
	else if (r->err)
		snprintf(buf, size, "%s%s%s", errname(r->err), r->extack[0] ? ": " : "", r->extack);
	else if (r->data || r->done_ok)
		snprintf(buf, size, "success (data)");
	else if (r->ack0)
		snprintf(buf, size, "success (ack)");
	else
		snprintf(buf, size, "no reply");
	return buf;
}

static void fail(unsigned long idx, struct msg *m, const struct result *r, const char *what)
{
	char d[200], o[200];

	stat_failures++;
	if (stat_failures > FAIL_PRINT)
		return;
	describe(d, sizeof(d), idx, m);
	printf("FAIL %s: %s (got %s)\n", d, what, outcome(r, o, sizeof(o)));
	if (stat_failures == FAIL_PRINT)
		printf("FAIL ... (further failures are counted, not printed)\n");
	fflush(stdout);
}

static void judge(unsigned long idx, struct generator *g, struct msg *m, struct result *r)
{
	bool success = r->data || r->ack0 || r->done_ok;
	unsigned long before = stat_failures;

	g->sent++;
	if (r->lost) {
		g->lost++;
		return;
	}
	if (r->err)
		g->error++;
	else if (success)
		g->success++;
	else
		g->silent++;
	if (r->err > 0 && r->err < (int)ARRAY_SIZE(errno_count))
		errno_count[r->err]++;
	if (success && !r->err && m->exp == EXP_ANY)
		success_by_cmd[m->cmd]++;

	if (r->bad_reply)
		fail(idx, m, r, r->why);
	if (m->eperm || m->eperm_or_notsupp) {
		if (success || !(r->err == EPERM || (m->eperm_or_notsupp && r->err == EOPNOTSUPP)))
			fail(idx, m, r, m->eperm ? "unprivileged mutating request not refused with EPERM" :
				   "unprivileged mutating dump not refused with EPERM or EOPNOTSUPP");
	} else {
		switch (m->exp) {
		case EXP_ANY:
			break;
		case EXP_ERROR:
			if (success)
				fail(idx, m, r, "malformed request got a success reply");
			else if (!r->err)
				fail(idx, m, r, "malformed request got no error reply");
			break;
		case EXP_NO_SUCCESS:
			if (success)
				fail(idx, m, r, "request the netlink core drops got a success reply");
			break;
		case EXP_IGNORED:
			if (r->data || r->done_ok)
				fail(idx, m, r, "request without NLM_F_REQUEST was executed");
			break;
		}
	}
	if (stat_failures != before)
		g->failed++;
}

/* ------------------------------------------------------------- family */

static uint16_t resolve_family(void)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr g;
		unsigned char attrs[64];
	} req;
	struct nlattr *nla;
	int left;
	ssize_t n;
	uint32_t seq = next_seq++;
	struct nlmsghdr *nh;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = GENL_ID_CTRL;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = seq;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	nla = (struct nlattr *)req.attrs;
	nla->nla_type = CTRL_ATTR_FAMILY_NAME;
	nla->nla_len = NLA_HDRLEN + sizeof(VDREP_FAMILY_NAME);
	memcpy((char *)nla + NLA_HDRLEN, VDREP_FAMILY_NAME, sizeof(VDREP_FAMILY_NAME));
	req.nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(nla->nla_len);
	if (nl_send(&req, req.nlh.nlmsg_len)) {
		perror("vdrep_nlfuzz: send CTRL_CMD_GETFAMILY");
		exit(2);
	}
	for (;;) {
		n = nl_recv();
		if (n < 0) {
			fprintf(stderr, "vdrep_nlfuzz: CTRL_CMD_GETFAMILY: %s\n", strerror((int)-n));
			exit(2);
		}
		left = (int)n;
		for (nh = (struct nlmsghdr *)rbuf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
			size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				fprintf(stderr, "vdrep_nlfuzz: no generic netlink family \"%s\" "
					"(is vdrep loaded?): %s\n", VDREP_FAMILY_NAME,
					strerror(-e->error));
				exit(2);
			}
			while (off + NLA_HDRLEN <= nh->nlmsg_len) {
				nla = (struct nlattr *)((char *)nh + off);
				if (nla->nla_len < NLA_HDRLEN)
					break;
				if (nla->nla_type == CTRL_ATTR_FAMILY_ID &&
				    nla->nla_len >= NLA_HDRLEN + 2) {
					uint16_t id;

					memcpy(&id, (char *)nla + NLA_HDRLEN, sizeof(id));
					return id;
				}
				off += NLA_ALIGN(nla->nla_len);
			}
			fprintf(stderr, "vdrep_nlfuzz: CTRL_CMD_GETFAMILY reply has no id\n");
			exit(2);
		}
	}
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vdrep_nlfuzz [--seed N] [--count N] [--name NAME]... [--dev PATH]...\n"
		"                    [--expect-eperm-for-mutating] [--timeout SECONDS]\n"
		"                    [--only GEN[,GEN...]] [--trace] [--hex] [--list]\n"
		"  --seed N      seed of the message stream (default: random, printed)\n"
		"  --count N     messages to send (default 100000)\n"
		"  --name NAME   a volume or association name for requests (repeatable)\n"
		"  --dev PATH    a block device path for requests (repeatable); no other\n"
		"                path is ever sent\n"
		"  --expect-eperm-for-mutating\n"
		"                running without CAP_NET_ADMIN: every mutating request whose\n"
		"                header the kernel accepts must get EPERM\n"
		"  --timeout S   seconds without an answer before giving up (default 10)\n"
		"  --only GENS   use only these generators (changes the stream)\n"
		"  --trace       print every message and its outcome on stderr\n"
		"  --hex         with --trace, dump every message's bytes\n"
		"  --list        list the generators and exit\n");
}

static int enable_only(char *list)
{
	char *tok, *save = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gens); i++)
		gens[i].enabled = false;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(gens); i++)
			if (!strcmp(gens[i].name, tok))
				break;
		if (i == ARRAY_SIZE(gens)) {
			fprintf(stderr, "vdrep_nlfuzz: no generator %s (see --list)\n", tok);
			return -1;
		}
		gens[i].enabled = true;
	}
	return 0;
}

static void summary(uint64_t seed, unsigned long sent)
{
	unsigned long total_err = 0;
	size_t i;
	int e;

	printf("%-20s %7s %7s %7s %7s %5s %5s\n", "generator", "sent", "success", "error",
	       "silent", "lost", "FAIL");
	for (i = 0; i < ARRAY_SIZE(gens); i++) {
		struct generator *g = &gens[i];

		if (!g->sent)
			continue;
		printf("%-20s %7lu %7lu %7lu %7lu %5lu %5lu\n", g->name, g->sent, g->success,
		       g->error, g->silent, g->lost, g->failed);
	}
	printf("errors:");
	for (e = 1; e < (int)ARRAY_SIZE(errno_count); e++) {
		if (!errno_count[e])
			continue;
		printf(" %s %lu", errname(e), errno_count[e]);
		total_err += errno_count[e];
	}
	printf("%s\n", total_err ? "" : " none");
	printf("successes of well-formed requests:");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		printf(" %s %lu", cmds[i].name, success_by_cmd[cmds[i].cmd]);
	printf("\n");
	printf("seed %" PRIu64 ": %lu messages sent, %lu failures, %lu send errors, "
	       "%lu ENOBUFS, %lu stray replies\n", seed, sent, stat_failures, stat_send_err,
	       stat_enobufs, stat_strays);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "dev", required_argument, NULL, 'd' },
		{ "expect-eperm-for-mutating", no_argument, NULL, 'E' },
		{ "timeout", required_argument, NULL, 't' },
		{ "only", required_argument, NULL, 'o' },
		{ "trace", no_argument, NULL, 'T' },
		{ "hex", no_argument, NULL, 'x' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static struct msg m;
	static struct alist l;
	unsigned long count = 100000, i;
	uint64_t seed = 0;
	bool seeded = false;
	char *end;
	size_t k;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end) {
				fprintf(stderr, "vdrep_nlfuzz: bad seed %s\n", optarg);
				return 3;
			}
			seeded = true;
			break;
		case 'c':
			errno = 0;
			count = strtoul(optarg, &end, 0);
			if (errno || *end) {
				fprintf(stderr, "vdrep_nlfuzz: bad count %s\n", optarg);
				return 3;
			}
			break;
		case 'n':
			if (nr_names == MAX_LIST || !*optarg) {
				fprintf(stderr, "vdrep_nlfuzz: too many or empty --name\n");
				return 3;
			}
			names[nr_names++] = optarg;
			break;
		case 'd':
			if (nr_devs == MAX_LIST || !*optarg) {
				fprintf(stderr, "vdrep_nlfuzz: too many or empty --dev\n");
				return 3;
			}
			devs[nr_devs++] = optarg;
			break;
		case 'E':
			expect_eperm = true;
			break;
		case 't':
			timeout_s = atoi(optarg);
			if (timeout_s <= 0) {
				fprintf(stderr, "vdrep_nlfuzz: bad timeout %s\n", optarg);
				return 3;
			}
			break;
		case 'o':
			if (enable_only(optarg))
				return 3;
			break;
		case 'T':
			trace = true;
			break;
		case 'x':
			hex = true;
			break;
		case 'l':
			for (k = 0; k < ARRAY_SIZE(gens); k++)
				printf("%s\n", gens[k].name);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 3;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 3;
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 32);
		seed %= 1000000000000ULL;
	}
	rnd_seed(seed);
	setvbuf(stdout, NULL, _IOLBF, 0);

	nl_open();
	next_seq = 1;
	family_id = resolve_family();
	printf("vdrep_nlfuzz: seed %" PRIu64 ", %lu messages, family %s id %u, uid %u%s\n",
	       seed, count, VDREP_FAMILY_NAME, family_id, (unsigned int)getuid(),
	       expect_eperm ? ", expecting EPERM for mutating requests" : "");

	for (i = 0; i < count; i++) {
		struct generator *g = pick_gen();
		struct result r;

		g->fn(&m, &l);
		classify_header(&m);
		if (trace) {
			char d[200];

			describe(d, sizeof(d), i, &m);
			fprintf(stderr, "%s\n", d);
			if (hex)
				hexdump(m.buf, m.send_len);
		}
		if (exchange(&m, &r) == -ETIMEDOUT) {
			char d[200];

			describe(d, sizeof(d), i, &m);
			printf("FAIL %s: no answer within %d s: the socket stopped answering\n",
			       d, timeout_s);
			summary(seed, i + 1);
			printf("result: FAIL (socket stopped answering)\n");
			return 2;
		}
		if (trace) {
			char o[200];

			fprintf(stderr, "  -> %s\n", outcome(&r, o, sizeof(o)));
		}
		judge(i, g, &m, &r);
	}
	summary(seed, count);
	printf("result: %s\n", stat_failures ? "FAIL" : "PASS");
	return stat_failures ? 1 : 0;
}
