// SPDX-License-Identifier: GPL-2.0
/* vdrepctl volume create | destroy | stop | show */
#include <stdio.h>
#include <string.h>

#include <linux/vdrep.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "names.h"
#include "netlink.h"
#include "print.h"
#include "vdrepctl.h"

/* Types as the spec has them; libnl checks sizes, so nla_get_*() is safe. */
static struct nla_policy volume_policy[VDREP_A_VOLUME_MAX + 1] = {
	[VDREP_A_VOLUME_ID]			= { .type = NLA_U32 },
	[VDREP_A_VOLUME_NAME]			= { .type = NLA_STRING },
	[VDREP_A_VOLUME_DISK_NAME]		= { .type = NLA_STRING },
	[VDREP_A_VOLUME_SOURCE_PATH]		= { .type = NLA_STRING },
	[VDREP_A_VOLUME_SOURCE_MAJOR]		= { .type = NLA_U32 },
	[VDREP_A_VOLUME_SOURCE_MINOR]		= { .type = NLA_U32 },
	[VDREP_A_VOLUME_CHUNK_SIZE]		= { .type = NLA_U32 },
	[VDREP_A_VOLUME_SIZE]			= { .type = NLA_U64 },
	[VDREP_A_VOLUME_LOGICAL_BLOCK_SIZE]	= { .type = NLA_U32 },
	[VDREP_A_VOLUME_PHYSICAL_BLOCK_SIZE]	= { .type = NLA_U32 },
	[VDREP_A_VOLUME_ASSOC_COUNT]		= { .type = NLA_U32 },
	[VDREP_A_VOLUME_OPEN_COUNT]		= { .type = NLA_U32 },
	[VDREP_A_VOLUME_META_PATH]		= { .type = NLA_STRING },
	[VDREP_A_VOLUME_META_STATE]		= { .type = NLA_U32 },
	[VDREP_A_VOLUME_OLD_DATA_READS]		= { .type = NLA_U64 },
	[VDREP_A_VOLUME_EVENT_SEQ]		= { .type = NLA_U64 },
};

static int volume_parse(struct nl_msg *msg, struct nlattr **tb)
{
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VDREP_A_VOLUME_MAX, volume_policy) < 0 ||
	    !tb[VDREP_A_VOLUME_NAME]) {
		fprintf(stderr, "%s: ignoring a malformed volume message\n", progname);
		return -1;
	}
	return 0;
}

static const char *get_str(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_string(tb[type]) : "";
}

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

int volume_event_seq(struct nl_msg *msg, uint64_t *seq)
{
	struct nlattr *tb[VDREP_A_VOLUME_MAX + 1];

	if (volume_parse(msg, tb))
		return -1;
	*seq = get_u64(tb, VDREP_A_VOLUME_EVENT_SEQ);
	return 0;
}

/*
 * The fields of a volume, each printed once for text and JSON:
 *   show     NAME: id 0 disk vdrep0 source /dev/ram0 (1:0) size ... metadata transient
 *   monitor  EVENT volume name:NAME id:0 disk:vdrep0 source:/dev/ram0 size:... seq:N
 *   JSON     {"name":..., "id":..., ...}, plus "event", "object", "seq" for monitor
 *
 * old-data-reads (copy-on-write reads for snapshots and clones) is in JSON
 * and monitor lines always, in show's line once it is not 0: a volume that
 * never had a snapshot or clone shows the line it always did.
 */
int volume_print_msg(struct nl_msg *msg, const char *event)
{
	struct nlattr *tb[VDREP_A_VOLUME_MAX + 1];
	const char *name, *meta;
	uint32_t major, minor;
	uint64_t old_reads;

	if (volume_parse(msg, tb))
		return NL_SKIP;
	name = get_str(tb, VDREP_A_VOLUME_NAME);
	major = get_u32(tb, VDREP_A_VOLUME_SOURCE_MAJOR);
	minor = get_u32(tb, VDREP_A_VOLUME_SOURCE_MINOR);
	meta = enum_name(&meta_state_names, get_u32(tb, VDREP_A_VOLUME_META_STATE));

	print_open_object(NULL);
	if (event) {
		print_text("%s volume", event);
		print_string(PRINT_JSON, "event", event);
		print_string(PRINT_JSON, "object", "volume");
		if (tb[VDREP_A_VOLUME_EVENT_SEQ])
			print_uint(PRINT_JSON, "seq", get_u64(tb, VDREP_A_VOLUME_EVENT_SEQ));
		print_string(PRINT_ANY, "name", name);
	} else {
		print_text("%s:", name);
		print_string(PRINT_JSON, "name", name);
	}
	print_uint(PRINT_ANY, "id", get_u32(tb, VDREP_A_VOLUME_ID));
	print_string(PRINT_ANY, "disk", get_str(tb, VDREP_A_VOLUME_DISK_NAME));
	print_string(PRINT_ANY, "source", get_str(tb, VDREP_A_VOLUME_SOURCE_PATH));
	if (!event)
		print_text(" (%u:%u)", major, minor);
	print_uint(PRINT_ANY, "size", get_u64(tb, VDREP_A_VOLUME_SIZE));
	print_uint(PRINT_ANY, "chunk_size", get_u32(tb, VDREP_A_VOLUME_CHUNK_SIZE));
	print_uint(PRINT_ANY, "logical_block_size",
		   get_u32(tb, VDREP_A_VOLUME_LOGICAL_BLOCK_SIZE));
	print_uint(PRINT_ANY, "physical_block_size",
		   get_u32(tb, VDREP_A_VOLUME_PHYSICAL_BLOCK_SIZE));
	print_uint(PRINT_ANY, "assocs", get_u32(tb, VDREP_A_VOLUME_ASSOC_COUNT));
	print_uint(PRINT_ANY, "openers", get_u32(tb, VDREP_A_VOLUME_OPEN_COUNT));
	old_reads = get_u64(tb, VDREP_A_VOLUME_OLD_DATA_READS);
	print_uint(event || old_reads ? PRINT_ANY : PRINT_JSON, "old_data_reads", old_reads);
	print_string(PRINT_ANY, "metadata", meta ? meta : "unknown");
	if (tb[VDREP_A_VOLUME_META_PATH])
		print_string(PRINT_ANY, "metadata_path", get_str(tb, VDREP_A_VOLUME_META_PATH));
	/* show has them in "(1:0)" above */
	print_uint(event ? PRINT_ANY : PRINT_JSON, "source_major", major);
	print_uint(event ? PRINT_ANY : PRINT_JSON, "source_minor", minor);
	if (event && tb[VDREP_A_VOLUME_EVENT_SEQ])
		print_uint(PRINT_FP, "seq", get_u64(tb, VDREP_A_VOLUME_EVENT_SEQ));
	print_close_object();
	return NL_OK;
}

static int on_volume(struct nl_msg *msg, void *arg)
{
	(void)arg;
	return volume_print_msg(msg, NULL);
}

/* ------------------------------------------------------------------ create */

struct create_args {
	const char *name, *source, *meta;	/* meta: NULL for none */
	bool has_chunk_size;
	uint32_t chunk_size;
};

static struct nl_msg *build_create(struct vdrep_nl *nl, void *arg)
{
	const struct create_args *a = arg;
	struct nl_msg *req = vdrep_nl_request(nl, VDREP_CMD_VOLUME_CREATE, 0);

	if (req &&
	    (nla_put_string(req, VDREP_A_VOLUME_NAME, a->name) ||
	     nla_put_string(req, VDREP_A_VOLUME_SOURCE_PATH, a->source) ||
	     (a->meta && nla_put_string(req, VDREP_A_VOLUME_META_PATH, a->meta)) ||
	     (a->has_chunk_size &&
	      nla_put_u32(req, VDREP_A_VOLUME_CHUNK_SIZE, a->chunk_size)))) {
		nlmsg_free(req);
		return NULL;
	}
	return req;
}

/*
 * volume create NAME source PATH [chunk-size SIZE] [meta PATH]: prints the
 * new volume. The kernel formats the metadata device and judges its path.
 */
static int do_volume_create(const struct command *cmd, int argc, char **argv)
{
	struct keyword kw[] = {
		{ .name = "source", .value = "PATH", .required = true },
		{ .name = "chunk-size", .value = "SIZE" },
		{ .name = "meta", .value = "PATH" },
	};
	struct create_args a = { 0 };
	int err;

	if (argc < 1)
		return usage_error(cmd, "missing NAME");
	a.name = argv[0];
	err = parse_keywords(cmd, argc - 1, argv + 1, kw, ARRAY_SIZE(kw));
	if (err)
		return err;
	a.source = kw[0].arg;
	a.meta = kw[2].arg;
	if (kw[1].arg) {
		uint64_t size;

		if (parse_size(kw[1].arg, &size) || size > UINT32_MAX)
			return usage_error(cmd, "chunk-size '%s' is not a size (bytes, or a number with K, M or G)",
					   kw[1].arg);
		a.chunk_size = (uint32_t)size;
		a.has_chunk_size = true;
	}
	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	return vdrep_request(build_create, &a, on_volume, "volume create");
}

/* ------------------------------------------------------------ destroy, stop */

/* A request naming one volume: destroy or stop. */
struct by_name {
	int cmd;
	const char *name;
};

static struct nl_msg *build_by_name(struct vdrep_nl *nl, void *arg)
{
	const struct by_name *b = arg;
	struct nl_msg *req = vdrep_nl_request(nl, b->cmd, 0);

	if (req && nla_put_string(req, VDREP_A_VOLUME_NAME, b->name)) {
		nlmsg_free(req);
		return NULL;
	}
	return req;
}

static int request_by_name(const struct command *cmd, int argc, char **argv, int nl_cmd,
			   const char *what)
{
	struct by_name b = { nl_cmd, argc ? argv[0] : NULL };

	if (argc < 1)
		return usage_error(cmd, "missing NAME");
	if (argc > 1)
		return usage_error(cmd, "unexpected argument '%s'", argv[1]);
	return vdrep_request(build_by_name, &b, NULL, what);
}

/* volume destroy NAME */
static int do_volume_destroy(const struct command *cmd, int argc, char **argv)
{
	return request_by_name(cmd, argc, argv, VDREP_CMD_VOLUME_DESTROY, "volume destroy");
}

/* volume stop NAME */
static int do_volume_stop(const struct command *cmd, int argc, char **argv)
{
	return request_by_name(cmd, argc, argv, VDREP_CMD_VOLUME_STOP, "volume stop");
}

/* -------------------------------------------------------------------- show */

static struct nl_msg *build_show(struct vdrep_nl *nl, void *arg)
{
	const char *name = arg;
	struct nl_msg *req;

	req = vdrep_nl_request(nl, VDREP_CMD_VOLUME_GET, name ? 0 : NLM_F_DUMP);
	if (req && name && nla_put_string(req, VDREP_A_VOLUME_NAME, name)) {
		nlmsg_free(req);
		return NULL;
	}
	return req;
}

/* volume show [NAME]: without a name, every volume. JSON is always an array. */
static int do_volume_show(const struct command *cmd, int argc, char **argv)
{
	int ret;

	if (argc > 1)
		return usage_error(cmd, "unexpected argument '%s'", argv[1]);
	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	print_open_array(NULL);
	ret = vdrep_request(build_show, argc ? argv[0] : NULL, on_volume, "volume show");
	if (ret == EXIT_OK)
		print_close_array();
	return ret;
}

const struct command volume_commands[] = {
	{ "volume", "create", "NAME source PATH [chunk-size SIZE] [meta PATH]",
	  "create volume NAME on block device PATH; SIZE 4K to 1M (default 64K); meta: keep its state on that device, formatting it, or assemble the volume from it if it holds its metadata",
	  do_volume_create },
	{ "volume", "destroy", "NAME",
	  "destroy volume NAME (refused while it is open or has associations)",
	  do_volume_destroy },
	{ "volume", "stop", "NAME",
	  "stop volume NAME, keeping its associations on its metadata device for the next volume create (refused while it or a target view is open)",
	  do_volume_stop },
	{ "volume", "show", "[NAME]",
	  "show volume NAME, or every volume",
	  do_volume_show },
};
const size_t volume_command_count = ARRAY_SIZE(volume_commands);
