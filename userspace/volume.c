// SPDX-License-Identifier: GPL-2.0
/* vdrepctl volume create | destroy | show */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdrepctl.h"

static const char *nla_str(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_string(tb[type]) : "";
}

static uint64_t nla_u32_or0(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

/*
 * Print one volume message. show: "NAME: id N disk ..." (text) or an object;
 * monitor (@event set): "EVENT volume name:NAME id:N ..." or an object with
 * "event", "object" and "seq" members.
 */
int print_volume_msg(struct nl_msg *msg, const char *event)
{
	struct nlattr *tb[VDREP_A_VOLUME_MAX + 1];
	const char *meta;
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, VDREP_A_VOLUME_MAX, NULL);
	if (err < 0 || !tb[VDREP_A_VOLUME_NAME]) {
		fprintf(stderr, "%s: cannot parse a volume message\n", progname);
		return NL_SKIP;
	}

	print_object_begin();
	if (event) {
		print_text("%s volume", event);
		print_str("event", event);
		print_str("object", "volume");
		print_str("name", nla_str(tb, VDREP_A_VOLUME_NAME));
	} else {
		print_text("%s:", nla_str(tb, VDREP_A_VOLUME_NAME));
		if (opt_json)
			print_str("name", nla_str(tb, VDREP_A_VOLUME_NAME));
	}
	print_u64("id", nla_u32_or0(tb, VDREP_A_VOLUME_ID));
	print_str("disk", nla_str(tb, VDREP_A_VOLUME_DISK_NAME));
	print_str("source", nla_str(tb, VDREP_A_VOLUME_SOURCE_PATH));
	if (!event && !opt_json) {
		print_text(" (%u:%u)", (unsigned int)nla_u32_or0(tb, VDREP_A_VOLUME_SOURCE_MAJOR),
			   (unsigned int)nla_u32_or0(tb, VDREP_A_VOLUME_SOURCE_MINOR));
	} else {
		print_u64("source_major", nla_u32_or0(tb, VDREP_A_VOLUME_SOURCE_MAJOR));
		print_u64("source_minor", nla_u32_or0(tb, VDREP_A_VOLUME_SOURCE_MINOR));
	}
	print_u64("size", tb[VDREP_A_VOLUME_SIZE] ? nla_get_u64(tb[VDREP_A_VOLUME_SIZE]) : 0);
	print_u64("chunk_size", nla_u32_or0(tb, VDREP_A_VOLUME_CHUNK_SIZE));
	print_u64("logical_block_size", nla_u32_or0(tb, VDREP_A_VOLUME_LOGICAL_BLOCK_SIZE));
	print_u64("physical_block_size", nla_u32_or0(tb, VDREP_A_VOLUME_PHYSICAL_BLOCK_SIZE));
	print_u64("assocs", nla_u32_or0(tb, VDREP_A_VOLUME_ASSOC_COUNT));
	print_u64("openers", nla_u32_or0(tb, VDREP_A_VOLUME_OPEN_COUNT));
	meta = meta_state_name(nla_u32_or0(tb, VDREP_A_VOLUME_META_STATE));
	print_str("metadata", meta ? meta : "unknown");
	if (tb[VDREP_A_VOLUME_META_PATH])
		print_str("metadata_path", nla_str(tb, VDREP_A_VOLUME_META_PATH));
	if (event && tb[VDREP_A_VOLUME_EVENT_SEQ])
		print_u64("seq", nla_get_u64(tb[VDREP_A_VOLUME_EVENT_SEQ]));
	print_object_end();
	return NL_OK;
}

static int on_volume(struct nl_msg *msg, void *arg)
{
	(void)arg;
	return print_volume_msg(msg, NULL);
}

/* 4096, 64K, 64KiB, 1M (powers of 1024); the kernel judges the range. */
static int parse_size(const char *s, uint32_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-' || *s == '+')
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end || v > (UINT32_MAX >> shift))
		return -1;
	*out = (uint32_t)(v << shift);
	return 0;
}

/* volume create NAME source PATH [chunk-size SIZE] */
int cmd_volume_create(int argc, char **argv)
{
	const char *name = NULL, *source = NULL;
	uint32_t chunk_size = 0;
	bool have_chunk = false;
	struct vdrep_nl nl;
	struct nl_msg *req;
	int err;

	if (argc < 1)
		return usage_error("volume create: missing NAME");
	name = argv[0];
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage_error("volume create: missing value after %s", argv[i]);
		if (!strcmp(argv[i], "source")) {
			source = argv[i + 1];
		} else if (!strcmp(argv[i], "chunk-size")) {
			if (parse_size(argv[i + 1], &chunk_size))
				return usage_error("volume create: chunk-size %s is not a size (bytes, or with K or M)",
						   argv[i + 1]);
			have_chunk = true;
		} else {
			return usage_error("volume create: unknown option %s", argv[i]);
		}
	}
	if (!source)
		return usage_error("volume create: missing source PATH");

	if (vnl_open(&nl))
		return EXIT_FAILED;
	req = vnl_request(&nl, VDREP_CMD_VOLUME_CREATE, 0);
	if (!req || nla_put_string(req, VDREP_A_VOLUME_NAME, name) ||
	    nla_put_string(req, VDREP_A_VOLUME_SOURCE_PATH, source) ||
	    (have_chunk && nla_put_u32(req, VDREP_A_VOLUME_CHUNK_SIZE, chunk_size))) {
		fprintf(stderr, "%s: volume create: cannot build the request\n", progname);
		nlmsg_free(req);
		vnl_close(&nl);
		return EXIT_FAILED;
	}
	print_start(opt_json ? PRINT_JSON : PRINT_TEXT);
	err = vnl_transact(&nl, req, on_volume, NULL, "volume create");
	vnl_close(&nl);
	return err ? EXIT_FAILED : EXIT_OK;
}

/* volume destroy NAME */
int cmd_volume_destroy(int argc, char **argv)
{
	struct vdrep_nl nl;
	struct nl_msg *req;
	int err;

	if (argc < 1)
		return usage_error("volume destroy: missing NAME");
	if (argc > 1)
		return usage_error("volume destroy: unexpected argument %s", argv[1]);
	if (vnl_open(&nl))
		return EXIT_FAILED;
	req = vnl_request(&nl, VDREP_CMD_VOLUME_DESTROY, 0);
	if (!req || nla_put_string(req, VDREP_A_VOLUME_NAME, argv[0])) {
		nlmsg_free(req);
		vnl_close(&nl);
		return EXIT_FAILED;
	}
	err = vnl_transact(&nl, req, NULL, NULL, "volume destroy");
	vnl_close(&nl);
	return err ? EXIT_FAILED : EXIT_OK;
}

/* volume show [NAME]: without a name, every volume. JSON is always a list. */
int cmd_volume_show(int argc, char **argv)
{
	struct vdrep_nl nl;
	struct nl_msg *req;
	int err;

	if (argc > 1)
		return usage_error("volume show: unexpected argument %s", argv[1]);
	if (vnl_open(&nl))
		return EXIT_FAILED;
	req = vnl_request(&nl, VDREP_CMD_VOLUME_GET, argc ? 0 : NLM_F_DUMP);
	if (!req || (argc && nla_put_string(req, VDREP_A_VOLUME_NAME, argv[0]))) {
		nlmsg_free(req);
		vnl_close(&nl);
		return EXIT_FAILED;
	}
	print_start(opt_json ? PRINT_JSON : PRINT_TEXT);
	print_list_begin();
	err = vnl_transact(&nl, req, on_volume, NULL, "volume show");
	vnl_close(&nl);
	if (err)
		return EXIT_FAILED;
	print_list_end();
	return EXIT_OK;
}
