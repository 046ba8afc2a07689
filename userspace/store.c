// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl meta dump | check on a snapshot's store: its header copies and
 * its map, in the format of uapi/linux/vdrep_meta.h
 * (Documentation/admin-guide/metadata-format.rst, "Snapshot stores").
 * meta.c hands a device over when either header copy has the store magic.
 *
 * The current header is the intact copy (magic, version 1, checksum) with
 * the higher generation. Its map entries count when they carry its epoch:
 * each names a chunk of the volume, none twice.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>		/* BLKGETSIZE64 */
#include <linux/vdrep.h>
#include <linux/vdrep_meta.h>

#include "crc32c.h"
#include "print.h"
#include "vdrepctl.h"

_Static_assert(sizeof(struct vdrep_store_header) == VDREP_STORE_HEADER_BYTES,
	       "a store header copy is VDREP_STORE_HEADER_BYTES");
_Static_assert(sizeof(struct vdrep_store_entry) == 16, "a store map entry is 16 bytes");

#define ENTRIES_PER_BLOCK	(VDREP_STORE_BLOCK / sizeof(struct vdrep_store_entry))

struct store_dev {
	const char *path, *what;
	int fd;
	uint64_t size;
	void *buf;			/* one VDREP_STORE_BLOCK, aligned */
	struct vdrep_store_header copy[2];
	const char *status[2];		/* "valid", "no-magic", ... */
	int current;			/* -1: no intact copy */
	/* The current header's map: chunk numbers by slot, ~0 for none. */
	uint64_t *slot_chunk;
	uint64_t entries;		/* of its epoch */
	unsigned int problems;
	bool quiet;			/* dump: findings are not printed */
};

static bool store_magic(const struct vdrep_store_header *h)
{
	return !memcmp(h->magic, VDREP_STORE_MAGIC, sizeof(h->magic));
}

static int store_read(struct store_dev *d, uint64_t pos, void *to, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < VDREP_STORE_BLOCK ? len - done : VDREP_STORE_BLOCK;
		ssize_t got = pread(d->fd, d->buf, n, (off_t)(pos + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)n) {
			fprintf(stderr, "%s: %s: cannot read %s at byte %llu: %s\n", progname,
				d->what, d->path, (unsigned long long)(pos + done),
				got < 0 ? strerror(errno) : "short read");
			return -1;
		}
		memcpy((char *)to + done, d->buf, n);
		done += n;
	}
	return 0;
}

static void finding(struct store_dev *d, bool problem, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void finding(struct store_dev *d, bool problem, const char *fmt, ...)
{
	va_list ap;

	if (problem)
		d->problems++;
	if (d->quiet)
		return;
	va_start(ap, fmt);
	printf("%s: %s: ", d->path, problem ? "problem" : "note");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* Open @path and read both header copies; 1: it is a store, 0: not, -1: error. */
static int store_open(struct store_dev *d, const char *path, const char *what)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->what = what;
	d->current = -1;
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0 || fstat(d->fd, &st))
		return -1;
	if (S_ISBLK(st.st_mode)) {
		int fl = fcntl(d->fd, F_GETFL);

		if (ioctl(d->fd, BLKGETSIZE64, &d->size))
			return -1;
		/* Past the page cache: the kernel writes the store with bios. */
		if (fl >= 0)
			(void)fcntl(d->fd, F_SETFL, fl | O_DIRECT);
	} else if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
	} else {
		return 0;
	}
	if (d->size < VDREP_STORE_HEADER_AREA)
		return 0;
	if (posix_memalign(&d->buf, VDREP_STORE_BLOCK, VDREP_STORE_BLOCK))
		return -1;
	if (store_read(d, 0, d->copy, sizeof(d->copy)))
		return -1;
	if (!store_magic(&d->copy[0]) && !store_magic(&d->copy[1]))
		return 0;
	for (int c = 0; c < 2; c++) {
		const struct vdrep_store_header *h = &d->copy[c];

		if (!store_magic(h))
			d->status[c] = "no-magic";
		else if (le32toh(h->csum) != crc32c(VDREP_META_CRC_SEED, (const uint8_t *)h + 4,
						     VDREP_STORE_HEADER_BYTES - 4))
			d->status[c] = "bad-checksum";
		else if (le32toh(h->version) != VDREP_STORE_VERSION)
			d->status[c] = "unknown-version";
		else
			d->status[c] = "valid";
		if (strcmp(d->status[c], "valid"))
			continue;
		if (d->current < 0 ||
		    le64toh(h->generation) > le64toh(d->copy[d->current].generation))
			d->current = c;
	}
	return 1;
}

static void store_close(struct store_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->buf);
	free(d->slot_chunk);
}

/* The current header's fields against each other and the device; 0 if sound. */
static int store_check_header(struct store_dev *d)
{
	const struct vdrep_store_header *h = &d->copy[d->current];
	uint32_t cs = le32toh(h->chunk_size), flags = le32toh(h->flags);
	uint64_t head, slots = le64toh(h->data_slots), table = le64toh(h->table_offset);
	uint64_t data = le64toh(h->data_offset), nr = le64toh(h->nr_chunks);
	int bad = 0;

	if (cs < VDREP_CHUNK_SIZE_MIN || cs > VDREP_CHUNK_SIZE_MAX || (cs & (cs - 1))) {
		finding(d, true, "header: chunk_size %u is not a power of two from %u to %u",
			cs, VDREP_CHUNK_SIZE_MIN, VDREP_CHUNK_SIZE_MAX);
		return -1;
	}
	head = (VDREP_STORE_HEADER_AREA + cs - 1) / cs * cs;
	if (table != head) {
		finding(d, true, "header: table_offset %llu, not %llu", (unsigned long long)table,
			(unsigned long long)head);
		bad = -1;
	}
	if (!slots || data % cs || data < table + slots * sizeof(struct vdrep_store_entry) ||
	    slots > (d->size - (data < d->size ? data : d->size)) / cs) {
		finding(d, true, "header: data_offset %llu and data_slots %llu do not fit the map and the device (%llu bytes)",
			(unsigned long long)data, (unsigned long long)slots,
			(unsigned long long)d->size);
		bad = -1;
	}
	/* More chunks than any device has (2^64 bytes in 4 KiB chunks) is garbage. */
	if (!nr || nr > (1ULL << 52)) {
		finding(d, true, "header: nr_chunks %llu is 0 or more than any volume has",
			(unsigned long long)nr);
		bad = -1;
	}
	if (!h->epoch) {
		finding(d, true, "header: epoch is 0");
		bad = -1;
	}
	if (flags & ~VDREP_STORE_MAP)
		finding(d, true, "header: unknown flags 0x%x", flags & ~VDREP_STORE_MAP);
	return bad;
}

/* Read the map: the entries of the current epoch, each checked. */
static int store_load_map(struct store_dev *d)
{
	const struct vdrep_store_header *h = &d->copy[d->current];
	uint64_t slots = le64toh(h->data_slots), nr = le64toh(h->nr_chunks);
	uint64_t table = le64toh(h->table_offset), epoch = le64toh(h->epoch);
	struct vdrep_store_entry e[ENTRIES_PER_BLOCK];
	uint8_t *seen;

	d->slot_chunk = malloc(slots * sizeof(*d->slot_chunk));
	seen = calloc((nr + 7) / 8, 1);
	if (!d->slot_chunk || !seen) {
		fprintf(stderr, "%s: %s: out of memory\n", progname, d->what);
		free(seen);
		return -1;
	}
	for (uint64_t s = 0; s < slots; s++) {
		uint64_t chunk;

		if (s % ENTRIES_PER_BLOCK == 0 &&
		    store_read(d, table + s * sizeof(e[0]), e, sizeof(e))) {
			free(seen);
			return -1;
		}
		d->slot_chunk[s] = ~0ULL;
		if (le64toh(e[s % ENTRIES_PER_BLOCK].epoch) != epoch)
			continue;
		chunk = le64toh(e[s % ENTRIES_PER_BLOCK].chunk);
		if (chunk >= nr) {
			finding(d, true, "map entry %llu names chunk %llu, past the volume's %llu",
				(unsigned long long)s, (unsigned long long)chunk,
				(unsigned long long)nr);
			continue;
		}
		if (seen[chunk / 8] & (1 << (chunk % 8))) {
			finding(d, true, "map entry %llu names chunk %llu, which an entry before it names too",
				(unsigned long long)s, (unsigned long long)chunk);
			continue;
		}
		seen[chunk / 8] |= 1 << (chunk % 8);
		d->slot_chunk[s] = chunk;
		d->entries++;
	}
	free(seen);
	return 0;
}

/* Header, map and findings; 0, or -1 after an error printed on stderr. */
static int store_examine(struct store_dev *d)
{
	const struct vdrep_store_header *h;

	if (d->current < 0) {
		for (int c = 0; c < 2; c++)
			finding(d, true, "header copy %d: %s", c, d->status[c]);
		return 0;
	}
	h = &d->copy[d->current];
	if (strcmp(d->status[!d->current], "valid"))
		finding(d, false, "header copy %d: %s; copy %d is current", !d->current,
			d->status[!d->current], d->current);
	if (store_check_header(d))
		return 0;
	if (!(le32toh(h->flags) & VDREP_STORE_MAP)) {
		finding(d, false, "the store of a volume without a metadata device: it keeps no map");
		return 0;
	}
	return store_load_map(d);
}

static void print_store_header(const struct vdrep_store_header *h)
{
	char name[sizeof(h->name) + 1], uuid[40];
	const uint8_t *u = h->volume_uuid;

	memcpy(name, h->name, sizeof(h->name));
	name[sizeof(h->name)] = '\0';
	for (char *p = name; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			*p = '?';
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
	print_open_object("header");
	print_text("\n    header:");
	print_string(PRINT_ANY, "name", name);
	print_uint(PRINT_ANY, "assoc_id", le32toh(h->assoc_id));
	print_string(PRINT_ANY, "volume_uuid", uuid);
	print_uint(PRINT_ANY, "generation", le64toh(h->generation));
	print_uint(PRINT_ANY, "epoch", le64toh(h->epoch));
	print_uint(PRINT_ANY, "sync_time_ns", le64toh(h->sync_time));
	print_uint(PRINT_ANY, "chunk_size", le32toh(h->chunk_size));
	print_uint(PRINT_ANY, "nr_chunks", le64toh(h->nr_chunks));
	print_uint(PRINT_ANY, "table_offset", le64toh(h->table_offset));
	print_uint(PRINT_ANY, "data_offset", le64toh(h->data_offset));
	print_uint(PRINT_ANY, "data_slots", le64toh(h->data_slots));
	print_uint(PRINT_ANY, "flags", le32toh(h->flags));
	print_bool(PRINT_ANY, "map", le32toh(h->flags) & VDREP_STORE_MAP);
	print_close_object();
}

int store_probe(const char *path)
{
	struct store_dev d;
	int ret = store_open(&d, path, "meta");

	store_close(&d);
	return ret;
}

/* meta dump on a store: the header copies, the current header, the map. */
int store_dump(const char *path)
{
	struct store_dev d;
	int ret = EXIT_FAILED;

	if (store_open(&d, path, "meta dump") != 1)
		goto out;
	d.quiet = true;
	if (store_examine(&d))
		goto out;
	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	print_open_object(NULL);
	print_text("%s: snapshot store", d.path);
	print_string(PRINT_JSON, "device", d.path);
	print_string(PRINT_JSON, "kind", "snapshot-store");
	print_uint(PRINT_ANY, "size", d.size);
	if (d.current >= 0)
		print_uint(PRINT_ANY, "current", (uint64_t)d.current);
	else
		print_string(PRINT_FP, "current", "none");
	print_open_array("copies");
	for (int c = 0; c < 2; c++) {
		print_open_object(NULL);
		print_text("\n    copy %d:", c);
		print_uint(PRINT_JSON, "copy", (uint64_t)c);
		print_string(PRINT_ANY, "status", d.status[c]);
		if (!strcmp(d.status[c], "valid"))
			print_uint(PRINT_ANY, "generation", le64toh(d.copy[c].generation));
		print_close_object();
	}
	print_close_array();
	if (d.current >= 0) {
		print_store_header(&d.copy[d.current]);
		if (d.slot_chunk) {
			uint64_t slots = le64toh(d.copy[d.current].data_slots);

			print_uint(PRINT_ANY, "entries", d.entries);
			print_open_array("map");
			print_text("\n    map (slot:chunk):");
			for (uint64_t s = 0; s < slots; s++) {
				if (d.slot_chunk[s] == ~0ULL)
					continue;
				print_open_object(NULL);
				print_text(" %llu:%llu", (unsigned long long)s,
					   (unsigned long long)d.slot_chunk[s]);
				print_uint(PRINT_JSON, "slot", s);
				print_uint(PRINT_JSON, "chunk", d.slot_chunk[s]);
				print_close_object();
			}
			print_close_array();
		}
	}
	print_close_object();
	if (d.current >= 0)
		ret = EXIT_OK;
	else
		fprintf(stderr, "%s: meta dump: %s: no intact store header copy\n", progname, d.path);
out:
	store_close(&d);
	return ret;
}

/* meta check on a store: one line per finding, then the verdict. */
int store_check(const char *path)
{
	struct store_dev d;
	int ret = EXIT_FAILED;
	bool consistent;

	if (store_open(&d, path, "meta check") != 1)
		goto out;
	d.quiet = opt_json;
	if (store_examine(&d))
		goto out;
	consistent = d.current >= 0 && !d.problems;
	print_init(opt_json ? PRINT_MODE_JSON : PRINT_MODE_TEXT, opt_pretty);
	print_open_object(NULL);
	print_string(PRINT_JSON, "device", d.path);
	print_string(PRINT_JSON, "kind", "snapshot-store");
	print_bool(PRINT_JSON, "consistent", consistent);
	print_uint(PRINT_JSON, "problems", d.problems);
	if (consistent && d.slot_chunk)
		print_text("%s: snapshot store consistent (generation %llu, copy %d, %llu chunks preserved)",
			   d.path, (unsigned long long)le64toh(d.copy[d.current].generation),
			   d.current, (unsigned long long)d.entries);
	else if (consistent)
		print_text("%s: snapshot store consistent (generation %llu, copy %d, no map)",
			   d.path, (unsigned long long)le64toh(d.copy[d.current].generation),
			   d.current);
	else
		print_text("%s: snapshot store not consistent: %u problem%s", d.path, d.problems,
			   d.problems == 1 ? "" : "s");
	if (d.slot_chunk)
		print_uint(PRINT_JSON, "entries", d.entries);
	print_close_object();
	ret = consistent ? EXIT_OK : EXIT_FAILED;
out:
	store_close(&d);
	return ret;
}
