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
 *
 * A volume with associations sends its bios through mirror.c instead. The
 * plain path counts its bios per CPU (vol->plain_refs) so that adding the
 * first association can wait for the ones that did not see it: a per-CPU
 * increment, not a shared counter, on the fast path.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/percpu.h>

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
	init_llist_head(&vol->read_retries);
	INIT_WORK(&vol->read_retry_work, vdrep_read_retry_work);
	vol->chunk_shift = ilog2(vol->chunk_size) - SECTOR_SHIFT;
	vol->plain_refs = alloc_percpu(long);
	if (!vol->plain_refs)
		return -ENOMEM;
	err = percpu_ref_init(&vol->inflight, vdrep_inflight_drained, 0, GFP_KERNEL);
	if (err)
		goto err_free_refs;
	err = bioset_init(&vol->bioset, BIO_POOL_SIZE,
			  offsetof(struct vdrep_io, clone), 0);
	if (err)
		goto err_ref_exit;
	err = bioset_init(&vol->target_bioset, BIO_POOL_SIZE,
			  offsetof(struct vdrep_target_io, clone), BIOSET_NEED_BVECS);
	if (err)
		goto err_bioset_exit;
	err = vdrep_cow_init(vol);
	if (err)
		goto err_target_bioset_exit;
	return 0;

err_target_bioset_exit:
	bioset_exit(&vol->target_bioset);
err_bioset_exit:
	bioset_exit(&vol->bioset);
err_ref_exit:
	percpu_ref_exit(&vol->inflight);
err_free_refs:
	free_percpu(vol->plain_refs);
	return err;
}

/* Waits for every bio sent to the source to complete; may sleep. */
void vdrep_io_exit(struct vdrep_volume *vol)
{
	percpu_ref_kill(&vol->inflight);
	wait_for_completion(&vol->drained);
	percpu_ref_exit(&vol->inflight);
	flush_work(&vol->read_retry_work);
	vdrep_cow_exit(vol);
	bioset_exit(&vol->target_bioset);
	bioset_exit(&vol->bioset);
	free_percpu(vol->plain_refs);
}

static long vdrep_plain_refs_sum(struct vdrep_volume *vol)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(vol->plain_refs, cpu);
	return sum;
}

/*
 * Wait for every plain-remap bio, once vol->nr_assocs is non-zero. After
 * the grace period no new one starts (they see the association), so the
 * sum only falls; a short sleep loop is enough on this control path.
 */
void vdrep_io_drain_plain(struct vdrep_volume *vol)
{
	synchronize_rcu();
	while (vdrep_plain_refs_sum(vol))
		usleep_range(100, 1000);
}

/* Completion context (may be hard or soft irq): must not sleep. */
static void vdrep_remap_endio(struct bio *clone)
{
	struct vdrep_io *io = container_of(clone, struct vdrep_io, clone);
	struct vdrep_volume *vol = io->vol;
	struct bio *orig = io->orig;

	orig->bi_status = clone->bi_status;
	bio_end_io_acct(orig, io->start_time);
	this_cpu_dec(*vol->plain_refs);
	bio_put(clone);
	bio_endio(orig);
	percpu_ref_put(&vol->inflight);
}

void vdrep_submit_bio(struct bio *bio)
{
	struct vdrep_volume *vol = bio->bi_bdev->bd_disk->private_data;
	struct vdrep_io *io;
	struct bio *clone;

	rcu_read_lock();
	if (READ_ONCE(vol->nr_assocs)) {
		rcu_read_unlock();
		vdrep_submit_with_assocs(vol, bio);
		return;
	}
	this_cpu_inc(*vol->plain_refs);
	rcu_read_unlock();

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
