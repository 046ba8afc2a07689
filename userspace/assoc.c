// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl assoc create | destroy | show | set | wait | OPERATION
 *
 * An association (mirror, snapshot or clone) is named VOLUME/NAME
 * everywhere: names never contain '/', so the split is unambiguous. Its
 * fields come from one table (assoc_fields[]) for show, the replies of
 * create/set/operations, and monitor lines, in text and JSON; keys are the
 * spec's attribute names.
 *
 * Options are --long ones (getopt_long, so they may follow the arguments),
 * unlike volume's "keyword value" pairs: most are flags.
 */
#define _GNU_SOURCE	/* ppoll() */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/vdrep.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "names.h"
#include "netlink.h"
#include "print.h"
#include "vdrepctl.h"

/* Types as the spec has them; libnl checks sizes, so nla_get_*() is safe. */
static struct nla_policy assoc_policy[VDREP_A_ASSOC_MAX + 1] = {
	[VDREP_A_ASSOC_VOLUME]			= { .type = NLA_STRING },
	[VDREP_A_ASSOC_ID]			= { .type = NLA_U32 },
	[VDREP_A_ASSOC_NAME]			= { .type = NLA_STRING },
	[VDREP_A_ASSOC_TARGET_PATH]		= { .type = NLA_STRING },
	[VDREP_A_ASSOC_TARGET_MAJOR]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_TARGET_MINOR]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_VIEW_DISK_NAME]		= { .type = NLA_STRING },
	[VDREP_A_ASSOC_SYNC_TYPE]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_SYNC_MODE]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_COPY_TYPE]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_REPLICA_TYPE]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_COPY_METHODOLOGY]	= { .type = NLA_U32 },
	[VDREP_A_ASSOC_COPY_PRIORITY]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_COPY_STATE]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_REQUESTED_COPY_STATE]	= { .type = NLA_U32 },
	[VDREP_A_ASSOC_SYNC_STATE]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_PROGRESS_STATUS]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_PERCENT_SYNCED]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_SYNC_TIME]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_SYNC_MAINTAINED]		= { .type = NLA_U8 },
	[VDREP_A_ASSOC_OPERATION]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_PREPARE_ONLY]		= { .type = NLA_FLAG },
	[VDREP_A_ASSOC_VIEW_WRITABLE]		= { .type = NLA_FLAG },
	[VDREP_A_ASSOC_CHUNK_SIZE]		= { .type = NLA_U32 },
	[VDREP_A_ASSOC_TOTAL_CHUNKS]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_DIRTY_CHUNKS]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_COPIED_CHUNKS]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_BYTES_BEHIND]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_BACKLOG_LIMIT]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_RATE_LIMIT]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_COPY_RATE]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_SOURCE_READ_ERRORS]	= { .type = NLA_U64 },
	[VDREP_A_ASSOC_SOURCE_WRITE_ERRORS]	= { .type = NLA_U64 },
	[VDREP_A_ASSOC_TARGET_READ_ERRORS]	= { .type = NLA_U64 },
	[VDREP_A_ASSOC_TARGET_WRITE_ERRORS]	= { .type = NLA_U64 },
	[VDREP_A_ASSOC_STORE_CAPACITY]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_STORE_USED]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_OLD_DATA_READS]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_EVENT_SEQ]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_TARGET_SIZE]		= { .type = NLA_U64 },
	[VDREP_A_ASSOC_COPY_ELAPSED]		= { .type = NLA_U64 },
};

/* Every message names its association; anything else is not ours to print. */
static int assoc_parse(struct nl_msg *msg, struct nlattr **tb)
{
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VDREP_A_ASSOC_MAX, assoc_policy) < 0 ||
	    !tb[VDREP_A_ASSOC_VOLUME] || !tb[VDREP_A_ASSOC_NAME]) {
		fprintf(stderr, "%s: ignoring a malformed association message\n", progname);
		return -1;
	}
	return 0;
}

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

int assoc_event_seq(struct nl_msg *msg, uint64_t *seq)
{
	struct nlattr *tb[VDREP_A_ASSOC_MAX + 1];

	if (assoc_parse(msg, tb))
		return -1;
	*seq = get_u64(tb, VDREP_A_ASSOC_EVENT_SEQ);
	return 0;
}

/* ------------------------------------------------------------------ print */

enum field_kind {
	FIELD_STRING,
	FIELD_U32,
	FIELD_U64,
	FIELD_ENUM,	/* u32, printed by its CLI name */
	FIELD_BOOL,	/* u8, 0 or 1 */
	FIELD_FLAG,	/* present or not */
	FIELD_TIME,	/* u64 ns since the epoch, 0 never; JSON keeps the number */
	FIELD_DURATION,	/* u64 ns, text in seconds; JSON keeps the number */
};

struct field {
	int attr;
	const char *key;		/* the spec's attribute name; NULL: a line break */
	enum field_kind kind;
	const struct enum_names *names;	/* FIELD_ENUM */
	/*
	 * Text and monitor lines show it only for these kinds (SYNC_TYPES()
	 * of the sync-type); 0: for every kind. JSON shows it for every kind,
	 * 0 when the kernel left it out of a full description.
	 */
	unsigned int text_types;
};

#define SYNC_TYPE_BIT(t)	(1u << VDREP_SYNC_TYPE_##t)
/* The store's counters: text for snapshots (old-data-reads for clones too). */
#define STORE_FIELD(a, k, types) \
	{ .attr = VDREP_A_ASSOC_##a, .key = k, .kind = FIELD_U64, .text_types = (types) }

#define FIELD(a, k, t)	{ .attr = VDREP_A_ASSOC_##a, .key = k, .kind = FIELD_##t }
#define ENUM_FIELD(a, k, n) \
	{ .attr = VDREP_A_ASSOC_##a, .key = k, .kind = FIELD_ENUM, .names = &n }
#define LINE_BREAK	{ .key = NULL }	/* show: a new line of the block */

/*
 * Every attribute of an association reply, in the order show prints them
 * (one group a line). Only attributes the kernel sent are printed (the
 * view exists only sometimes), and in text only for the kinds they mean
 * something for: the store line is a snapshot's (a clone's copy-on-write
 * reads too); JSON has the store's counters always. volume, name and
 * event-seq are printed apart, as a heading.
 */
static const struct field assoc_fields[] = {
	FIELD(ID, "id", U32),
	FIELD(TARGET_PATH, "target-path", STRING),
	FIELD(TARGET_MAJOR, "target-major", U32),
	FIELD(TARGET_MINOR, "target-minor", U32),
	FIELD(TARGET_SIZE, "target-size", U64),
	FIELD(VIEW_DISK_NAME, "view-disk-name", STRING),
	FIELD(VIEW_WRITABLE, "view-writable", FLAG),
	LINE_BREAK,
	ENUM_FIELD(SYNC_TYPE, "sync-type", sync_type_names),
	ENUM_FIELD(SYNC_MODE, "sync-mode", sync_mode_names),
	ENUM_FIELD(COPY_TYPE, "copy-type", copy_type_names),
	ENUM_FIELD(REPLICA_TYPE, "replica-type", replica_type_names),
	ENUM_FIELD(COPY_METHODOLOGY, "copy-methodology", copy_methodology_names),
	ENUM_FIELD(COPY_PRIORITY, "copy-priority", copy_priority_names),
	LINE_BREAK,
	ENUM_FIELD(COPY_STATE, "copy-state", copy_state_names),
	ENUM_FIELD(REQUESTED_COPY_STATE, "requested-copy-state", copy_state_names),
	ENUM_FIELD(SYNC_STATE, "sync-state", sync_state_names),
	ENUM_FIELD(PROGRESS_STATUS, "progress-status", progress_status_names),
	LINE_BREAK,
	FIELD(PERCENT_SYNCED, "percent-synced", U32),
	FIELD(SYNC_MAINTAINED, "sync-maintained", BOOL),
	FIELD(SYNC_TIME, "sync-time", TIME),
	LINE_BREAK,
	FIELD(CHUNK_SIZE, "chunk-size", U32),
	FIELD(TOTAL_CHUNKS, "total-chunks", U64),
	FIELD(DIRTY_CHUNKS, "dirty-chunks", U64),
	FIELD(COPIED_CHUNKS, "copied-chunks", U64),
	LINE_BREAK,
	FIELD(BYTES_BEHIND, "bytes-behind", U64),
	FIELD(BACKLOG_LIMIT, "backlog-limit", U64),
	FIELD(RATE_LIMIT, "rate-limit", U64),
	FIELD(COPY_RATE, "copy-rate", U64),
	FIELD(COPY_ELAPSED, "copy-elapsed", DURATION),
	LINE_BREAK,
	FIELD(SOURCE_READ_ERRORS, "source-read-errors", U64),
	FIELD(SOURCE_WRITE_ERRORS, "source-write-errors", U64),
	FIELD(TARGET_READ_ERRORS, "target-read-errors", U64),
	FIELD(TARGET_WRITE_ERRORS, "target-write-errors", U64),
	LINE_BREAK,
	STORE_FIELD(STORE_CAPACITY, "store-capacity", SYNC_TYPE_BIT(SNAPSHOT)),
	STORE_FIELD(STORE_USED, "store-used", SYNC_TYPE_BIT(SNAPSHOT)),
	STORE_FIELD(OLD_DATA_READS, "old-data-reads",
		    SYNC_TYPE_BIT(SNAPSHOT) | SYNC_TYPE_BIT(CLONE)),
};

/* "2026-11-25T13:01:02Z" (UTC, so that it reads the same everywhere), "never". */
static void format_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "never");
}

static void print_field(enum print_to to, const struct field *f, struct nlattr **tb)
{
	struct nlattr *a = tb[f->attr];
	const char *name;
	char buf[64];

	switch (f->kind) {
	case FIELD_STRING:
		print_string(to, f->key, nla_get_string(a));
		break;
	case FIELD_U32:
		print_uint(to, f->key, nla_get_u32(a));
		break;
	case FIELD_U64:
		print_uint(to, f->key, nla_get_u64(a));
		break;
	case FIELD_ENUM:
		/* A value newer than this vdrepctl: its number. */
		name = enum_name(f->names, nla_get_u32(a));
		if (name)
			print_string(to, f->key, name);
		else
			print_uint(to, f->key, nla_get_u32(a));
		break;
	case FIELD_BOOL:
		print_bool(to, f->key, nla_get_u8(a));
		break;
	case FIELD_FLAG:
		print_bool(to, f->key, a != NULL);
		break;
	case FIELD_TIME:
		format_time(nla_get_u64(a), buf, sizeof(buf));
		print_string(to & PRINT_FP, f->key, buf);
		print_uint(to & PRINT_JSON, f->key, nla_get_u64(a));
		break;
	case FIELD_DURATION:
		snprintf(buf, sizeof(buf), "%.3fs", nla_get_u64(a) / 1e9);
		print_string(to & PRINT_FP, f->key, buf);
		print_uint(to & PRINT_JSON, f->key, nla_get_u64(a));
		break;
	}
}

/*
 * The fields of an association, each printed once for text and JSON:
 *   show     data/m1: id 1 target-path /dev/ram1 (1:1) target-size ...
 *                sync-type mirror sync-mode synchronous ...
 *                copy-state synchronized requested-copy-state not-applicable ...
 *   monitor  EVENT assoc data/m1 id:1 target-path:/dev/ram1 ... seq:N
 *   JSON     {"volume":..., "name":..., "id":..., "copy-state":...}, plus
 *            "event", "object", "seq" for monitor
 */
int assoc_print_msg(struct nl_msg *msg, const char *event)
{
	struct nlattr *tb[VDREP_A_ASSOC_MAX + 1];
	const char *volume, *name;
	bool new_line = false, full;
	uint32_t sync_type;

	if (assoc_parse(msg, tb))
		return NL_SKIP;
	volume = nla_get_string(tb[VDREP_A_ASSOC_VOLUME]);
	name = nla_get_string(tb[VDREP_A_ASSOC_NAME]);
	/* A full description, not a bare destroy notification. */
	full = tb[VDREP_A_ASSOC_COPY_STATE] != NULL;
	sync_type = get_u32(tb, VDREP_A_ASSOC_SYNC_TYPE);

	print_open_object(NULL);
	if (event) {
		print_text("%s assoc %s/%s", event, volume, name);
		print_string(PRINT_JSON, "event", event);
		print_string(PRINT_JSON, "object", "assoc");
		if (tb[VDREP_A_ASSOC_EVENT_SEQ])
			print_uint(PRINT_JSON, "seq", get_u64(tb, VDREP_A_ASSOC_EVENT_SEQ));
	} else {
		print_text("%s/%s:", volume, name);
	}
	print_string(PRINT_JSON, "volume", volume);
	print_string(PRINT_JSON, "name", name);

	for (size_t i = 0; i < ARRAY_SIZE(assoc_fields); i++) {
		const struct field *f = &assoc_fields[i];
		enum print_to to = PRINT_ANY;

		/* A block of lines for show; the first field present breaks. */
		if (!f->key) {
			new_line = !event;
			continue;
		}
		/*
		 * A flag's absence says "no" only in a full description (one
		 * with a copy-state), not in a bare destroy notification; so
		 * does a store counter's, in JSON.
		 */
		if (!tb[f->attr] && !(full && (f->kind == FIELD_FLAG || f->text_types)))
			continue;
		/* show has them in "(8:16)" after the path */
		if (!event && (f->attr == VDREP_A_ASSOC_TARGET_MAJOR ||
			       f->attr == VDREP_A_ASSOC_TARGET_MINOR))
			to = PRINT_JSON;
		if (f->text_types &&
		    (sync_type >= 32 || !(f->text_types & (1u << sync_type))))
			to &= ~PRINT_FP;
		if (!(to & (print_is_json() ? PRINT_JSON : PRINT_FP)))
			continue;
		if (new_line) {
			print_text("\n   ");
			new_line = false;
		}
		if (tb[f->attr])
			print_field(to, f, tb);
		else if (f->kind == FIELD_FLAG)
			print_bool(to, f->key, false);
		else
			print_uint(to, f->key, 0);
		if (!event && f->attr == VDREP_A_ASSOC_TARGET_PATH &&
		    tb[VDREP_A_ASSOC_TARGET_MAJOR] && tb[VDREP_A_ASSOC_TARGET_MINOR])
			print_text(" (%u:%u)", get_u32(tb, VDREP_A_ASSOC_TARGET_MAJOR),
				   get_u32(tb, VDREP_A_ASSOC_TARGET_MINOR));
	}

	if (tb[VDREP_A_ASSOC_EVENT_SEQ]) {
		if (event)
			print_uint(PRINT_FP, "seq", get_u64(tb, VDREP_A_ASSOC_EVENT_SEQ));
		else
			print_uint(PRINT_ANY, "event-seq", get_u64(tb, VDREP_A_ASSOC_EVENT_SEQ));
	}
	print_close_object();
	return NL_OK;
}

static int on_assoc(struct nl_msg *msg, void *arg)
{
	(void)arg;
	return assoc_print_msg(msg, NULL);
}

/* ---------------------------------------------------------------- requests */

/* One request of any assoc command: what is set goes out. */
struct assoc_req {
	uint8_t cmd;
	const char *volume;	/* NULL: every volume (dump) */
	const char *name;	/* NULL: dump */
	const char *target;
	uint32_t operation;	/* 0: none */
	bool has_type, has_mode, has_copy_type, has_priority, has_rate, has_backlog;
	uint32_t type, mode, copy_type, priority;
	uint64_t rate, backlog;
	bool prepare_only, writable;
};

static struct nl_msg *build_assoc(struct vdrep_nl *nl, void *arg)
{
	const struct assoc_req *r = arg;
	struct nl_msg *req;

	req = vdrep_nl_request(nl, r->cmd, r->name ? 0 : NLM_F_DUMP);
	if (!req)
		return NULL;
	if ((r->volume && nla_put_string(req, VDREP_A_ASSOC_VOLUME, r->volume)) ||
	    (r->name && nla_put_string(req, VDREP_A_ASSOC_NAME, r->name)) ||
	    (r->target && nla_put_string(req, VDREP_A_ASSOC_TARGET_PATH, r->target)) ||
	    (r->operation && nla_put_u32(req, VDREP_A_ASSOC_OPERATION, r->operation)) ||
	    (r->has_type && nla_put_u32(req, VDREP_A_ASSOC_SYNC_TYPE, r->type)) ||
	    (r->has_mode && nla_put_u32(req, VDREP_A_ASSOC_SYNC_MODE, r->mode)) ||
	    (r->has_copy_type && nla_put_u32(req, VDREP_A_ASSOC_COPY_TYPE, r->copy_type)) ||
	    (r->has_priority && nla_put_u32(req, VDREP_A_ASSOC_COPY_PRIORITY, r->priority)) ||
	    (r->has_rate && nla_put_u64(req, VDREP_A_ASSOC_RATE_LIMIT, r->rate)) ||
	    (r->has_backlog && nla_put_u64(req, VDREP_A_ASSOC_BACKLOG_LIMIT, r->backlog)) ||
	    (r->prepare_only && nla_put_flag(req, VDREP_A_ASSOC_PREPARE_ONLY)) ||
	    (r->writable && nla_put_flag(req, VDREP_A_ASSOC_VIEW_WRITABLE))) {
		nlmsg_free(req);
		return NULL;
	}
	return req;
}

/* ----------------------------------------------------------- command line */

/* VOLUME/NAME, split in place. */
static int parse_assoc(const struct command *cmd, char *arg, const char **volume,
		       const char **name)
{
	char *slash = strchr(arg, '/');

	if (!slash || slash == arg || !slash[1] || strchr(slash + 1, '/'))
		return usage_error(cmd, "'%s' is not VOLUME/NAME", arg);
	*slash = '\0';
	*volume = arg;
	*name = slash + 1;
	return 0;
}

/* Every option of the assoc commands; each command takes some (OPT_BIT). */
enum {
	OPT_TYPE = 256,
	OPT_MODE,
	OPT_PRIORITY,
	OPT_PREPARE_ONLY,
	OPT_WRITABLE_VIEW,
	OPT_RATE,
	OPT_BACKLOG,
	OPT_STATE,
	OPT_TIMEOUT,
	OPT_COPY_TYPE,
	OPT_DESTROYED,
};
#define OPT_BIT(opt)	(1u << ((opt) - OPT_TYPE))

static const struct option assoc_options[] = {
	{ "type",          required_argument, NULL, OPT_TYPE },
	{ "mode",          required_argument, NULL, OPT_MODE },
	{ "priority",      required_argument, NULL, OPT_PRIORITY },
	{ "prepare-only",  no_argument,       NULL, OPT_PREPARE_ONLY },
	{ "writable-view", no_argument,       NULL, OPT_WRITABLE_VIEW },
	{ "rate",          required_argument, NULL, OPT_RATE },
	{ "backlog",       required_argument, NULL, OPT_BACKLOG },
	{ "state",         required_argument, NULL, OPT_STATE },
	{ "timeout",       required_argument, NULL, OPT_TIMEOUT },
	{ "copy-type",     required_argument, NULL, OPT_COPY_TYPE },
	{ "destroyed",     no_argument,       NULL, OPT_DESTROYED },
	{ "help",          no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *option_name(int val)
{
	for (const struct option *o = assoc_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/* What the options say, for the commands that take them. */
struct assoc_opts {
	struct assoc_req req;
	int state;		/* wait: copy state, -1 not given */
	bool destroyed;		/* wait: for the association to be gone */
	double timeout;		/* wait: seconds, < 0 none */
	/* the arguments that are not options */
	int argc;
	char **argv;
};

static int parse_enum_opt(const struct command *cmd, const char *opt,
			  const struct enum_names *e, const char *arg, uint32_t *out)
{
	int v = enum_value(e, arg);

	if (v < 0)
		return usage_error(cmd, "--%s '%s' is not a %s", opt, arg, e->what);
	*out = (uint32_t)v;
	return 0;
}

static int parse_size_opt(const struct command *cmd, const char *opt,
			  const char *arg, uint64_t *out)
{
	if (parse_size(arg, out))
		return usage_error(cmd, "--%s '%s' is not a size (bytes, or a number with K, M or G)",
				   opt, arg);
	return 0;
}

/* "sync", "async", or a sync-mode name ("synchronous", "Asynchronous"). */
static int parse_mode(const struct command *cmd, const char *arg, uint32_t *out)
{
	int v;

	if (!strcmp(arg, "sync"))
		v = VDREP_SYNC_MODE_SYNCHRONOUS;
	else if (!strcmp(arg, "async"))
		v = VDREP_SYNC_MODE_ASYNCHRONOUS;
	else
		v = enum_value(&sync_mode_names, arg);
	if (v != VDREP_SYNC_MODE_SYNCHRONOUS && v != VDREP_SYNC_MODE_ASYNCHRONOUS)
		return usage_error(cmd, "--mode '%s' is not sync or async", arg);
	*out = (uint32_t)v;
	return 0;
}

/*
 * A clone's copy type: unsync-assoc or unsync-unassoc (or the seed's
 * UnSyncAssoc, UnSyncUnAssoc); mirrors' sync and async are not chosen so.
 */
static int parse_copy_type(const struct command *cmd, const char *arg, uint32_t *out)
{
	int v = enum_value(&copy_type_names, arg);

	if (v != VDREP_COPY_TYPE_UNSYNC_ASSOC && v != VDREP_COPY_TYPE_UNSYNC_UNASSOC)
		return usage_error(cmd, "--copy-type '%s' is not unsync-assoc or unsync-unassoc",
				   arg);
	*out = (uint32_t)v;
	return 0;
}

/* Seconds, fractions allowed: "30", "0.5". */
static int parse_seconds(const struct command *cmd, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(*out) || *out < 0)
		return usage_error(cmd, "--timeout '%s' is not a number of seconds", arg);
	/* A century is forever, and still fits a time_t. */
	if (*out > 3e9)
		*out = 3e9;
	return 0;
}

/*
 * Parse the options @cmd takes (@allowed, OPT_BIT()s) and leave the other
 * arguments in @o. "-h" prints the command's synopsis: returns -1 then, for
 * the handler to exit 0.
 */
static int parse_options(const struct command *cmd, int argc, char **argv,
			 unsigned int allowed, struct assoc_opts *o)
{
	int opt, err = 0;

	o->state = -1;
	o->timeout = -1;
	/*
	 * argv[-1] is the command's name, getopt's argv[0]. optind 0: start
	 * afresh after main()'s getopt. No '+': options may follow arguments.
	 */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, ":h", assoc_options, NULL)) != -1) {
		const char *arg = optarg;

		if (opt >= OPT_TYPE && !(allowed & OPT_BIT(opt)))
			return usage_error(cmd, "unexpected option '--%s'", option_name(opt));
		switch (opt) {
		case 'h':
			print_synopsis(stdout, "Usage: ", cmd);
			printf("%s\n", cmd->help);
			return -1;
		case ':':
			/* optopt: the option's value in assoc_options[] */
			return usage_error(cmd, "missing value after '--%s'", option_name(optopt));
		case '?':
			if (optopt)
				return usage_error(cmd, "unknown option '-%c'", optopt);
			/* argv[-1] is getopt's argv[0]: the word just read */
			return usage_error(cmd, "unknown option '%s'", argv[optind - 2]);
		case OPT_TYPE:
			err = parse_enum_opt(cmd, "type", &sync_type_names, arg, &o->req.type);
			o->req.has_type = true;
			break;
		case OPT_MODE:
			err = parse_mode(cmd, arg, &o->req.mode);
			o->req.has_mode = true;
			break;
		case OPT_COPY_TYPE:
			err = parse_copy_type(cmd, arg, &o->req.copy_type);
			o->req.has_copy_type = true;
			break;
		case OPT_PRIORITY:
			err = parse_enum_opt(cmd, "priority", &copy_priority_names, arg,
					     &o->req.priority);
			o->req.has_priority = true;
			break;
		case OPT_PREPARE_ONLY:
			o->req.prepare_only = true;
			break;
		case OPT_WRITABLE_VIEW:
			o->req.writable = true;
			break;
		case OPT_RATE:
			err = parse_size_opt(cmd, "rate", arg, &o->req.rate);
			o->req.has_rate = true;
			break;
		case OPT_BACKLOG:
			err = parse_size_opt(cmd, "backlog", arg, &o->req.backlog);
			o->req.has_backlog = true;
			break;
		case OPT_STATE:
			o->state = enum_value(&copy_state_names, arg);
			if (o->state < 0)
				err = usage_error(cmd, "--state '%s' is not a copy state", arg);
			break;
		case OPT_TIMEOUT:
			err = parse_seconds(cmd, arg, &o->timeout);
			break;
		case OPT_DESTROYED:
			o->destroyed = true;
			break;
		}
		if (err)
			return err;
	}
	/* Back to main()'s argv: getopt's index 1 is our 0. */
	o->argc = argc - (optind - 1);
	o->argv = argv + (optind - 1);
	return 0;
}

/* ASSOC and exactly @extra more arguments, after the options. */
static int take_args(const struct command *cmd, struct assoc_opts *o, int extra,
		     const char *extra_name)
{
	int err;

	if (o->argc < 1)
		return usage_error(cmd, "missing ASSOC (VOLUME/NAME)");
	err = parse_assoc(cmd, o->argv[0], &o->req.volume, &o->req.name);
	if (err)
		return err;
	if (o->argc < 1 + extra)
		return usage_error(cmd, "missing %s", extra_name);
	if (o->argc > 1 + extra)
		return usage_error(cmd, "unexpected argument '%s'", o->argv[1 + extra]);
	return 0;
}

/* A request whose reply is one association: printed as show prints it. */
static int request_one(struct assoc_req *r, const char *what)
{
	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	return vdrep_request(build_assoc, r, on_assoc, what);
}

/* ---------------------------------------------------------------- commands */

#define CREATE_OPTS	(OPT_BIT(OPT_TYPE) | OPT_BIT(OPT_MODE) | OPT_BIT(OPT_COPY_TYPE) | \
			 OPT_BIT(OPT_PRIORITY) | OPT_BIT(OPT_PREPARE_ONLY) | \
			 OPT_BIT(OPT_WRITABLE_VIEW) | OPT_BIT(OPT_RATE) | OPT_BIT(OPT_BACKLOG))
#define SET_OPTS	(OPT_BIT(OPT_PRIORITY) | OPT_BIT(OPT_WRITABLE_VIEW) | \
			 OPT_BIT(OPT_RATE) | OPT_BIT(OPT_BACKLOG))

/* assoc create ASSOC TARGET [options]: prints the new association. */
static int do_assoc_create(const struct command *cmd, int argc, char **argv)
{
	struct assoc_opts o = { .req.cmd = VDREP_CMD_ASSOC_CREATE };
	int err;

	err = parse_options(cmd, argc, argv, CREATE_OPTS, &o);
	if (err)
		return err < 0 ? EXIT_OK : err;
	err = take_args(cmd, &o, 1, "TARGET");
	if (err)
		return err;
	o.req.target = o.argv[1];
	return request_one(&o.req, "assoc create");
}

/* assoc destroy ASSOC */
static int do_assoc_destroy(const struct command *cmd, int argc, char **argv)
{
	struct assoc_opts o = { .req.cmd = VDREP_CMD_ASSOC_DESTROY };
	int err;

	err = parse_options(cmd, argc, argv, 0, &o);
	if (err)
		return err < 0 ? EXIT_OK : err;
	err = take_args(cmd, &o, 0, NULL);
	if (err)
		return err;
	return vdrep_request(build_assoc, &o.req, NULL, "assoc destroy");
}

/*
 * assoc show [VOLUME | ASSOC]: one association, those of a volume, or
 * every one. JSON is always an array.
 */
static int do_assoc_show(const struct command *cmd, int argc, char **argv)
{
	struct assoc_opts o = { .req.cmd = VDREP_CMD_ASSOC_GET };
	int err;

	err = parse_options(cmd, argc, argv, 0, &o);
	if (err)
		return err < 0 ? EXIT_OK : err;
	if (o.argc > 1)
		return usage_error(cmd, "unexpected argument '%s'", o.argv[1]);
	if (o.argc == 1) {
		if (strchr(o.argv[0], '/')) {
			err = parse_assoc(cmd, o.argv[0], &o.req.volume, &o.req.name);
			if (err)
				return err;
		} else {
			o.req.volume = o.argv[0];
		}
	}
	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	print_open_array(NULL);
	err = vdrep_request(build_assoc, &o.req, on_assoc, "assoc show");
	if (err == EXIT_OK)
		print_close_array();
	return err;
}

/* assoc set ASSOC options: assoc-modify without an operation. */
static int do_assoc_set(const struct command *cmd, int argc, char **argv)
{
	struct assoc_opts o = { .req.cmd = VDREP_CMD_ASSOC_MODIFY };
	const struct assoc_req *r = &o.req;
	int err;

	err = parse_options(cmd, argc, argv, SET_OPTS, &o);
	if (err)
		return err < 0 ? EXIT_OK : err;
	err = take_args(cmd, &o, 0, NULL);
	if (err)
		return err;
	if (!r->has_priority && !r->has_rate && !r->has_backlog && !r->writable)
		return usage_error(cmd, "nothing to set");
	return request_one(&o.req, "assoc set");
}

/* assoc OPERATION ASSOC: the operation is the command's name. */
static int do_assoc_operation(const struct command *cmd, int argc, char **argv)
{
	struct assoc_opts o = { .req.cmd = VDREP_CMD_ASSOC_MODIFY };
	char what[32];
	int err;

	err = parse_options(cmd, argc, argv, 0, &o);
	if (err)
		return err < 0 ? EXIT_OK : err;
	err = take_args(cmd, &o, 0, NULL);
	if (err)
		return err;
	o.req.operation = (uint32_t)enum_value(&operation_names, cmd->name);
	snprintf(what, sizeof(what), "assoc %s", cmd->name);
	return request_one(&o.req, what);
}

/* -------------------------------------------------------------------- wait */

/*
 * assoc wait ASSOC --state STATE [--timeout SECONDS]
 * assoc wait ASSOC --destroyed [--timeout SECONDS]
 *
 * Joins "events" before reading the state, so no change falls between the
 * two. A notification whose event-seq is at most the one of the state read
 * is older than that state and only continues the sequence. A gap in the
 * sequence (events of any object count) or a socket overrun means lost
 * events: the queued ones are dropped and the state read again.
 *
 * --destroyed waits for the association to be gone instead (an
 * unsync-unassoc clone removes itself once its copy is done): a destroy
 * notification, or a read that finds no such association (ENOENT), ends
 * it; so does the module's unload, which removes every association.
 */
struct waiter {
	struct vdrep_nl events, requests;
	const char *volume, *name;
	uint32_t want;		/* copy state */
	bool want_destroyed;	/* --destroyed: wait for it to be gone */
	uint64_t last_seq;	/* of the last notification; 0: none since a read */
	uint64_t state_seq;	/* event-seq of the state read, 0 if none */
	bool lost, destroyed, family_gone, bar_drawn;
	bool have_state;	/* a notification updated the state */
	uint32_t copy, requested, progress, percent;
};

/* The fields wait follows, from a reply or a notification. */
static bool take_state(struct waiter *w, struct nlattr **tb)
{
	if (!tb[VDREP_A_ASSOC_COPY_STATE])
		return false;
	w->copy = get_u32(tb, VDREP_A_ASSOC_COPY_STATE);
	/* Absent: no operation runs. */
	w->requested = tb[VDREP_A_ASSOC_REQUESTED_COPY_STATE] ?
		get_u32(tb, VDREP_A_ASSOC_REQUESTED_COPY_STATE) :
		VDREP_COPY_STATE_NOT_APPLICABLE;
	w->progress = get_u32(tb, VDREP_A_ASSOC_PROGRESS_STATUS);
	w->percent = get_u32(tb, VDREP_A_ASSOC_PERCENT_SYNCED);
	return true;
}

static const char *name_or_unknown(const struct enum_names *e, uint32_t value)
{
	const char *name = enum_name(e, value);

	return name ? name : "unknown";
}

/* "data/m1 [##########..........]  50% synchronizing", redrawn in place. */
static void draw_bar(struct waiter *w)
{
	enum { WIDTH = 30 };
	unsigned int percent = w->percent > 100 ? 100 : w->percent;
	unsigned int filled = percent * WIDTH / 100;
	char bar[WIDTH + 1];

	memset(bar, '#', filled);
	memset(bar + filled, '.', WIDTH - filled);
	bar[WIDTH] = '\0';
	fprintf(stderr, "\r%s/%s [%s] %3u%% %s\033[K", w->volume, w->name, bar, percent,
		name_or_unknown(&progress_status_names, w->progress));
	fflush(stderr);
	w->bar_drawn = true;
}

/* Wipe the bar: a message may follow, or a fresh bar. */
static void clear_bar(struct waiter *w)
{
	if (w->bar_drawn)
		fputs("\r\033[K", stderr);
	w->bar_drawn = false;
}

/* Leave the bar's line, with the last state on it, for good. */
static void end_bar(struct waiter *w)
{
	if (w->bar_drawn)
		fputc('\n', stderr);
	w->bar_drawn = false;
}

static int on_wait_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VDREP_A_ASSOC_MAX + 1];
	struct waiter *w = arg;

	if (assoc_parse(msg, tb))
		return NL_SKIP;
	if (!take_state(w, tb)) {
		fprintf(stderr, "%s: assoc wait: the kernel's reply has no copy-state\n",
			progname);
		return NL_SKIP;
	}
	w->have_state = true;
	w->state_seq = get_u64(tb, VDREP_A_ASSOC_EVENT_SEQ);
	return NL_OK;
}

/* Read the state afresh; the notifications so far are all older. */
static int read_state(struct waiter *w)
{
	struct assoc_req r = {
		.cmd = VDREP_CMD_ASSOC_GET, .volume = w->volume, .name = w->name,
	};
	struct nl_msg *req = build_assoc(&w->requests, &r);
	int err;

	if (!req) {
		fprintf(stderr, "%s: assoc wait: out of memory\n", progname);
		return -1;
	}
	w->have_state = false;
	w->last_seq = 0;	/* the next notification starts a new sequence */
	clear_bar(w);
	err = vdrep_nl_transact_quiet(&w->requests, req, on_wait_reply, w, "assoc wait",
				      w->want_destroyed ? ENOENT : 0);
	if (err == -ENOENT && w->want_destroyed) {
		w->destroyed = true;	/* no such association (or volume) */
		return 0;
	}
	if (err)
		return -1;
	return w->have_state ? 0 : -1;
}

enum wait_result { WAIT_MORE, WAIT_DONE, WAIT_FAILED };

static enum wait_result judge(struct waiter *w)
{
	if (w->want_destroyed) {
		if (w->destroyed) {
			end_bar(w);
			return WAIT_DONE;
		}
		/* Whatever its state: only its removal ends the wait. */
		if (isatty(STDERR_FILENO))
			draw_bar(w);
		return WAIT_MORE;
	}
	if (w->destroyed) {
		end_bar(w);
		fprintf(stderr, "%s: assoc wait: %s/%s was destroyed\n", progname,
			w->volume, w->name);
		return WAIT_FAILED;
	}
	if (isatty(STDERR_FILENO))
		draw_bar(w);
	if (w->requested != VDREP_COPY_STATE_NOT_APPLICABLE)
		return WAIT_MORE;
	if (w->copy == w->want) {
		end_bar(w);
		return WAIT_DONE;
	}
	/* Settled broken: only a resync leaves it, which is not ours to do. */
	if (w->copy == VDREP_COPY_STATE_BROKEN) {
		end_bar(w);
		fprintf(stderr, "%s: assoc wait: %s/%s is broken (%s), not %s\n", progname,
			w->volume, w->name,
			name_or_unknown(&progress_status_names, w->progress),
			name_or_unknown(&copy_state_names, w->want));
		return WAIT_FAILED;
	}
	return WAIT_MORE;
}

static int on_wait_event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *ghdr = nlmsg_data(nlh);
	struct nlattr *tb[VDREP_A_ASSOC_MAX + 1];
	struct waiter *w = arg;
	uint64_t seq = 0;
	int err;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	if (vdrep_nl_family_gone(msg)) {
		w->family_gone = true;
		return NL_STOP;
	}
	if (nlh->nlmsg_type != w->events.family)
		return NL_SKIP;
	switch (ghdr->cmd) {
	case VDREP_CMD_VOLUME_CREATE_NTF:
	case VDREP_CMD_VOLUME_CHANGE_NTF:
	case VDREP_CMD_VOLUME_DESTROY_NTF:
		/* Not ours, but part of the sequence. */
		err = volume_event_seq(msg, &seq);
		tb[VDREP_A_ASSOC_VOLUME] = NULL;
		break;
	case VDREP_CMD_ASSOC_CREATE_NTF:
	case VDREP_CMD_ASSOC_CHANGE_NTF:
	case VDREP_CMD_ASSOC_DESTROY_NTF:
		err = assoc_parse(msg, tb);
		if (!err)
			seq = get_u64(tb, VDREP_A_ASSOC_EVENT_SEQ);
		break;
	default:
		return NL_SKIP;	/* newer than this vdrepctl */
	}
	if (err)
		return NL_SKIP;

	if (seq && w->last_seq && seq != w->last_seq + 1) {
		w->lost = true;
		return NL_STOP;
	}
	if (seq)
		w->last_seq = seq;
	if (seq && seq <= w->state_seq)
		return NL_OK;	/* the state read already includes it */
	if (!tb[VDREP_A_ASSOC_VOLUME] ||
	    strcmp(nla_get_string(tb[VDREP_A_ASSOC_VOLUME]), w->volume) ||
	    strcmp(nla_get_string(tb[VDREP_A_ASSOC_NAME]), w->name))
		return NL_OK;

	if (ghdr->cmd == VDREP_CMD_ASSOC_DESTROY_NTF)
		w->destroyed = true;
	else if (!take_state(w, tb))
		w->lost = true;		/* no state in it: read it */
	return NL_STOP;			/* judge the new state */
}

/* Until the state is reached or the time is up: WAIT_MORE only on timeout. */
static enum wait_result wait_loop(struct waiter *w, struct nl_cb *cb,
				  const struct timespec *deadline)
{
	enum wait_result res = judge(w);

	while (res == WAIT_MORE) {
		struct pollfd pfd = {
			.fd = nl_socket_get_fd(w->events.sock), .events = POLLIN,
		};
		struct timespec now, left, *timeout = NULL;
		int err;

		if (deadline) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left.tv_sec = deadline->tv_sec - now.tv_sec;
			left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_sec--;
				left.tv_nsec += 1000000000;
			}
			if (left.tv_sec < 0)
				return WAIT_MORE;
			timeout = &left;
		}
		err = ppoll(&pfd, 1, timeout, NULL);
		if (err < 0 && errno != EINTR) {
			end_bar(w);
			fprintf(stderr, "%s: assoc wait: %s\n", progname, strerror(errno));
			return WAIT_FAILED;
		}
		if (err == 0)
			return WAIT_MORE;
		if (err < 0)
			continue;

		err = nl_recvmsgs(w->events.sock, cb);
		if (w->family_gone && w->want_destroyed) {
			/* The unload removed every association. */
			end_bar(w);
			return WAIT_DONE;
		}
		if (w->family_gone) {
			end_bar(w);
			fprintf(stderr, "%s: assoc wait: the vdrep module was unloaded\n",
				progname);
			return WAIT_FAILED;
		}
		/* -NLE_NOMEM is ENOBUFS: the kernel dropped notifications. */
		if (err == -NLE_NOMEM || w->lost) {
			w->lost = false;
			vdrep_nl_discard_queued(&w->events);
			if (read_state(w))
				return WAIT_FAILED;
		} else if (err < 0 && err != -NLE_AGAIN) {
			end_bar(w);
			fprintf(stderr, "%s: assoc wait: %s\n", progname, nl_geterror(err));
			return WAIT_FAILED;
		}
		res = judge(w);
	}
	return res;
}

static int do_assoc_wait(const struct command *cmd, int argc, char **argv)
{
	struct assoc_opts o = { 0 };
	struct waiter w = { 0 };
	struct timespec deadline;
	struct nl_cb *cb = NULL;
	enum wait_result res = WAIT_FAILED;
	int err;

	err = parse_options(cmd, argc, argv, OPT_BIT(OPT_STATE) | OPT_BIT(OPT_TIMEOUT) |
			    OPT_BIT(OPT_DESTROYED), &o);
	if (err)
		return err < 0 ? EXIT_OK : err;
	err = take_args(cmd, &o, 0, NULL);
	if (err)
		return err;
	if (o.state >= 0 && o.destroyed)
		return usage_error(cmd, "--state and --destroyed exclude each other");
	if (o.state < 0 && !o.destroyed)
		return usage_error(cmd, "missing --state STATE or --destroyed");
	w.volume = o.req.volume;
	w.name = o.req.name;
	w.want = o.destroyed ? 0 : (uint32_t)o.state;
	w.want_destroyed = o.destroyed;

	/* The clock starts now: opening and reading count against it. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (o.timeout >= 0) {
		/* Not negative: the cast rounds down. */
		time_t whole = (time_t)o.timeout;

		deadline.tv_sec += whole;
		deadline.tv_nsec += (long)((o.timeout - (double)whole) * 1e9);
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}

	/* Events first, then the state: nothing falls between. */
	if (vdrep_nl_open_events(&w.events, "assoc wait"))
		goto out;
	if (vdrep_nl_open(&w.requests))
		goto out;
	cb = vdrep_nl_events_cb(on_wait_event, &w);
	if (!cb) {
		fprintf(stderr, "%s: assoc wait: out of memory\n", progname);
		goto out;
	}
	if (read_state(&w))
		goto out;

	res = wait_loop(&w, cb, o.timeout >= 0 ? &deadline : NULL);
	if (res == WAIT_MORE) {
		end_bar(&w);
		fprintf(stderr, "%s: assoc wait: timed out waiting for %s/%s to be %s (it is %s, %s, %u%% synced)\n",
			progname, w.volume, w.name,
			w.want_destroyed ? "destroyed" :
			name_or_unknown(&copy_state_names, w.want),
			name_or_unknown(&copy_state_names, w.copy),
			name_or_unknown(&progress_status_names, w.progress), w.percent);
	}
out:
	end_bar(&w);
	if (cb)
		nl_cb_put(cb);
	if (w.events.sock)
		vdrep_nl_close(&w.events);
	if (w.requests.sock)
		vdrep_nl_close(&w.requests);
	return res == WAIT_DONE ? EXIT_OK : EXIT_FAILED;
}

#define OPERATION(op, text) \
	{ "assoc", op, "ASSOC", text, do_assoc_operation }

const struct command assoc_commands[] = {
	{ "assoc", "create",
	  "ASSOC TARGET [--type mirror|snapshot|clone] [--mode sync|async] "
	  "[--copy-type unsync-assoc|unsync-unassoc] "
	  "[--priority low|same|high|not-managed] [--prepare-only] [--writable-view] "
	  "[--rate SIZE] [--backlog SIZE]",
	  "associate block device TARGET with the volume: a mirror (default), a snapshot "
	  "(TARGET is its copy-on-write store) or a clone (filled in the background); "
	  "--mode, --backlog (async bound, 1M to 1G, default 16M): mirrors only; "
	  "--copy-type: clones only (unsync-unassoc: removed once copied); "
	  "--rate bytes/s (0 none)",
	  do_assoc_create },
	{ "assoc", "destroy", "ASSOC",
	  "remove the association at once and release its target",
	  do_assoc_destroy },
	{ "assoc", "show", "[VOLUME | ASSOC]",
	  "show one association, those of VOLUME, or every one",
	  do_assoc_show },
	{ "assoc", "set",
	  "ASSOC [--priority P] [--rate SIZE] [--backlog SIZE] [--writable-view]",
	  "change settings (a view made writable stays writable)",
	  do_assoc_set },
	{ "assoc", "wait", "ASSOC (--state STATE | --destroyed) [--timeout SECONDS]",
	  "wait until copy-state is STATE and no operation runs (exit 1 on timeout, broken, "
	  "destroyed), or with --destroyed until the association no longer exists",
	  do_assoc_wait },
	OPERATION("activate", "start the copy of a prepared association"),
	OPERATION("fracture", "stop mirroring, keep tracking changes; the target view appears"),
	OPERATION("split", "like fracture, after quiescing the volume (synchronized only)"),
	OPERATION("suspend", "pause mirroring or a clone's copy, keep tracking changes"),
	OPERATION("resume", "continue a suspended association"),
	OPERATION("resync", "copy the changed chunks to the target again "
		  "(snapshot, clone: a new point in time)"),
	OPERATION("restore", "copy the target's changed chunks back to the volume "
		  "(snapshot: the volume's image at its point in time)"),
	OPERATION("failover", "make the target the current copy"),
	OPERATION("failback", "return from failover, copying the changes back"),
	OPERATION("abort", "stop the running copy or restore"),
	OPERATION("detach", "remove the association (the destroy event follows)"),
};
const size_t assoc_command_count = ARRAY_SIZE(assoc_commands);

const char assoc_usage_notes[] =
	"ASSOC is VOLUME/NAME. STATE is a copy state: synchronized, fractured,\n"
	"split, suspended, failedover, aborted, broken, skewed, prepared, ...\n"
	"(or the seed's name, \"Synchronized\"). A snapshot or a clone ends its\n"
	"copy split. fracture, split, failover, failback do not apply to snapshots\n"
	"and clones, nor suspend, resume, abort to snapshots.\n";
