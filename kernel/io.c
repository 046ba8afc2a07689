// SPDX-License-Identifier: GPL-2.0
/*
 * The volume's bio path.
 *
 * With no association needing interception, every bio (read, write, flush,
 * FUA, discard, write-zeroes) is a plain remap onto the source: one clone
 * from the volume's bioset, carrying the per-I/O context in its front pad,
 * and nothing else (DESIGN.md invariant 7). The volume covers the whole
 * source from sector 0, so sectors are unchanged; the source queue splits
 * the clone to its own limits. The clone exists so that completion can end
 * the I/O accounting and drop the in-flight reference; the completion never
 * sleeps (invariant 6).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>

#include "vdrep.h"

static void vdrep_inflight_drained(struct percpu_ref *ref)
{
	struct vdrep_volume *vol = container_of(ref, struct vdrep_volume, inflight);

	complete(&vol->drained);
}

int vdrep_io_init(struct vdrep_volume *vol)
{
	int err;

	init_completion(&vol->drained);
	err = percpu_ref_init(&vol->inflight, vdrep_inflight_drained, 0, GFP_KERNEL);
	if (err)
		return err;
	err = bioset_init(&vol->bioset, BIO_POOL_SIZE,
			  offsetof(struct vdrep_io, clone), 0);
	if (err)
		percpu_ref_exit(&vol->inflight);
	return err;
}

/* Waits for every bio sent to the source to complete; may sleep. */
void vdrep_io_exit(struct vdrep_volume *vol)
{
	percpu_ref_kill(&vol->inflight);
	wait_for_completion(&vol->drained);
	percpu_ref_exit(&vol->inflight);
	bioset_exit(&vol->bioset);
}

/* Completion context (may be hard or soft irq): must not sleep. */
static void vdrep_remap_endio(struct bio *clone)
{
	struct vdrep_io *io = container_of(clone, struct vdrep_io, clone);
	struct vdrep_volume *vol = io->vol;
	struct bio *orig = io->orig;

	orig->bi_status = clone->bi_status;
	bio_end_io_acct(orig, io->start_time);
	bio_put(clone);
	bio_endio(orig);
	percpu_ref_put(&vol->inflight);
}

void vdrep_submit_bio(struct bio *bio)
{
	struct vdrep_volume *vol = bio->bi_bdev->bd_disk->private_data;
	struct vdrep_io *io;
	struct bio *clone;

	/* GFP_NOIO from a mempool-backed bioset: waits, never fails. */
	clone = bio_alloc_clone(vol->source.bdev, bio, GFP_NOIO, &vol->bioset);
	io = container_of(clone, struct vdrep_io, clone);
	io->vol = vol;
	io->orig = bio;
	io->start_time = bio_start_io_acct(bio);
	clone->bi_end_io = vdrep_remap_endio;

	percpu_ref_get(&vol->inflight);
	submit_bio_noacct(clone);
}
