// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the checks of user-supplied values (kernel/validate.c)
 * against the admin guide: names ("1 to 31 bytes of A-Z a-z 0-9 _ . -, not
 * . or .."; the messages and errnos under Interface), the chunk size ("a
 * power of two from 4096 to 1048576 bytes"), a mirror's sync mode and
 * backlog limit ("1 MiB to 1 GiB", ERANGE) and a clone's copy type ("4 or
 * 5"). validate.c is compiled into this module.
 */
#include "../validate.c"

#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/string.h>

/* The messages, errnos and alphabet of the admin guide. */
struct doc_names {
	const char *kind;
	enum vdrep_name_kind nk;
	const char *empty, *too_long, *bad_char, *dots;
};

static const struct doc_names doc_names[] = {
	{ "volume", VDREP_NAME_VOLUME,
	  "volume name is empty", "volume name is longer than 31 bytes",
	  "volume name may only contain A-Z a-z 0-9 _ . -", "volume name may not be . or .." },
	{ "association", VDREP_NAME_ASSOC,
	  "association name is empty", "association name is longer than 31 bytes",
	  "association name may only contain A-Z a-z 0-9 _ . -",
	  "association name may not be . or .." },
};

#define DOC_NAME_MAX	31
#define DOC_ALPHABET	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

static void doc_names_desc(const struct doc_names *d, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s names", d->kind);
}

KUNIT_ARRAY_PARAM(doc_names, doc_names, doc_names_desc);

/*
 * Check @len bytes at @src as a name, from a buffer of exactly that size
 * (KASAN catches a read past it) holding no terminating NUL.
 */
static const char *check_bytes(struct kunit *test, const struct doc_names *d,
			       const char *src, size_t len, int *err)
{
	char *buf = kunit_kmalloc(test, len ?: 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, src, len);
	*err = 1;
	return vdrep_check_name(d->nk, buf, len, err);
}

/* Whether the name is accepted, or refused with @want and @want_err. */
static bool expect_name(struct kunit *test, const struct doc_names *d, const char *src,
			size_t len, const char *want, int want_err, const char *what)
{
	int err;
	const char *got = check_bytes(test, d, src, len, &err);

	if (!want) {
		KUNIT_EXPECT_TRUE_MSG(test, !got, "%s %s (%zu bytes): refused: %s",
				      d->kind, what, len, got);
		return !got;
	}
	KUNIT_EXPECT_TRUE_MSG(test, got && !strcmp(got, want),
			      "%s %s (%zu bytes): got \"%s\", documented \"%s\"",
			      d->kind, what, len, got ?: "(accepted)", want);
	KUNIT_EXPECT_EQ_MSG(test, err, want_err, "%s %s (%zu bytes): errno",
			    d->kind, what, len);
	return got && !strcmp(got, want) && err == want_err;
}

/* Lengths 0, 1, the most, one more, and far more. */
static void name_lengths(struct kunit *test)
{
	const struct doc_names *d = test->param_value;
	char *buf = kunit_kmalloc(test, 4096, GFP_KERNEL);
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 'a', 4096);
	expect_name(test, d, buf, 0, d->empty, -EINVAL, "empty");
	for (len = 1; len <= DOC_NAME_MAX; len++)
		if (!expect_name(test, d, buf, len, NULL, 0, "of a"))
			break;	/* one failure tells; more would flood the log */
	expect_name(test, d, buf, DOC_NAME_MAX + 1, d->too_long, -ENAMETOOLONG, "of a");
	expect_name(test, d, buf, DOC_NAME_MAX + 2, d->too_long, -ENAMETOOLONG, "of a");
	expect_name(test, d, buf, 255, d->too_long, -ENAMETOOLONG, "of a");
	expect_name(test, d, buf, 4096, d->too_long, -ENAMETOOLONG, "of a");
	/* The longest name: every byte of it is checked. */
	buf[DOC_NAME_MAX - 1] = '/';
	expect_name(test, d, buf, DOC_NAME_MAX, d->bad_char, -EINVAL, "ending in /");
	buf[DOC_NAME_MAX - 1] = 'a';
	buf[0] = ' ';
	expect_name(test, d, buf, DOC_NAME_MAX, d->bad_char, -EINVAL, "starting with a space");
}

/* Every byte value, alone, first, inside and last in a name. */
static void name_chars(struct kunit *test)
{
	const struct doc_names *d = test->param_value;
	char name[DOC_NAME_MAX];
	unsigned int c;

	for (c = 0; c < 256; c++) {
		bool allowed = c && strchr(DOC_ALPHABET, c);
		const char *want = allowed ? NULL : d->bad_char;
		int want_err = allowed ? 0 : -EINVAL;
		bool good = true;
		char what[32];

		snprintf(what, sizeof(what), "with byte 0x%02x", c);
		memset(name, 'x', sizeof(name));
		name[0] = c;
		/* "." alone is one of the two forbidden names. */
		if (c == '.')
			good &= expect_name(test, d, name, 1, d->dots, -EINVAL, what);
		else
			good &= expect_name(test, d, name, 1, want, want_err, what);
		good &= expect_name(test, d, name, 3, want, want_err, what);
		good &= expect_name(test, d, name, DOC_NAME_MAX, want, want_err, what);
		name[0] = 'x';
		name[1] = c;
		good &= expect_name(test, d, name, 3, want, want_err, what);
		name[1] = 'x';
		name[DOC_NAME_MAX - 1] = c;
		good &= expect_name(test, d, name, DOC_NAME_MAX, want, want_err, what);
		if (!good)
			return;	/* the first byte that fails: more would flood the log */
	}
}

/* "not . or ..": only those two. */
static void name_dots(struct kunit *test)
{
	const struct doc_names *d = test->param_value;
	static const char *const fine[] = { "...", ".a", "a.", "..a", "a..", ".-", "._.", "a.b" };
	size_t i;

	expect_name(test, d, ".", 1, d->dots, -EINVAL, "\".\"");
	expect_name(test, d, "..", 2, d->dots, -EINVAL, "\"..\"");
	expect_name(test, d, ". ", 2, d->bad_char, -EINVAL, "\". \"");
	expect_name(test, d, "./", 2, d->bad_char, -EINVAL, "\"./\"");
	expect_name(test, d, "../a", 4, d->bad_char, -EINVAL, "\"../a\"");
	for (i = 0; i < ARRAY_SIZE(fine); i++)
		expect_name(test, d, fine[i], strlen(fine[i]), NULL, 0, fine[i]);
}

/*
 * As netlink.c calls it: the attribute's payload (nla_data, nla_len) is
 * checked up to its first NUL, strnlen(data, nla_len); the policy
 * (NLA_NUL_STRING) refuses a payload without one before, but the check
 * itself never reads past the payload.
 */
static void name_unterminated(struct kunit *test)
{
	const struct doc_names *d = test->param_value;
	static const struct {
		const char *payload;
		size_t nla_len;
		int verdict;	/* 0 ok, 1 empty, 2 too long, 3 bad char */
	} cases[] = {
		{ "abc", 4, 0 },		/* terminated */
		{ "abc", 3, 0 },		/* not terminated */
		{ "ab\0cd", 6, 0 },		/* what follows the NUL is not the name */
		{ "\0abc", 5, 1 },
		{ "", 1, 1 },
		{ "a/b", 4, 3 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 31, 0 },	/* 31, no NUL */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32, 0 },	/* 31 and the NUL */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32, 2 },	/* 32, no NUL */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33, 2 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *data = kunit_kmalloc(test, cases[i].nla_len, GFP_KERNEL);
		const char *want = NULL, *got;
		int want_err = 0, err = 1;

		KUNIT_ASSERT_NOT_NULL(test, data);
		memcpy(data, cases[i].payload, cases[i].nla_len);
		switch (cases[i].verdict) {
		case 1:
			want = d->empty;
			want_err = -EINVAL;
			break;
		case 2:
			want = d->too_long;
			want_err = -ENAMETOOLONG;
			break;
		case 3:
			want = d->bad_char;
			want_err = -EINVAL;
			break;
		}
		got = vdrep_check_name(d->nk, data, strnlen(data, cases[i].nla_len), &err);
		if (!want) {
			KUNIT_EXPECT_TRUE_MSG(test, !got, "payload %zu: refused: %s", i, got);
			continue;
		}
		KUNIT_EXPECT_TRUE_MSG(test, got && !strcmp(got, want),
				      "payload %zu: got \"%s\", documented \"%s\"", i,
				      got ?: "(accepted)", want);
		KUNIT_EXPECT_EQ_MSG(test, err, want_err, "payload %zu: errno", i);
	}
}

/* ------------------------------------------------------------ chunk size */

#define DOC_CHUNK_SIZE	"chunk size must be a power of two from 4096 to 1048576 bytes"

static void expect_refused(struct kunit *test, const char *got, const char *want,
			   const char *what, u64 v)
{
	KUNIT_EXPECT_TRUE_MSG(test, got && !strcmp(got, want),
			      "%s %llu: got \"%s\", documented \"%s\"", what, v,
			      got ?: "(accepted)", want);
}

static void chunk_size_powers(struct kunit *test)
{
	unsigned int shift;

	for (shift = 0; shift < 32; shift++) {
		u32 size = 1U << shift;

		if (size >= 4096 && size <= 1048576)
			KUNIT_EXPECT_NULL_MSG(test, vdrep_check_chunk_size(size),
					      "chunk size %u", size);
		else
			expect_refused(test, vdrep_check_chunk_size(size), DOC_CHUNK_SIZE,
				       "chunk size", size);
	}
}

static void chunk_size_others(struct kunit *test)
{
	static const u32 bad[] = {
		0, 3, 4095, 4097, 6144, 12288, 65535, 65537, 98304, 1048575, 1048577,
		1572864, 3 << 20, 0x80000001, U32_MAX,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(test, vdrep_check_chunk_size(bad[i]), DOC_CHUNK_SIZE,
			       "chunk size", bad[i]);
}

/* ---------------------------------------------- assoc-create's settings */

static void validate_sync_mode(struct kunit *test)
{
	static const char *const doc = "sync mode must be synchronous (2) or asynchronous (3)";
	static const u32 bad[] = { 0, 1, 4, 5, 6, 0x8000, U32_MAX };
	size_t i;

	KUNIT_EXPECT_NULL(test, vdrep_check_sync_mode(2));
	KUNIT_EXPECT_NULL(test, vdrep_check_sync_mode(3));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(test, vdrep_check_sync_mode(bad[i]), doc, "sync mode", bad[i]);
}

static void validate_backlog_limit(struct kunit *test)
{
	static const char *const doc = "backlog limit must be between 1 MiB and 1 GiB";
	static const u64 good[] = { 1ULL << 20, (1ULL << 20) + 1, 16ULL << 20,
				    (1ULL << 30) - 1, 1ULL << 30 };
	static const u64 bad[] = { 0, 1, 4096, (1ULL << 20) - 1, (1ULL << 30) + 1,
				   1ULL << 31, 1ULL << 32, U64_MAX };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_NULL_MSG(test, vdrep_check_backlog_limit(good[i]),
				      "backlog %llu", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(test, vdrep_check_backlog_limit(bad[i]), doc, "backlog", bad[i]);
}

static void validate_copy_type(struct kunit *test)
{
	static const char *const doc =
		"a clone's copy type is unsync-assoc (4) or unsync-unassoc (5)";
	static const u32 bad[] = { 0, 1, 2, 3, 6, 0x8000, U32_MAX };
	size_t i;

	KUNIT_EXPECT_NULL(test, vdrep_check_copy_type(4));
	KUNIT_EXPECT_NULL(test, vdrep_check_copy_type(5));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(test, vdrep_check_copy_type(bad[i]), doc, "copy type", bad[i]);
}

static struct kunit_case vdrep_validate_cases[] = {
	KUNIT_CASE_PARAM(name_lengths, doc_names_gen_params),
	KUNIT_CASE_PARAM(name_chars, doc_names_gen_params),
	KUNIT_CASE_PARAM(name_dots, doc_names_gen_params),
	KUNIT_CASE_PARAM(name_unterminated, doc_names_gen_params),
	KUNIT_CASE(chunk_size_powers),
	KUNIT_CASE(chunk_size_others),
	KUNIT_CASE(validate_sync_mode),
	KUNIT_CASE(validate_backlog_limit),
	KUNIT_CASE(validate_copy_type),
	{}
};

static struct kunit_suite vdrep_validate_suite = {
	.name = "vdrep_validate",
	.test_cases = vdrep_validate_cases,
};

kunit_test_suites(&vdrep_validate_suite);
