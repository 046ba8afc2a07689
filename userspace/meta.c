// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl meta dump | check | wipe: offline tools for a metadata device, or
 * an image of one in a regular file, in the format of
 * uapi/linux/vdrep_meta.h (Documentation/admin-guide/metadata-format.rst).
 *
 * They read with pread and need neither netlink nor the module, so a device
 * can be examined where vdrep is not loaded. On a block device they read
 * with O_DIRECT: the kernel writes the metadata with bios, past the page
 * cache, and a cached copy of an older generation must not be what is
 * shown. dump and check only read (also while a volume holds the device);
 * wipe opens the device exclusively, so it is refused while one does.
 *
 * The current copy is the header's: of the copies with the magic, version 1
 * and a valid checksum ("intact"), the one with the higher generation. Its
 * fields are then checked. A wrong field in an intact copy is a writer's
 * bug, not a torn write, so it makes the metadata inconsistent instead of
 * sending the reader to the other, older copy.
 */
#define _GNU_SOURCE	/* O_DIRECT, vasprintf, open_memstream */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>		/* BLKGETSIZE64 */
#include <linux/vdrep.h>
#include <linux/vdrep_meta.h>

#include "crc32c.h"
#include "names.h"
#include "print.h"
#include "vdrepctl.h"

_Static_assert(sizeof(struct vdrep_meta_assoc) == 256, "a record is 256 bytes");
_Static_assert(sizeof(struct vdrep_meta_sb) == VDREP_META_SB_BYTES,
	       "a superblock copy is VDREP_META_SB_BYTES");
_Static_assert(offsetof(struct vdrep_meta_sb, assocs) == 1024, "records start at 1024");

#define NR_RECORDS	((int)ARRAY_SIZE(((struct vdrep_meta_sb *)0)->assocs))
/* Both superblock copies: the least a device must hold, and what wipe zeroes. */
#define SB_AREA		(2 * VDREP_META_SB_BYTES)
/* Map bytes read at a time; a multiple of VDREP_META_ALIGN, for O_DIRECT. */
#define MAP_PIECE	(1024 * 1024)
/*
 * More chunks than any device has (2^64 bytes in 4 KiB chunks): below it,
 * VDREP_META_MAP_BYTES() and VDREP_META_MIN_BYTES() cannot overflow.
 */
#define NR_CHUNKS_LIMIT	(1ULL << 52)

enum copy_status {
	COPY_VALID,
	COPY_NO_MAGIC,
	COPY_UNKNOWN_VERSION,
	COPY_BAD_CSUM,
	COPY_BAD_FIELD,		/* intact, but a field is wrong */
};

/* As dump prints them, in text and JSON. */
static const char *const copy_status_names[] = {
	[COPY_VALID]		= "valid",
	[COPY_NO_MAGIC]		= "no-magic",
	[COPY_UNKNOWN_VERSION]	= "unknown-version",
	[COPY_BAD_CSUM]		= "bad-checksum",
	[COPY_BAD_FIELD]	= "bad-field",
};

struct meta_copy {
	struct vdrep_meta_sb sb;
	enum copy_status status;
	const char *bad_field;	/* COPY_BAD_FIELD: the first wrong one */
};

struct meta_dev {
	const char *path;
	const char *what;	/* "meta dump", for messages */
	int fd;
	bool direct;		/* O_DIRECT: aligned buffer, offsets and lengths */
	uint64_t size;		/* bytes */
	unsigned char *buf;	/* MAP_PIECE bytes, aligned for O_DIRECT */
	struct meta_copy copy[2];
	int current;		/* the current copy, -1 if none is intact */
};

/* What check found: problems make the metadata inconsistent, notes do not. */
struct finding {
	bool problem;
	char *text;
};

struct findings {
	struct finding *v;
	size_t n, cap;
	unsigned int problems;
};

static void __attribute__((noreturn)) out_of_memory(const char *what)
{
	fprintf(stderr, "%s: %s: out of memory\n", progname, what);
	exit(EXIT_FAILED);
}

/* Record a finding; @f NULL: the caller wants only the verdict (dump). */
static void report(struct findings *f, bool problem, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(struct findings *f, bool problem, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int ret;

	if (!f)
		return;
	va_start(ap, fmt);
	ret = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (ret < 0)
		out_of_memory("meta check");
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct finding *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			out_of_memory("meta check");
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].problem = problem;
	f->v[f->n].text = text;
	f->n++;
	if (problem)
		f->problems++;
}

static void findings_free(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].text);
	free(f->v);
}

/* ---------------------------------------------------------------- device */

/* Read @len bytes at @pos into d->buf. Prints why and returns -1 on failure. */
static int meta_read(struct meta_dev *d, uint64_t pos, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(d->fd, d->buf + done, len - done, (off_t)(pos + done));

		if (n < 0 && errno == EINTR)
			continue;
		/* A device whose blocks O_DIRECT cannot address: the page cache then. */
		if (n < 0 && errno == EINVAL && d->direct) {
			int fl = fcntl(d->fd, F_GETFL);

			if (fl >= 0 && !fcntl(d->fd, F_SETFL, fl & ~O_DIRECT)) {
				d->direct = false;
				continue;
			}
		}
		if (n < 0) {
			fprintf(stderr, "%s: %s: cannot read %s at byte %llu: %s\n", progname,
				d->what, d->path, (unsigned long long)(pos + done),
				strerror(errno));
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "%s: %s: %s ends at byte %llu, before the %zu bytes at %llu\n",
				progname, d->what, d->path, (unsigned long long)(pos + done),
				len, (unsigned long long)pos);
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int meta_write(struct meta_dev *d, uint64_t pos, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(d->fd, d->buf + done, len - done, (off_t)(pos + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: %s: cannot write %s at byte %llu: %s\n", progname,
				d->what, d->path, (unsigned long long)(pos + done),
				n < 0 ? strerror(errno) : "nothing written");
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * Open @path (a block device or a regular file) with @flags and learn its
 * size; it must hold both superblock copies. Prints why and returns -1 on
 * failure.
 */
static int meta_open(struct meta_dev *d, const char *path, const char *what, int flags)
{
	struct stat st;
	void *buf;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->what = what;
	d->current = -1;
	d->fd = open(path, flags | O_CLOEXEC);
	if (d->fd < 0) {
		if (errno == EBUSY && (flags & O_EXCL))
			fprintf(stderr, "%s: %s: %s is in use (held by a running volume or mounted)\n",
				progname, what, path);
		else
			fprintf(stderr, "%s: %s: cannot open %s: %s\n", progname, what, path,
				strerror(errno));
		return -1;
	}
	if (fstat(d->fd, &st)) {
		fprintf(stderr, "%s: %s: cannot stat %s: %s\n", progname, what, path,
			strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		int fl = fcntl(d->fd, F_GETFL);

		if (ioctl(d->fd, BLKGETSIZE64, &d->size)) {
			fprintf(stderr, "%s: %s: cannot get the size of %s: %s\n", progname,
				what, path, strerror(errno));
			return -1;
		}
		d->direct = fl >= 0 && !fcntl(d->fd, F_SETFL, fl | O_DIRECT);
	} else if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
	} else {
		fprintf(stderr, "%s: %s: %s is neither a block device nor a regular file\n",
			progname, what, path);
		return -1;
	}
	if (d->size < SB_AREA) {
		fprintf(stderr, "%s: %s: %s is too small to hold two superblock copies (%llu bytes, %u needed)\n",
			progname, what, path, (unsigned long long)d->size, SB_AREA);
		return -1;
	}
	if (posix_memalign(&buf, VDREP_META_ALIGN, MAP_PIECE))
		out_of_memory(what);
	d->buf = buf;
	return 0;
}

static void meta_close(struct meta_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->buf);
}

/* ------------------------------------------------------------- superblock */

static uint64_t sb_generation(const struct vdrep_meta_sb *sb)
{
	return le64toh(sb->generation);
}

/* @s (@size bytes): 1 to 31 bytes of A-Z a-z 0-9 _ . - and a NUL, not . or .. */
static bool name_valid(const uint8_t *s, size_t size)
{
	size_t len = strnlen((const char *)s, size);

	if (len == 0 || len == size || len > VDREP_NAME_MAX_LEN)
		return false;
	if (!strcmp((const char *)s, ".") || !strcmp((const char *)s, ".."))
		return false;
	return strspn((const char *)s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789_.-") == len;
}

/* @s (@size bytes): not empty and NUL-terminated. */
static bool path_valid(const uint8_t *s, size_t size)
{
	size_t len = strnlen((const char *)s, size);

	return len > 0 && len < size;
}

static bool chunk_size_valid(uint32_t chunk)
{
	return chunk >= VDREP_CHUNK_SIZE_MIN && chunk <= VDREP_CHUNK_SIZE_MAX &&
	       !(chunk & (chunk - 1));
}

/* Chunks of @chunk bytes (valid) that cover @sectors: ceil(sectors * 512 / chunk). */
static uint64_t chunks_for(uint64_t sectors, uint32_t chunk)
{
	uint64_t per = chunk / 512;

	return sectors / per + (sectors % per != 0);
}

/* Where and how large the maps are is sound: they can be read. */
static bool layout_sound(const struct meta_dev *d, const struct vdrep_meta_sb *sb)
{
	uint64_t nr = le64toh(sb->nr_chunks);

	return le64toh(sb->bitmap_offset) == VDREP_META_BITMAP_OFFSET &&
	       nr <= NR_CHUNKS_LIMIT &&
	       le64toh(sb->bitmap_bytes) == VDREP_META_MAP_BYTES(nr) &&
	       d->size >= VDREP_META_MIN_BYTES(nr);
}

/* A wrong field of copy @c: the first one names the copy's status. */
static void bad_field(const char **bad, struct findings *f, int c, const char *field,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void bad_field(const char **bad, struct findings *f, int c, const char *field,
		      const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!*bad)
		*bad = field;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report(f, true, "copy %d: %s", c, text);
}

/*
 * The field checks of an intact copy @c. Returns the first wrong field's
 * name, NULL if none; reports each as a problem in @f (if not NULL).
 */
static const char *sb_check(const struct meta_dev *d, int c, struct findings *f)
{
	const struct vdrep_meta_sb *sb = &d->copy[c].sb;
	uint32_t sb_bytes = le32toh(sb->sb_bytes), chunk = le32toh(sb->chunk_size);
	uint32_t flags = le32toh(sb->flags), max = le32toh(sb->max_assocs);
	uint64_t gen = sb_generation(sb), sectors = le64toh(sb->source_sectors);
	uint64_t nr = le64toh(sb->nr_chunks), off = le64toh(sb->bitmap_offset);
	uint64_t bytes = le64toh(sb->bitmap_bytes);
	const char *bad = NULL;

	if (gen % 2 != (uint64_t)c)
		bad_field(&bad, f, c, "generation",
			  "generation %llu belongs in copy %llu (generation %% 2)",
			  (unsigned long long)gen, (unsigned long long)(gen % 2));
	if (sb_bytes != VDREP_META_SB_BYTES)
		bad_field(&bad, f, c, "sb_bytes", "sb_bytes is %u, not %u",
			  sb_bytes, VDREP_META_SB_BYTES);
	if (off != VDREP_META_BITMAP_OFFSET)
		bad_field(&bad, f, c, "bitmap_offset", "bitmap_offset is %llu, not %u",
			  (unsigned long long)off, VDREP_META_BITMAP_OFFSET);
	if (!chunk_size_valid(chunk))
		bad_field(&bad, f, c, "chunk_size",
			  "chunk_size %u is not a power of two from %u to %u",
			  chunk, VDREP_CHUNK_SIZE_MIN, VDREP_CHUNK_SIZE_MAX);
	if (!sectors)
		bad_field(&bad, f, c, "source_sectors", "source_sectors is 0 (an empty source)");
	if (chunk_size_valid(chunk) && sectors && nr != chunks_for(sectors, chunk))
		bad_field(&bad, f, c, "nr_chunks",
			  "nr_chunks is %llu, but %llu sectors in chunks of %u bytes make %llu",
			  (unsigned long long)nr, (unsigned long long)sectors, chunk,
			  (unsigned long long)chunks_for(sectors, chunk));
	else if (nr > NR_CHUNKS_LIMIT)
		bad_field(&bad, f, c, "nr_chunks", "nr_chunks %llu is more than any device has",
			  (unsigned long long)nr);
	if (nr <= NR_CHUNKS_LIMIT && bytes != VDREP_META_MAP_BYTES(nr))
		bad_field(&bad, f, c, "bitmap_bytes", "bitmap_bytes is %llu, not %llu for %llu chunks",
			  (unsigned long long)bytes,
			  (unsigned long long)VDREP_META_MAP_BYTES(nr),
			  (unsigned long long)nr);
	if (nr <= NR_CHUNKS_LIMIT && d->size < VDREP_META_MIN_BYTES(nr))
		bad_field(&bad, f, c, "device_size",
			  "%s holds %llu bytes, fewer than the %llu that the maps of %llu chunks need",
			  d->path, (unsigned long long)d->size,
			  (unsigned long long)VDREP_META_MIN_BYTES(nr), (unsigned long long)nr);
	if (max != VDREP_MAX_ASSOCS)
		bad_field(&bad, f, c, "max_assocs", "max_assocs is %u, not %u",
			  max, VDREP_MAX_ASSOCS);
	if (flags & ~VDREP_META_SB_FLAGS)
		bad_field(&bad, f, c, "flags", "flags 0x%x has unknown bits 0x%x",
			  flags, flags & ~VDREP_META_SB_FLAGS);
	if (!name_valid(sb->name, sizeof(sb->name)))
		bad_field(&bad, f, c, "name",
			  "name is not 1 to 31 bytes of A-Z a-z 0-9 _ . - (nor . or ..) ending in a NUL");
	if (!path_valid(sb->source_path, sizeof(sb->source_path)))
		bad_field(&bad, f, c, "source_path", "source_path is empty or has no NUL");
	return bad;
}

/* Magic, version, checksum, fields: the first that fails is the status. */
static void copy_evaluate(struct meta_dev *d, int c)
{
	struct meta_copy *m = &d->copy[c];
	uint32_t csum = crc32c(VDREP_META_CRC_SEED, (const uint8_t *)&m->sb + 4,
			       VDREP_META_SB_BYTES - 4);

	/*
	 * The version before the checksum: a reader does not know where a
	 * version it does not know keeps its checksum, or what it covers.
	 */
	if (memcmp(m->sb.magic, VDREP_META_MAGIC, sizeof(m->sb.magic)))
		m->status = COPY_NO_MAGIC;
	else if (le32toh(m->sb.version) != VDREP_META_VERSION)
		m->status = COPY_UNKNOWN_VERSION;
	else if (le32toh(m->sb.csum) != csum)
		m->status = COPY_BAD_CSUM;
	else
		m->status = COPY_VALID;
	if (m->status == COPY_VALID) {
		m->bad_field = sb_check(d, c, NULL);
		if (m->bad_field)
			m->status = COPY_BAD_FIELD;
	}
}

static bool copy_intact(const struct meta_copy *m)
{
	return m->status == COPY_VALID || m->status == COPY_BAD_FIELD;
}

/* Read and judge both copies, and pick the current one. */
static int meta_load(struct meta_dev *d)
{
	for (int c = 0; c < 2; c++) {
		if (meta_read(d, (uint64_t)c * VDREP_META_SB_BYTES, VDREP_META_SB_BYTES))
			return -1;
		memcpy(&d->copy[c].sb, d->buf, VDREP_META_SB_BYTES);
		copy_evaluate(d, c);
	}
	d->current = -1;
	for (int c = 0; c < 2; c++) {
		const struct meta_copy *m = &d->copy[c];
		uint64_t gen = sb_generation(&m->sb), cur;

		if (!copy_intact(m))
			continue;
		if (d->current < 0) {
			d->current = c;
			continue;
		}
		cur = sb_generation(&d->copy[d->current].sb);
		/* A tie is itself wrong; the copy the generation belongs in wins. */
		if (gen > cur || (gen == cur && gen % 2 == (uint64_t)c))
			d->current = c;
	}
	return 0;
}

static bool meta_has_magic(const struct meta_dev *d)
{
	return d->copy[0].status != COPY_NO_MAGIC || d->copy[1].status != COPY_NO_MAGIC;
}

/* The status of copy @m in words, for check's lines. */
static void copy_status_text(const struct meta_copy *m, char *buf, size_t len)
{
	switch (m->status) {
	case COPY_VALID:
		snprintf(buf, len, "valid");
		break;
	case COPY_NO_MAGIC:
		snprintf(buf, len, "no magic (never written, or overwritten)");
		break;
	case COPY_UNKNOWN_VERSION:
		snprintf(buf, len, "unknown version %u (this vdrepctl reads version %u)",
			 le32toh(m->sb.version), VDREP_META_VERSION);
		break;
	case COPY_BAD_CSUM:
		snprintf(buf, len, "bad checksum (a torn or interrupted commit)");
		break;
	case COPY_BAD_FIELD:
		snprintf(buf, len, "bad field %s", m->bad_field);
		break;
	}
}

/* ------------------------------------------------------------------- maps */

struct map_scan {
	uint64_t set;		/* bits set */
	uint64_t beyond;	/* of them at or beyond nr_chunks */
	uint64_t first_beyond;
	FILE *ranges;		/* "0-15,32,40-41"; NULL: not wanted */
	bool in_run;
	uint64_t run_first, run_last;
};

/* Print the run of set bits that just ended; set counts it already. */
static void map_flush_run(struct map_scan *s)
{
	if (!s->in_run || !s->ranges)
		return;
	fprintf(s->ranges, "%s%llu", s->set > s->run_last - s->run_first + 1 ? "," : "",
		(unsigned long long)s->run_first);
	if (s->run_last > s->run_first)
		fprintf(s->ranges, "-%llu", (unsigned long long)s->run_last);
	s->in_run = false;
}

static void map_bit(struct map_scan *s, uint64_t chunk, uint64_t nr_chunks)
{
	if (chunk >= nr_chunks && !s->beyond++)
		s->first_beyond = chunk;
	if (s->in_run && chunk == s->run_last + 1) {
		s->run_last = chunk;
	} else {
		map_flush_run(s);
		s->in_run = true;
		s->run_first = s->run_last = chunk;
	}
	s->set++;
}

/*
 * Scan map @map of record @slot of the current copy (whose layout is
 * sound): bit c of the map is bit c % 8 of byte c / 8.
 */
static int map_scan(struct meta_dev *d, int slot, int map, struct map_scan *s)
{
	const struct vdrep_meta_sb *sb = &d->copy[d->current].sb;
	uint64_t nr = le64toh(sb->nr_chunks), bytes = le64toh(sb->bitmap_bytes);
	uint64_t pos = VDREP_META_BITMAP_OFFSET + ((uint64_t)slot * VDREP_META_MAPS + map) * bytes;

	for (uint64_t done = 0; done < bytes; done += MAP_PIECE) {
		size_t len = bytes - done < MAP_PIECE ? (size_t)(bytes - done) : MAP_PIECE;

		if (meta_read(d, pos + done, len))
			return -1;
		for (size_t i = 0; i < len; i++) {
			unsigned int byte = d->buf[i];

			while (byte) {
				unsigned int bit = (unsigned int)__builtin_ctz(byte);

				byte &= byte - 1;
				map_bit(s, (done + i) * 8 + bit, nr);
			}
		}
	}
	map_flush_run(s);
	return 0;
}

/* ---------------------------------------------------------------- records */

static bool record_in_use(const struct vdrep_meta_assoc *r)
{
	return le32toh(r->flags) & VDREP_META_ASSOC_IN_USE;
}

/* @v is 0 or a value @e names. */
static bool enum_or_zero(const struct enum_names *e, uint32_t v)
{
	return !v || enum_name(e, v);
}

/* The checks of in-use record @i of the current copy, without its maps. */
static void record_check(const struct meta_dev *d, int i, struct findings *f)
{
	const struct vdrep_meta_sb *sb = &d->copy[d->current].sb;
	const struct vdrep_meta_assoc *r = &sb->assocs[i];
	uint32_t flags = le32toh(r->flags), type = le32toh(r->sync_type);
	uint32_t mode = le32toh(r->sync_mode), v;
	const uint32_t known = VDREP_META_ASSOC_IN_USE | VDREP_META_ASSOC_VIEW_WRITABLE |
			       VDREP_META_ASSOC_REDIRECTED;

	if (flags & ~known)
		report(f, true, "record %d: flags 0x%x has unknown bits 0x%x", i, flags,
		       flags & ~known);
	if (!name_valid(r->name, sizeof(r->name))) {
		report(f, true, "record %d: name is not 1 to 31 bytes of A-Z a-z 0-9 _ . - (nor . or ..) ending in a NUL",
		       i);
	} else {
		for (int j = 0; j < i; j++) {
			const struct vdrep_meta_assoc *o = &sb->assocs[j];

			if (record_in_use(o) && !strncmp((const char *)o->name,
							 (const char *)r->name, sizeof(r->name)))
				report(f, true, "record %d: name %s is record %d's too",
				       i, (const char *)r->name, j);
		}
	}
	if (le32toh(r->id) != (uint32_t)i)
		report(f, true, "record %d: id is %u, not %d (its slot)", i, le32toh(r->id), i);
	if (!enum_name(&sync_type_names, type))
		report(f, true, "record %d: sync_type %u is not mirror (%d), snapshot (%d) or clone (%d)",
		       i, type, VDREP_SYNC_TYPE_MIRROR, VDREP_SYNC_TYPE_SNAPSHOT,
		       VDREP_SYNC_TYPE_CLONE);
	if (type == VDREP_SYNC_TYPE_MIRROR ? !enum_or_zero(&sync_mode_names, mode) : mode != 0)
		report(f, true, "record %d: sync_mode %u is not a sync mode%s", i, mode,
		       type == VDREP_SYNC_TYPE_MIRROR ? "" : " (0 but for mirrors)");
	v = le32toh(r->copy_type);
	if (!enum_or_zero(&copy_type_names, v))
		report(f, true, "record %d: copy_type %u is not a copy type", i, v);
	v = le32toh(r->copy_state);
	if (!enum_name(&copy_state_names, v))
		report(f, true, "record %d: copy_state %u is not a copy state", i, v);
	v = le32toh(r->sync_state);
	if (!enum_name(&sync_state_names, v))
		report(f, true, "record %d: sync_state %u is not a sync state", i, v);
	v = le32toh(r->progress_status);
	if (!enum_name(&progress_status_names, v))
		report(f, true, "record %d: progress_status %u is not a progress status", i, v);
	v = le32toh(r->requested_copy_state);
	if (!enum_or_zero(&copy_state_names, v))
		report(f, true, "record %d: requested_copy_state %u is neither 0 nor a copy state",
		       i, v);
	v = le32toh(r->copy_priority);
	if (!enum_name(&copy_priority_names, v))
		report(f, true, "record %d: copy_priority %u is not a copy priority", i, v);
	if (!path_valid(r->target_path, sizeof(r->target_path)))
		report(f, true, "record %d: target_path is empty or has no NUL", i);
	/* REDIRECTED against the phase, as assemble reads them (metadata-format.rst). */
	v = le32toh(r->copy_state);
	if ((flags & VDREP_META_ASSOC_REDIRECTED) &&
	    v != VDREP_COPY_STATE_FAILEDOVER && v != VDREP_COPY_STATE_UNSYNCHRONIZED &&
	    v != VDREP_COPY_STATE_FRACTURED && v != VDREP_COPY_STATE_SPLIT &&
	    v != VDREP_COPY_STATE_SKEWED && v != VDREP_COPY_STATE_BROKEN)
		report(f, true, "record %d: redirected, but copy_state %u is none a failover or restore has",
		       i, v);
	if (!(flags & VDREP_META_ASSOC_REDIRECTED) && v == VDREP_COPY_STATE_FAILEDOVER &&
	    le32toh(r->progress_status) == VDREP_PROGRESS_STATUS_COMPLETED)
		report(f, true, "record %d: failed over, but not redirected", i);
}

/* The map checks of in-use record @i: nothing beyond nr_chunks, map 1 unused by mirrors. */
static int record_check_maps(struct meta_dev *d, int i, struct findings *f)
{
	const struct vdrep_meta_sb *sb = &d->copy[d->current].sb;
	uint64_t nr = le64toh(sb->nr_chunks);
	bool mirror = le32toh(sb->assocs[i].sync_type) == VDREP_SYNC_TYPE_MIRROR;

	for (int m = 0; m < VDREP_META_MAPS; m++) {
		struct map_scan s = { 0 };

		if (map_scan(d, i, m, &s))
			return -1;
		if (s.beyond)
			report(f, true, "record %d: map %d has %llu bit%s set at or beyond nr_chunks %llu (the first: %llu)",
			       i, m, (unsigned long long)s.beyond, s.beyond == 1 ? "" : "s",
			       (unsigned long long)nr, (unsigned long long)s.first_beyond);
		if (m == VDREP_META_MAP_SECOND && mirror && s.set)
			report(f, true, "record %d: map 1 has %llu bit%s set, but a mirror does not use it",
			       i, (unsigned long long)s.set, s.set == 1 ? "" : "s");
	}
	return 0;
}

/* ------------------------------------------------------------------ print */

/* A fixed-size field as text: up to its NUL, bytes outside printable ASCII as \xNN. */
static const char *field_text(const uint8_t *s, size_t size, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < size && s[i] && o + 5 < len; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f)
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", s[i]);
	}
	buf[o] = '\0';
	return buf;
}

/* "2026-11-25T13:01:02Z" for KEY, and the nanoseconds for KEY_ns; 0 is "never". */
static void print_time(const char *key, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	char buf[64], ns_key[64];
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, sizeof(buf), "never");
	print_string(PRINT_ANY, key, buf);
	snprintf(ns_key, sizeof(ns_key), "%s_ns", key);
	print_uint(PRINT_ANY, ns_key, ns);
}

/* By its CLI name, as assoc show prints it; a value without one as its number. */
static void print_enum(const char *key, const struct enum_names *e, uint32_t v)
{
	const char *name = enum_name(e, v);

	if (name)
		print_string(PRINT_ANY, key, name);
	else
		print_uint(PRINT_ANY, key, v);
}

static void print_uuid(const uint8_t *u)
{
	char buf[40];

	snprintf(buf, sizeof(buf),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
	print_string(PRINT_ANY, "uuid", buf);
}

static void dump_copies(const struct meta_dev *d)
{
	print_open_array("copies");
	for (int c = 0; c < 2; c++) {
		const struct meta_copy *m = &d->copy[c];

		print_open_object(NULL);
		print_text("\n    copy %d:", c);
		print_uint(PRINT_JSON, "copy", (uint64_t)c);
		print_string(PRINT_ANY, "status", copy_status_names[m->status]);
		if (m->status == COPY_UNKNOWN_VERSION)
			print_uint(PRINT_ANY, "version", le32toh(m->sb.version));
		if (m->status == COPY_BAD_FIELD)
			print_string(PRINT_ANY, "field", m->bad_field);
		/* A torn copy's generation may be garbage, but it says which commit tore. */
		if (m->status != COPY_NO_MAGIC && m->status != COPY_UNKNOWN_VERSION)
			print_uint(PRINT_ANY, "generation", sb_generation(&m->sb));
		print_close_object();
	}
	print_close_array();
}

static void dump_superblock(const struct vdrep_meta_sb *sb)
{
	char buf[4 * sizeof(sb->source_path) + 1];
	uint32_t flags = le32toh(sb->flags);

	print_open_object("superblock");
	print_text("\n    superblock:");
	print_uint(PRINT_ANY, "version", le32toh(sb->version));
	print_uint(PRINT_ANY, "csum", le32toh(sb->csum));
	print_uuid(sb->uuid);
	print_uint(PRINT_ANY, "generation", sb_generation(sb));
	print_uint(PRINT_ANY, "flags", flags);
	print_bool(PRINT_ANY, "clean", flags & VDREP_META_SB_CLEAN);
	print_bool(PRINT_ANY, "write_intent", flags & VDREP_META_SB_WRITE_INTENT);
	print_text("\n       ");
	print_string(PRINT_ANY, "name", field_text(sb->name, sizeof(sb->name), buf, sizeof(buf)));
	print_string(PRINT_ANY, "source_path",
		     field_text(sb->source_path, sizeof(sb->source_path), buf, sizeof(buf)));
	print_uint(PRINT_ANY, "source_sectors", le64toh(sb->source_sectors));
	print_uint(PRINT_ANY, "chunk_size", le32toh(sb->chunk_size));
	print_uint(PRINT_ANY, "nr_chunks", le64toh(sb->nr_chunks));
	print_text("\n       ");
	print_uint(PRINT_ANY, "sb_bytes", le32toh(sb->sb_bytes));
	print_uint(PRINT_ANY, "bitmap_offset", le64toh(sb->bitmap_offset));
	print_uint(PRINT_ANY, "bitmap_bytes", le64toh(sb->bitmap_bytes));
	print_uint(PRINT_ANY, "meta_sectors", le64toh(sb->meta_sectors));
	print_uint(PRINT_ANY, "max_assocs", le32toh(sb->max_assocs));
	print_text("\n       ");
	print_time("format_time", le64toh(sb->format_time));
	print_time("commit_time", le64toh(sb->commit_time));
	print_close_object();
}

/* The maps of record @i, when the layout lets them be read. */
static int dump_maps(struct meta_dev *d, int i)
{
	print_open_array("maps");
	for (int m = 0; m < VDREP_META_MAPS; m++) {
		struct map_scan s = { 0 };
		char *ranges = NULL;
		size_t len;
		int ret;

		s.ranges = open_memstream(&ranges, &len);
		if (!s.ranges)
			out_of_memory(d->what);
		ret = map_scan(d, i, m, &s);
		if (fclose(s.ranges) || !ranges)
			out_of_memory(d->what);
		if (ret) {
			free(ranges);
			return -1;
		}
		print_open_object(NULL);
		print_text("\n        map %d:", m);
		print_uint(PRINT_JSON, "map", (uint64_t)m);
		print_uint(PRINT_ANY, "set", s.set);
		print_string(PRINT_JSON, "chunks", ranges);
		print_string(PRINT_FP, "chunks", s.set ? ranges : "none");
		print_close_object();
		free(ranges);
	}
	print_close_array();
	return 0;
}

static int dump_record(struct meta_dev *d, int i, bool maps)
{
	const struct vdrep_meta_assoc *r = &d->copy[d->current].sb.assocs[i];
	char buf[4 * sizeof(r->target_path) + 1];
	uint32_t flags = le32toh(r->flags), req = le32toh(r->requested_copy_state);

	print_open_object(NULL);
	print_text("\n    record %d:", i);
	print_uint(PRINT_JSON, "slot", (uint64_t)i);
	print_string(PRINT_ANY, "name", field_text(r->name, sizeof(r->name), buf, sizeof(buf)));
	print_uint(PRINT_ANY, "id", le32toh(r->id));
	print_uint(PRINT_ANY, "flags", flags);
	print_bool(PRINT_ANY, "view_writable", flags & VDREP_META_ASSOC_VIEW_WRITABLE);
	print_bool(PRINT_ANY, "redirected", flags & VDREP_META_ASSOC_REDIRECTED);
	print_text("\n       ");
	print_enum("sync_type", &sync_type_names, le32toh(r->sync_type));
	print_enum("sync_mode", &sync_mode_names, le32toh(r->sync_mode));
	print_enum("copy_type", &copy_type_names, le32toh(r->copy_type));
	print_enum("copy_priority", &copy_priority_names, le32toh(r->copy_priority));
	print_text("\n       ");
	print_enum("copy_state", &copy_state_names, le32toh(r->copy_state));
	if (req)
		print_enum("requested_copy_state", &copy_state_names, req);
	else
		print_string(PRINT_ANY, "requested_copy_state", "none");
	print_enum("sync_state", &sync_state_names, le32toh(r->sync_state));
	print_enum("progress_status", &progress_status_names, le32toh(r->progress_status));
	print_text("\n       ");
	print_uint(PRINT_ANY, "rate_limit", le64toh(r->rate_limit));
	print_uint(PRINT_ANY, "backlog_limit", le64toh(r->backlog_limit));
	print_time("sync_time", le64toh(r->sync_time));
	print_text("\n       ");
	print_string(PRINT_ANY, "target_path",
		     field_text(r->target_path, sizeof(r->target_path), buf, sizeof(buf)));
	print_uint(PRINT_ANY, "target_sectors", le64toh(r->target_sectors));
	print_uint(PRINT_ANY, "store_slots", le64toh(r->store_slots));
	if (maps && dump_maps(d, i))
		return -1;
	print_close_object();
	return 0;
}

/* ---------------------------------------------------------------- commands */

/* The one argument DEV (and optional keywords after it, for wipe). */
static int dev_arg(const struct command *cmd, int argc, char **argv, int max)
{
	if (argc < 1)
		return usage_error(cmd, "missing DEV");
	if (argc > max)
		return usage_error(cmd, "unexpected argument '%s'", argv[max]);
	return 0;
}

/*
 * meta dump DEV: both copies' status, the current copy's fields, its
 * in-use records and their maps. Exit 0 when there is a current copy.
 */
static int do_meta_dump(const struct command *cmd, int argc, char **argv)
{
	struct meta_dev d;
	bool maps;
	int ret;

	ret = dev_arg(cmd, argc, argv, 1);
	if (ret)
		return ret;
	if (store_probe(argv[0]) == 1)
		return store_dump(argv[0]);
	ret = EXIT_FAILED;
	if (meta_open(&d, argv[0], "meta dump", O_RDONLY) || meta_load(&d))
		goto out;

	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	print_open_object(NULL);
	print_text("%s:", d.path);
	print_string(PRINT_JSON, "device", d.path);
	print_uint(PRINT_ANY, "size", d.size);
	if (d.current >= 0)
		print_uint(PRINT_ANY, "current", (uint64_t)d.current);
	else
		print_string(PRINT_FP, "current", "none");
	dump_copies(&d);
	if (d.current >= 0) {
		const struct vdrep_meta_sb *sb = &d.copy[d.current].sb;

		dump_superblock(sb);
		maps = layout_sound(&d, sb);
		if (!maps)
			print_text("\n    (maps not read: the layout fields are wrong)");
		print_open_array("records");
		for (int i = 0; i < NR_RECORDS; i++) {
			if (record_in_use(&sb->assocs[i]) && dump_record(&d, i, maps)) {
				/* End the output where it stopped; the error is on stderr. */
				print_text("\n");
				print_flush();
				goto out;
			}
		}
		print_close_array();
	}
	print_close_object();

	if (d.current >= 0)
		ret = EXIT_OK;
	else if (!meta_has_magic(&d))
		fprintf(stderr, "%s: meta dump: %s: no vdrep metadata\n", progname, d.path);
	else
		fprintf(stderr, "%s: meta dump: %s: no intact superblock copy\n", progname, d.path);
out:
	meta_close(&d);
	return ret;
}

/* check's findings about both copies and, with a current one, its content. */
static int meta_check(struct meta_dev *d, struct findings *f)
{
	const struct vdrep_meta_sb *sb;
	char status[128];
	int cur = d->current, other = !d->current;

	if (cur < 0) {
		for (int c = 0; c < 2; c++) {
			copy_status_text(&d->copy[c], status, sizeof(status));
			report(f, true, "copy %d: %s", c, status);
		}
		return 0;
	}
	sb = &d->copy[cur].sb;
	copy_status_text(&d->copy[other], status, sizeof(status));
	if (d->copy[other].status == COPY_UNKNOWN_VERSION) {
		/* Written by a newer format: what version 1 holds may be stale. */
		report(f, true, "copy %d: %s: a newer vdrep wrote it, so copy %d may be stale",
		       other, status, cur);
	} else if (!copy_intact(&d->copy[other])) {
		report(f, false, "copy %d: %s; copy %d is current", other, status, cur);
	} else {
		const struct vdrep_meta_sb *o = &d->copy[other].sb;

		if (d->copy[other].status == COPY_BAD_FIELD)
			report(f, false, "copy %d (older, generation %llu): %s; copy %d is current",
			       other, (unsigned long long)sb_generation(o), status, cur);
		if (memcmp(o->uuid, sb->uuid, sizeof(sb->uuid)))
			report(f, false, "copy %d (older, generation %llu) is another volume's (its uuid differs); copy %d is current",
			       other, (unsigned long long)sb_generation(o), cur);
	}
	sb_check(d, cur, f);
	for (int i = 0; i < NR_RECORDS; i++)
		if (record_in_use(&sb->assocs[i]))
			record_check(d, i, f);
	if (!layout_sound(d, sb))
		return 0;	/* reported above; the maps cannot be found */
	for (int i = 0; i < NR_RECORDS; i++)
		if (record_in_use(&sb->assocs[i]) && record_check_maps(d, i, f))
			return -1;
	return 0;
}

/*
 * meta check DEV: one line per finding, then the verdict; exit 0 when
 * there is a current copy and nothing is wrong with it.
 */
static int do_meta_check(const struct command *cmd, int argc, char **argv)
{
	struct findings f = { 0 };
	struct meta_dev d;
	bool has_magic, consistent;
	int ret;

	ret = dev_arg(cmd, argc, argv, 1);
	if (ret)
		return ret;
	if (store_probe(argv[0]) == 1)
		return store_check(argv[0]);
	ret = EXIT_FAILED;
	if (meta_open(&d, argv[0], "meta check", O_RDONLY) || meta_load(&d))
		goto out;
	has_magic = meta_has_magic(&d);
	if (has_magic && meta_check(&d, &f))
		goto out;
	consistent = d.current >= 0 && !f.problems;

	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	print_open_object(NULL);
	print_string(PRINT_JSON, "device", d.path);
	for (size_t i = 0; i < f.n; i++)
		print_text("%s: %s: %s\n", d.path, f.v[i].problem ? "problem" : "note",
			   f.v[i].text);
	print_bool(PRINT_JSON, "metadata", has_magic);
	print_bool(PRINT_JSON, "consistent", consistent);
	if (d.current >= 0) {
		print_uint(PRINT_JSON, "copy", (uint64_t)d.current);
		print_uint(PRINT_JSON, "generation", sb_generation(&d.copy[d.current].sb));
	}
	for (int problem = 1; problem >= 0; problem--) {
		print_open_array(problem ? "problems" : "notes");
		for (size_t i = 0; i < f.n; i++)
			if (f.v[i].problem == problem)
				print_string(PRINT_JSON, NULL, f.v[i].text);
		print_close_array();
	}
	if (!has_magic)
		print_text("%s: no vdrep metadata", d.path);
	else if (consistent)
		print_text("%s: consistent (generation %llu, copy %d)", d.path,
			   (unsigned long long)sb_generation(&d.copy[d.current].sb), d.current);
	else
		print_text("%s: not consistent: %u problem%s", d.path, f.problems,
			   f.problems == 1 ? "" : "s");
	print_close_object();
	ret = consistent ? EXIT_OK : EXIT_FAILED;
out:
	findings_free(&f);
	meta_close(&d);
	return ret;
}

/*
 * meta wipe DEV [force]: zero both superblock copies (the maps stay, and
 * mean nothing without them). Exclusive open: refused while a volume
 * holds DEV or it is mounted. Without force, refused when neither copy
 * has the magic: DEV is then probably not a metadata device at all.
 */
static int do_meta_wipe(const struct command *cmd, int argc, char **argv)
{
	char name[4 * sizeof(((struct vdrep_meta_sb *)0)->name) + 1];
	struct meta_dev d;
	bool has_magic;
	int ret;

	ret = dev_arg(cmd, argc, argv, 2);
	if (ret)
		return ret;
	if (argc == 2 && strcmp(argv[1], "force"))
		return usage_error(cmd, "unexpected argument '%s'", argv[1]);
	ret = EXIT_FAILED;
	if (meta_open(&d, argv[0], "meta wipe", O_RDWR | O_EXCL) || meta_load(&d))
		goto out;
	has_magic = meta_has_magic(&d);
	if (!has_magic && argc < 2) {
		fprintf(stderr, "%s: meta wipe: %s: no vdrep metadata (no magic in either superblock copy); nothing wiped (add force to wipe anyway)\n",
			progname, d.path);
		goto out;
	}
	if (d.current >= 0)
		field_text(d.copy[d.current].sb.name, sizeof(d.copy[d.current].sb.name),
			   name, sizeof(name));

	memset(d.buf, 0, SB_AREA);
	if (meta_write(&d, 0, SB_AREA))
		goto out;
	if (fsync(d.fd)) {
		fprintf(stderr, "%s: meta wipe: cannot flush %s: %s\n", progname, d.path,
			strerror(errno));
		goto out;
	}

	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	print_open_object(NULL);
	print_text("%s: zeroed both superblock copies (bytes 0 to %u)", d.path, SB_AREA - 1);
	print_string(PRINT_JSON, "device", d.path);
	print_uint(PRINT_JSON, "offset", 0);
	print_uint(PRINT_JSON, "bytes", SB_AREA);
	print_bool(PRINT_JSON, "metadata", has_magic);
	if (d.current >= 0) {
		print_text(", which held volume %s, generation %llu", name,
			   (unsigned long long)sb_generation(&d.copy[d.current].sb));
		print_string(PRINT_JSON, "name", name);
		print_uint(PRINT_JSON, "generation", sb_generation(&d.copy[d.current].sb));
	} else if (has_magic) {
		print_text(", which held damaged vdrep metadata (no intact copy)");
	} else {
		print_text(", which held no vdrep metadata");
	}
	print_close_object();
	ret = EXIT_OK;
out:
	meta_close(&d);
	return ret;
}

const struct command meta_commands[] = {
	{ "meta", "dump", "DEV",
	  "show the metadata on DEV (a device or an image file): both superblock copies, the current one's fields, records and maps; on a snapshot's store, its header and map",
	  do_meta_dump },
	{ "meta", "check", "DEV",
	  "check the metadata on DEV (or a snapshot's store); exit 0 when it is consistent, 1 when not",
	  do_meta_check },
	{ "meta", "wipe", "DEV [force]",
	  "zero both superblock copies of DEV (refused while DEV is in use; force: even without vdrep magic)",
	  do_meta_wipe },
};
const size_t meta_command_count = ARRAY_SIZE(meta_commands);
