/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdrep: block device replication. Private header shared by the module's
 * files; it owns pr_fmt so every message is prefixed with "vdrep: ".
 *
 * Objects (Documentation/admin-guide/vdrep.rst has the user's view):
 *  - a volume is a bio-based gendisk (/dev/vdrepN) stacked on one source
 *    block device, which it holds open exclusively;
 *  - associations (mirrors, snapshots, clones) hang off a volume (later).
 *
 * Locking:
 *  - vdrep_volumes_lock (mutex, main.c) serialises the control plane:
 *    creating, destroying, looking up and dumping volumes, and the
 *    vdrep_volumes xarray's membership. The I/O path never takes it.
 *  - disk->open_mutex (block layer) orders opens of a volume against
 *    destroy: destroy sets vol->dying under it, and open refuses a dying
 *    volume, so a volume found unopened stays unopened.
 *  - vol->inflight counts I/O submitted to the source and not yet completed;
 *    destroy waits for it to drain before releasing the source.
 */
#ifndef VDREP_H
#define VDREP_H

#undef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/xarray.h>
#include <net/genetlink.h>

#include "compat.h"
#include "../uapi/linux/vdrep.h"

/* Most volumes at once; ids (the N of /dev/vdrepN) are below this. */
#define VDREP_MAX_VOLUMES	1024

struct vdrep_volume {
	/* Set at creation, constant for the volume's life. */
	int id;
	char name[VDREP_NAME_MAX_LEN + 1];
	char *source_path;		/* as given by the creator */
	struct vdrep_bdev source;	/* held exclusively, holder = volume */
	u32 chunk_size;			/* bytes, power of two */
	struct gendisk *disk;
	struct bio_set bioset;		/* clones with a struct vdrep_io front */

	/* Under disk->open_mutex. */
	bool dying;

	/* I/O submitted to the source and not yet completed. */
	struct percpu_ref inflight;
	struct completion drained;	/* inflight reached zero after kill */
};

/*
 * Per-I/O context, in the front pad of the clone sent to the source (one
 * bioset allocation gives both; container_of() gets it back).
 */
struct vdrep_io {
	struct vdrep_volume *vol;
	struct bio *orig;		/* the bio submitted to the volume */
	unsigned long start_time;	/* for I/O accounting */
	struct bio clone;		/* must be last */
};

/*
 * NL_SET_ERR_MSG() wants a literal; this takes a message chosen at run time,
 * which must still be a static string (the ack is built after we return).
 */
static inline void vdrep_extack(struct netlink_ext_ack *extack,
				const struct nlattr *attr, const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	if (attr)
		extack->bad_attr = attr;
}

/* main.c: the registry of volumes */
extern struct mutex vdrep_volumes_lock;
extern struct xarray vdrep_volumes;
struct vdrep_volume *vdrep_volume_find(const char *name);

/* volume.c: volume lifetime; callers hold vdrep_volumes_lock */
struct vdrep_volume *vdrep_volume_create(const char *name, const char *source_path,
					 u32 chunk_size, struct netlink_ext_ack *extack);
int vdrep_volume_destroy_check(struct vdrep_volume *vol,
			       struct netlink_ext_ack *extack);
void vdrep_volume_destroy(struct vdrep_volume *vol);
u64 vdrep_volume_size(const struct vdrep_volume *vol);
unsigned int vdrep_volume_openers(struct vdrep_volume *vol);
extern const struct block_device_operations vdrep_volume_fops;

/* io.c: the volume's bio path */
int vdrep_io_init(struct vdrep_volume *vol);
void vdrep_io_exit(struct vdrep_volume *vol);
void vdrep_submit_bio(struct bio *bio);

/* netlink.c: the generic netlink family */
int vdrep_netlink_init(void);
void vdrep_netlink_exit(void);

#endif /* VDREP_H */
