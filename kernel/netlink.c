// SPDX-License-Identifier: GPL-2.0
/*
 * The "vdrep" generic netlink family: command handlers, the one fill
 * function per object shared by replies, dumps and notifications, and the
 * "events" multicast group.
 *
 * Policies and the ops table are generated from
 * Documentation/netlink/specs/vdrep.yaml into netlink-gen.[ch]; the family
 * struct is written here because genetlink-legacy specs (needed for 6.1,
 * which lacks split ops) do not generate it.
 */
#include <linux/atomic.h>

#include "vdrep.h"
#include "netlink-gen.h"
#include "validate.h"

static struct genl_family vdrep_family;

/*
 * Sequence number of notifications, family-wide, so that a listener that
 * sees a gap knows it lost events (socket overrun) and must dump again.
 * vdrep_event_lock numbers and sends each one, so numbers arrive in order
 * whichever context (command, copy engine, completion work) sends them.
 */
static DEFINE_SPINLOCK(vdrep_event_lock);
static u64 vdrep_event_seq;

/* A notification built ahead of time, numbered when it is sent. */
struct vdrep_ntf {
	struct sk_buff *skb;
	struct nlattr *seq;	/* the event-seq attribute to fill in */
};

static struct vdrep_ntf vdrep_assoc_notify_prepare(struct vdrep_assoc *a, u8 cmd);

/* ------------------------------------------------------------------ volume */

static int vdrep_volume_fill(struct sk_buff *skb, struct vdrep_volume *vol,
			     u32 portid, u32 seq, int flags, u8 cmd,
			     struct nlattr **event_seq)
{
	struct block_device *src = vol->source.bdev;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vdrep_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	if (nla_put_u32(skb, VDREP_A_VOLUME_ID, vol->id) ||
	    nla_put_string(skb, VDREP_A_VOLUME_NAME, vol->name) ||
	    nla_put_string(skb, VDREP_A_VOLUME_DISK_NAME, vol->disk->disk_name) ||
	    nla_put_string(skb, VDREP_A_VOLUME_SOURCE_PATH, vol->source_path) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_SOURCE_MAJOR, MAJOR(src->bd_dev)) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_SOURCE_MINOR, MINOR(src->bd_dev)) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_CHUNK_SIZE, vol->chunk_size) ||
	    nla_put_u64_64bit(skb, VDREP_A_VOLUME_SIZE, vdrep_volume_size(vol),
			      VDREP_A_VOLUME_PAD) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_LOGICAL_BLOCK_SIZE,
			queue_logical_block_size(vol->disk->queue)) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_PHYSICAL_BLOCK_SIZE,
			queue_physical_block_size(vol->disk->queue)) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_ASSOC_COUNT, READ_ONCE(vol->nr_assocs)) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_OPEN_COUNT, vdrep_volume_openers(vol)) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_META_STATE, vdrep_meta_state(vol)) ||
	    (vdrep_meta_path(vol) &&
	     nla_put_string(skb, VDREP_A_VOLUME_META_PATH, vdrep_meta_path(vol))) ||
	    nla_put_u64_64bit(skb, VDREP_A_VOLUME_OLD_DATA_READS,
			      atomic64_read(&vol->old_data_reads), VDREP_A_VOLUME_PAD))
		goto err_cancel;
	if (event_seq) {
		*event_seq = nla_reserve_64bit(skb, VDREP_A_VOLUME_EVENT_SEQ,
					       sizeof(u64), VDREP_A_VOLUME_PAD);
		if (!*event_seq)
			goto err_cancel;
	}

	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Build a notification about @vol now (for a destroy, before the volume is
 * gone); vdrep_notify_send() numbers and sends it, once the change it
 * reports is done. Caller holds vdrep_volumes_lock.
 */
static struct vdrep_ntf vdrep_volume_notify_prepare(struct vdrep_volume *vol, u8 cmd)
{
	struct vdrep_ntf ntf = {};

	lockdep_assert_held(&vdrep_volumes_lock);
	if (!genl_has_listeners(&vdrep_family, &init_net, VDREP_NLGRP_EVENTS))
		return ntf;
	ntf.skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (ntf.skb && vdrep_volume_fill(ntf.skb, vol, 0, 0, 0, cmd, &ntf.seq)) {
		nlmsg_free(ntf.skb);
		ntf.skb = NULL;
	}
	return ntf;
}

static void vdrep_notify_send(struct vdrep_ntf ntf)
{
	unsigned long flags;
	u64 seq;

	if (!ntf.skb)
		return;
	spin_lock_irqsave(&vdrep_event_lock, flags);
	seq = ++vdrep_event_seq;
	memcpy(nla_data(ntf.seq), &seq, sizeof(seq));
	genlmsg_multicast(&vdrep_family, ntf.skb, 0, VDREP_NLGRP_EVENTS, GFP_ATOMIC);
	spin_unlock_irqrestore(&vdrep_event_lock, flags);
}

/*
 * Tell userspace that @vol changed (its metadata state): a change
 * notification and a "change" uevent on the volume disk naming the
 * metadata state. Caller holds vdrep_volumes_lock.
 */
void vdrep_volume_announce(struct vdrep_volume *vol)
{
	static const char * const meta_states[] = {
		[VDREP_META_STATE_TRANSIENT] = "transient",
		[VDREP_META_STATE_WRITABLE] = "writable",
		[VDREP_META_STATE_READ_ONLY] = "read-only",
		[VDREP_META_STATE_FAILED] = "failed",
	};
	u32 state = vdrep_meta_state(vol);
	char *envp[3] = {};

	vdrep_notify_send(vdrep_volume_notify_prepare(vol, VDREP_CMD_VOLUME_CHANGE_NTF));
	envp[0] = kasprintf(GFP_KERNEL, "VDREP_VOLUME=%s", vol->name);
	envp[1] = kasprintf(GFP_KERNEL, "VDREP_META_STATE=%s",
			    state < ARRAY_SIZE(meta_states) && meta_states[state] ?
			    meta_states[state] : "unknown");
	if (envp[0] && envp[1])
		kobject_uevent_env(&disk_to_dev(vol->disk)->kobj, KOBJ_CHANGE, envp);
	kfree(envp[0]);
	kfree(envp[1]);
}

/* Copy and check the name attribute @type into @name. */
static int vdrep_nl_get_name(struct genl_info *info, int type,
			     enum vdrep_name_kind kind, char *name,
			     const char *missing)
{
	const struct nlattr *attr = info->attrs[type];
	const char *msg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, type)) {
		vdrep_extack(info->extack, NULL, missing);
		return -EINVAL;
	}
	msg = vdrep_check_name(kind, nla_data(attr),
			       strnlen(nla_data(attr), nla_len(attr)), &err);
	if (msg) {
		vdrep_extack(info->extack, attr, msg);
		return err;
	}
	nla_strscpy(name, attr, VDREP_NAME_MAX_LEN + 1);
	return 0;
}

static struct vdrep_volume *vdrep_nl_volume_lookup(struct genl_info *info)
{
	char name[VDREP_NAME_MAX_LEN + 1];
	struct vdrep_volume *vol;
	int err;

	err = vdrep_nl_get_name(info, VDREP_A_VOLUME_NAME, VDREP_NAME_VOLUME,
				name, "volume name is required");
	if (err)
		return ERR_PTR(err);
	vol = vdrep_volume_find(name);
	if (!vol) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VDREP_A_VOLUME_NAME],
				    "no volume with this name");
		return ERR_PTR(-ENOENT);
	}
	return vol;
}

int vdrep_nl_volume_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdrep_volume *vol;
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vdrep_volumes_lock);
	vol = vdrep_nl_volume_lookup(info);
	if (IS_ERR(vol))
		err = PTR_ERR(vol);
	else
		err = vdrep_volume_fill(msg, vol, info->snd_portid, info->snd_seq,
					0, VDREP_CMD_VOLUME_GET, NULL);
	mutex_unlock(&vdrep_volumes_lock);

	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: the id to resume the dump at. */
int vdrep_nl_volume_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vdrep_volume *vol;
	unsigned long id;
	int err = 0;

	mutex_lock(&vdrep_volumes_lock);
	xa_for_each_start(&vdrep_volumes, id, vol, cb->args[0]) {
		err = vdrep_volume_fill(skb, vol, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI,
					VDREP_CMD_VOLUME_GET, NULL);
		if (err)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&vdrep_volumes_lock);

	/* A full skb ends this part of the dump; the next call resumes. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

int vdrep_nl_volume_create_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[VDREP_NAME_MAX_LEN + 1];
	struct nlattr **attrs = info->attrs;
	u32 chunk_size = 0;	/* the default, or the metadata device's */
	struct sk_buff *reply;
	struct vdrep_volume *vol;
	struct vdrep_assoc *a;
	const char *msg;
	int err, i;

	err = vdrep_nl_get_name(info, VDREP_A_VOLUME_NAME, VDREP_NAME_VOLUME,
				name, "volume name is required");
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, VDREP_A_VOLUME_SOURCE_PATH)) {
		NL_SET_ERR_MSG(info->extack, "source path is required");
		return -EINVAL;
	}
	if (attrs[VDREP_A_VOLUME_CHUNK_SIZE]) {
		chunk_size = nla_get_u32(attrs[VDREP_A_VOLUME_CHUNK_SIZE]);
		msg = vdrep_check_chunk_size(chunk_size);
		if (msg) {
			vdrep_extack(info->extack,
				     attrs[VDREP_A_VOLUME_CHUNK_SIZE], msg);
			return -EINVAL;
		}
	}

	reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&vdrep_volumes_lock);
	if (vdrep_volume_find(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VDREP_A_VOLUME_NAME],
				    "a volume with this name exists");
		err = -EEXIST;
		goto err_unlock;
	}
	/* The path is resolved in the caller's context (its root and cwd). */
	vol = vdrep_volume_create(name, nla_data(attrs[VDREP_A_VOLUME_SOURCE_PATH]),
				  chunk_size, attrs[VDREP_A_VOLUME_META_PATH] ?
				  nla_data(attrs[VDREP_A_VOLUME_META_PATH]) : NULL,
				  info->extack);
	if (IS_ERR(vol)) {
		err = PTR_ERR(vol);
		/* Messages about the metadata device name it; the rest the source. */
		if (attrs[VDREP_A_VOLUME_META_PATH] && info->extack->_msg &&
		    strstr(info->extack->_msg, "metadata device"))
			NL_SET_BAD_ATTR(info->extack, attrs[VDREP_A_VOLUME_META_PATH]);
		else
			NL_SET_BAD_ATTR(info->extack, attrs[VDREP_A_VOLUME_SOURCE_PATH]);
		goto err_unlock;
	}
	err = vdrep_volume_fill(reply, vol, info->snd_portid, info->snd_seq, 0,
				VDREP_CMD_VOLUME_CREATE, NULL);
	/* Sent under the lock: nothing about the volume can be announced first. */
	vdrep_notify_send(vdrep_volume_notify_prepare(vol, VDREP_CMD_VOLUME_CREATE_NTF));
	/* Associations brought back from the metadata device, then their copies. */
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (a)
			vdrep_assoc_notify(a, VDREP_CMD_ASSOC_CREATE_NTF);
	}
	vdrep_meta_assembled(vol);
	mutex_unlock(&vdrep_volumes_lock);

	if (err) {
		/* The volume exists; only the reply did not fit. */
		nlmsg_free(reply);
		return 0;
	}
	return genlmsg_reply(reply, info);

err_unlock:
	mutex_unlock(&vdrep_volumes_lock);
	nlmsg_free(reply);
	return err;
}

int vdrep_nl_volume_destroy_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdrep_volume *vol;
	struct vdrep_ntf ntf;
	int err;

	mutex_lock(&vdrep_volumes_lock);
	vol = vdrep_nl_volume_lookup(info);
	if (IS_ERR(vol)) {
		err = PTR_ERR(vol);
		goto out_unlock;
	}
	err = vdrep_volume_destroy_check(vol, info->extack);
	if (err)
		goto out_unlock;
	ntf = vdrep_volume_notify_prepare(vol, VDREP_CMD_VOLUME_DESTROY_NTF);
	vdrep_volume_destroy(vol);
	mutex_unlock(&vdrep_volumes_lock);
	vdrep_notify_send(ntf);
	return 0;

out_unlock:
	mutex_unlock(&vdrep_volumes_lock);
	return err;
}

/*
 * Stop: the last commit, marked clean, keeps every association's record
 * and maps; then they go, and the volume. Announced as destroys: the
 * objects are gone until the volume is created on its metadata again.
 */
int vdrep_nl_volume_stop_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdrep_ntf ntf[VDREP_MAX_ASSOCS] = {}, vntf;
	struct vdrep_volume *vol;
	struct vdrep_assoc *a;
	int err, i;

	mutex_lock(&vdrep_volumes_lock);
	vol = vdrep_nl_volume_lookup(info);
	if (IS_ERR(vol)) {
		err = PTR_ERR(vol);
		goto out_unlock;
	}
	err = vdrep_volume_stop_check(vol, info->extack);
	if (err)
		goto out_unlock;
	vdrep_meta_stop(vol);
	for (i = 0; i < VDREP_MAX_ASSOCS; i++) {
		a = rcu_dereference_protected(vol->assocs[i],
					      lockdep_is_held(&vdrep_volumes_lock));
		if (!a)
			continue;
		/* Blocked by the check: nothing can have opened it since. */
		WARN_ON(vdrep_view_remove(a, NULL));
		ntf[i] = vdrep_assoc_notify_prepare(a, VDREP_CMD_ASSOC_DESTROY_NTF);
		vdrep_assoc_destroy(a);
	}
	vntf = vdrep_volume_notify_prepare(vol, VDREP_CMD_VOLUME_DESTROY_NTF);
	vdrep_volume_destroy(vol);
	mutex_unlock(&vdrep_volumes_lock);
	for (i = 0; i < VDREP_MAX_ASSOCS; i++)
		vdrep_notify_send(ntf[i]);
	vdrep_notify_send(vntf);
	return 0;

out_unlock:
	mutex_unlock(&vdrep_volumes_lock);
	return err;
}

/* ------------------------------------------------------------------ assoc */

/* Everything reported about an association, read at one moment. */
struct vdrep_assoc_snapshot {
	struct vdrep_report r;
	u32 requested, priority;
	u64 sync_time, rate_limit, backlog_limit, copy_rate, copy_elapsed;
	bool view_writable;
	char view[DISK_NAME_LEN];
};

static void vdrep_assoc_snapshot(struct vdrep_assoc *a, struct vdrep_assoc_snapshot *s)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	vdrep_phase_report(a->sync_type, a->phase, a->prev_phase, &s->r);
	s->requested = a->requested;
	s->priority = a->copy_priority;
	s->rate_limit = a->rate_limit;
	s->backlog_limit = a->backlog_limit;
	s->view_writable = a->view_writable;
	vdrep_view_name(a, s->view);
	/* A synchronous mirror in sync is equal to its source right now. */
	if (vdrep_is_mirror(a) && a->phase == VDREP_PH_SYNCHRONIZED &&
	    (!vdrep_assoc_async(a) || !vdrep_chunkmap_weight(&a->async_dirty)))
		s->sync_time = ktime_get_real_ns();
	else
		s->sync_time = a->sync_time;
	spin_unlock_irqrestore(&a->lock, flags);
	s->copy_rate = READ_ONCE(a->copy_rate);
	s->copy_elapsed = vdrep_copy_elapsed_ns(a);
}

/* The seed's CopyType, ReplicaType and CopyMethodology of @a. */
static void vdrep_assoc_kind(struct vdrep_assoc *a, u32 *copy_type, u32 *replica,
			     u32 *method)
{
	switch (a->sync_type) {
	case VDREP_SYNC_TYPE_SNAPSHOT:
		*copy_type = VDREP_COPY_TYPE_UNSYNC_ASSOC;
		*replica = VDREP_REPLICA_TYPE_AFTER_DELTA;
		*method = VDREP_COPY_METHODOLOGY_COPY_ON_WRITE;
		break;
	case VDREP_SYNC_TYPE_CLONE:
		*copy_type = a->copy_type;
		*replica = VDREP_REPLICA_TYPE_FULL_COPY;
		*method = VDREP_COPY_METHODOLOGY_SNAP_AND_CLONE;
		break;
	default:
		*copy_type = vdrep_assoc_async(a) ? VDREP_COPY_TYPE_ASYNC : VDREP_COPY_TYPE_SYNC;
		*replica = VDREP_REPLICA_TYPE_FULL_COPY;
		*method = vdrep_assoc_async(a) ? VDREP_COPY_METHODOLOGY_DELTA_UPDATE :
			  (a->sync_time ? VDREP_COPY_METHODOLOGY_INCREMENTAL_COPY :
					  VDREP_COPY_METHODOLOGY_FULL_COPY);
		break;
	}
}

/*
 * Chunks where target and source differ, and those the current copy has
 * left (PercentSynced): for a restoring snapshot, the chunks to restore.
 */
static void vdrep_assoc_chunks(struct vdrep_assoc *a, enum vdrep_phase phase,
			       u64 *dirty, u64 *left)
{
	u64 total = a->dirty.nr_chunks;

	*dirty = vdrep_chunkmap_weight(&a->dirty) + vdrep_chunkmap_weight(&a->async_dirty);
	if (vdrep_is_clone(a))
		*dirty += vdrep_chunkmap_weight(&a->changed);
	*dirty = min(total, *dirty);
	*left = *dirty;
	if (vdrep_is_snapshot(a) && phase == VDREP_PH_RESTORING)
		*left = vdrep_chunkmap_weight(&a->restore);
	else if (vdrep_is_clone(a))
		*left = vdrep_chunkmap_weight(&a->dirty);
}

static int vdrep_assoc_fill(struct sk_buff *skb, struct vdrep_assoc *a,
			    u32 portid, u32 seq, int flags, u8 cmd,
			    struct nlattr **event_seq)
{
	struct block_device *t = a->target.bdev;
	struct vdrep_assoc_snapshot s;
	u64 dirty, left, total = a->dirty.nr_chunks;
	u64 capacity = 0, used = 0;
	u32 copy_type, replica, method;
	void *hdr;

	vdrep_assoc_snapshot(a, &s);
	vdrep_assoc_chunks(a, vdrep_assoc_phase(a), &dirty, &left);
	vdrep_assoc_kind(a, &copy_type, &replica, &method);
	if (vdrep_is_snapshot(a)) {
		capacity = a->store_slots * a->vol->chunk_size;
		used = vdrep_snapshot_store_used(a);
	}

	hdr = genlmsg_put(skb, portid, seq, &vdrep_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

#define PUT64(attr, v) nla_put_u64_64bit(skb, VDREP_A_ASSOC_##attr, (v), VDREP_A_ASSOC_PAD)
	if (nla_put_string(skb, VDREP_A_ASSOC_VOLUME, a->vol->name) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_ID, a->id) ||
	    nla_put_string(skb, VDREP_A_ASSOC_NAME, a->name) ||
	    nla_put_string(skb, VDREP_A_ASSOC_TARGET_PATH, a->target_path) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_TARGET_MAJOR, MAJOR(t->bd_dev)) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_TARGET_MINOR, MINOR(t->bd_dev)) ||
	    PUT64(TARGET_SIZE, bdev_nr_bytes(t)) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_SYNC_TYPE, a->sync_type) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_SYNC_MODE, a->sync_mode) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_COPY_TYPE, copy_type) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_REPLICA_TYPE, replica) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_COPY_METHODOLOGY, method) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_COPY_PRIORITY, s.priority) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_COPY_STATE, s.r.copy_state) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_REQUESTED_COPY_STATE, s.requested) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_SYNC_STATE, s.r.sync_state) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_PROGRESS_STATUS, s.r.progress_status) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_PERCENT_SYNCED, vdrep_percent_synced(left, total)) ||
	    PUT64(SYNC_TIME, s.sync_time) ||
	    nla_put_u8(skb, VDREP_A_ASSOC_SYNC_MAINTAINED,
		       s.r.copy_state == VDREP_COPY_STATE_SYNCHRONIZED) ||
	    nla_put_u32(skb, VDREP_A_ASSOC_CHUNK_SIZE, a->vol->chunk_size) ||
	    PUT64(TOTAL_CHUNKS, total) ||
	    PUT64(DIRTY_CHUNKS, dirty) ||
	    PUT64(COPIED_CHUNKS, atomic64_read(&a->copied_chunks)) ||
	    PUT64(BYTES_BEHIND, vdrep_assoc_bytes_behind(a)) ||
	    PUT64(BACKLOG_LIMIT, s.backlog_limit) ||
	    PUT64(RATE_LIMIT, s.rate_limit) ||
	    PUT64(COPY_RATE, s.copy_rate) ||
	    PUT64(COPY_ELAPSED, s.copy_elapsed) ||
	    PUT64(SOURCE_READ_ERRORS, atomic64_read(&a->source_read_errors)) ||
	    PUT64(SOURCE_WRITE_ERRORS, atomic64_read(&a->source_write_errors)) ||
	    PUT64(TARGET_READ_ERRORS, atomic64_read(&a->target_read_errors)) ||
	    PUT64(TARGET_WRITE_ERRORS, atomic64_read(&a->target_write_errors)) ||
	    PUT64(STORE_CAPACITY, capacity) ||
	    PUT64(STORE_USED, used) ||
	    PUT64(OLD_DATA_READS, atomic64_read(&a->old_data_reads)))
		goto err_cancel;
	if (s.view_writable && nla_put_flag(skb, VDREP_A_ASSOC_VIEW_WRITABLE))
		goto err_cancel;
	if (s.view[0] && nla_put_string(skb, VDREP_A_ASSOC_VIEW_DISK_NAME, s.view))
		goto err_cancel;
	if (event_seq) {
		*event_seq = nla_reserve_64bit(skb, VDREP_A_ASSOC_EVENT_SEQ,
					       sizeof(u64), VDREP_A_ASSOC_PAD);
		if (!*event_seq)
			goto err_cancel;
	}
#undef PUT64

	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static struct vdrep_ntf vdrep_assoc_notify_prepare(struct vdrep_assoc *a, u8 cmd)
{
	struct vdrep_ntf ntf = {};

	if (!genl_has_listeners(&vdrep_family, &init_net, VDREP_NLGRP_EVENTS))
		return ntf;
	ntf.skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (ntf.skb && vdrep_assoc_fill(ntf.skb, a, 0, 0, 0, cmd, &ntf.seq)) {
		nlmsg_free(ntf.skb);
		ntf.skb = NULL;
	}
	return ntf;
}

/* Announce @a now (process context). */
void vdrep_assoc_notify(struct vdrep_assoc *a, u8 cmd)
{
	vdrep_notify_send(vdrep_assoc_notify_prepare(a, cmd));
}

/* Looks up the volume and association named by the request. */
static struct vdrep_assoc *vdrep_nl_assoc_lookup(struct genl_info *info,
						 struct vdrep_volume **volp)
{
	char vname[VDREP_NAME_MAX_LEN + 1], aname[VDREP_NAME_MAX_LEN + 1];
	struct vdrep_volume *vol;
	struct vdrep_assoc *a;
	int err;

	err = vdrep_nl_get_name(info, VDREP_A_ASSOC_VOLUME, VDREP_NAME_VOLUME,
				vname, "volume name is required");
	if (!err)
		err = vdrep_nl_get_name(info, VDREP_A_ASSOC_NAME, VDREP_NAME_ASSOC,
					aname, "association name is required");
	if (err)
		return ERR_PTR(err);
	vol = vdrep_volume_find(vname);
	if (!vol) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VDREP_A_ASSOC_VOLUME],
				    "no volume with this name");
		return ERR_PTR(-ENOENT);
	}
	if (volp)
		*volp = vol;
	a = vdrep_assoc_find(vol, aname);
	if (!a) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VDREP_A_ASSOC_NAME],
				    "the volume has no association with this name");
		return ERR_PTR(-ENOENT);
	}
	return a;
}

int vdrep_nl_assoc_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdrep_assoc *a;
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&vdrep_volumes_lock);
	a = vdrep_nl_assoc_lookup(info, NULL);
	if (IS_ERR(a))
		err = PTR_ERR(a);
	else
		err = vdrep_assoc_fill(msg, a, info->snd_portid, info->snd_seq, 0,
				       VDREP_CMD_ASSOC_GET, NULL);
	mutex_unlock(&vdrep_volumes_lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * cb->args[0]: volume id to resume at; cb->args[1]: association id within it.
 * An optional volume attribute limits the dump to that volume.
 */
int vdrep_nl_assoc_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **attrs = vdrep_dump_attrs(cb);
	const char *only = NULL;
	struct vdrep_volume *vol;
	unsigned long vid;
	int err = 0;

	if (attrs && attrs[VDREP_A_ASSOC_VOLUME])
		only = nla_data(attrs[VDREP_A_ASSOC_VOLUME]);

	mutex_lock(&vdrep_volumes_lock);
	if (only && !vdrep_volume_find(only)) {
		mutex_unlock(&vdrep_volumes_lock);
		NL_SET_ERR_MSG(cb->extack, "no volume with this name");
		return -ENOENT;
	}
	xa_for_each_start(&vdrep_volumes, vid, vol, cb->args[0]) {
		unsigned int i;

		if (only && strcmp(vol->name, only)) {
			cb->args[1] = 0;
			continue;
		}
		for (i = cb->args[1]; i < VDREP_MAX_ASSOCS; i++) {
			struct vdrep_assoc *a = vol->slots[i];

			if (!a)
				continue;
			err = vdrep_assoc_fill(skb, a, NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq, NLM_F_MULTI,
					       VDREP_CMD_ASSOC_GET, NULL);
			if (err)
				break;
			cb->args[0] = vid;
			cb->args[1] = i + 1;
		}
		if (err)
			break;
		cb->args[0] = vid + 1;
		cb->args[1] = 0;
	}
	mutex_unlock(&vdrep_volumes_lock);

	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

static int vdrep_nl_check_backlog(struct genl_info *info, u64 *backlog)
{
	const struct nlattr *attr = info->attrs[VDREP_A_ASSOC_BACKLOG_LIMIT];
	const char *msg;

	if (!attr)
		return 0;
	*backlog = nla_get_u64(attr);
	msg = vdrep_check_backlog_limit(*backlog);
	if (msg) {
		vdrep_extack(info->extack, attr, msg);
		return -ERANGE;
	}
	return 0;
}

/* The kind-specific create attributes: present only where they apply. */
static int vdrep_nl_check_kind(struct genl_info *info, struct vdrep_assoc_params *p)
{
	struct nlattr **attrs = info->attrs;
	const char *msg;

	if (attrs[VDREP_A_ASSOC_SYNC_TYPE])
		p->sync_type = nla_get_u32(attrs[VDREP_A_ASSOC_SYNC_TYPE]);
	if (attrs[VDREP_A_ASSOC_SYNC_MODE]) {
		if (p->sync_type != VDREP_SYNC_TYPE_MIRROR) {
			NL_SET_ERR_MSG_ATTR(info->extack, attrs[VDREP_A_ASSOC_SYNC_MODE],
					    "a sync mode applies only to mirrors");
			return -EINVAL;
		}
		p->sync_mode = nla_get_u32(attrs[VDREP_A_ASSOC_SYNC_MODE]);
		msg = vdrep_check_sync_mode(p->sync_mode);
		if (msg) {
			vdrep_extack(info->extack, attrs[VDREP_A_ASSOC_SYNC_MODE], msg);
			return -EINVAL;
		}
	}
	if (p->sync_type != VDREP_SYNC_TYPE_MIRROR)
		p->sync_mode = VDREP_SYNC_MODE_UNKNOWN;
	if (attrs[VDREP_A_ASSOC_COPY_TYPE]) {
		if (p->sync_type != VDREP_SYNC_TYPE_CLONE) {
			NL_SET_ERR_MSG_ATTR(info->extack, attrs[VDREP_A_ASSOC_COPY_TYPE],
					    "a copy type applies only to clones");
			return -EINVAL;
		}
		p->copy_type = nla_get_u32(attrs[VDREP_A_ASSOC_COPY_TYPE]);
		msg = vdrep_check_copy_type(p->copy_type);
		if (msg) {
			vdrep_extack(info->extack, attrs[VDREP_A_ASSOC_COPY_TYPE], msg);
			return -EINVAL;
		}
	}
	if (p->backlog_limit && p->sync_mode != VDREP_SYNC_MODE_ASYNCHRONOUS) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VDREP_A_ASSOC_BACKLOG_LIMIT],
				    "a backlog limit applies only to asynchronous mirrors");
		return -EINVAL;
	}
	return 0;
}

int vdrep_nl_assoc_create_doit(struct sk_buff *skb, struct genl_info *info)
{
	char vname[VDREP_NAME_MAX_LEN + 1], aname[VDREP_NAME_MAX_LEN + 1];
	struct vdrep_assoc_params p = {
		.name = aname,
		.sync_type = VDREP_SYNC_TYPE_MIRROR,
		.sync_mode = VDREP_SYNC_MODE_SYNCHRONOUS,
		.copy_type = VDREP_COPY_TYPE_UNSYNC_ASSOC,
		.copy_priority = VDREP_COPY_PRIORITY_SAME,
	};
	struct nlattr **attrs = info->attrs;
	struct sk_buff *reply;
	struct vdrep_volume *vol;
	struct vdrep_assoc *a;
	const char *msg;
	int err;

	err = vdrep_nl_get_name(info, VDREP_A_ASSOC_VOLUME, VDREP_NAME_VOLUME,
				vname, "volume name is required");
	if (!err)
		err = vdrep_nl_get_name(info, VDREP_A_ASSOC_NAME, VDREP_NAME_ASSOC,
					aname, "association name is required");
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, VDREP_A_ASSOC_TARGET_PATH)) {
		NL_SET_ERR_MSG(info->extack, "target path is required");
		return -EINVAL;
	}
	p.target_path = nla_data(attrs[VDREP_A_ASSOC_TARGET_PATH]);
	if (attrs[VDREP_A_ASSOC_COPY_PRIORITY])
		p.copy_priority = nla_get_u32(attrs[VDREP_A_ASSOC_COPY_PRIORITY]);
	if (attrs[VDREP_A_ASSOC_RATE_LIMIT])
		p.rate_limit = nla_get_u64(attrs[VDREP_A_ASSOC_RATE_LIMIT]);
	p.prepare_only = nla_get_flag(attrs[VDREP_A_ASSOC_PREPARE_ONLY]);
	p.view_writable = nla_get_flag(attrs[VDREP_A_ASSOC_VIEW_WRITABLE]);
	err = vdrep_nl_check_backlog(info, &p.backlog_limit);
	if (!err)
		err = vdrep_nl_check_kind(info, &p);
	if (err)
		return err;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&vdrep_volumes_lock);
	vol = vdrep_volume_find(vname);
	if (!vol) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VDREP_A_ASSOC_VOLUME],
				    "no volume with this name");
		err = -ENOENT;
		goto err_unlock;
	}
	if (vdrep_assoc_find(vol, aname)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VDREP_A_ASSOC_NAME],
				    "the volume has an association with this name");
		err = -EEXIST;
		goto err_unlock;
	}
	msg = vdrep_meta_check_path(vol, p.target_path);
	if (msg) {
		vdrep_extack(info->extack, attrs[VDREP_A_ASSOC_TARGET_PATH], msg);
		err = -ENAMETOOLONG;
		goto err_unlock;
	}
	a = vdrep_assoc_create(vol, &p, info->extack);
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
		if (err != -ENOSPC && err != -EBUSY)
			NL_SET_BAD_ATTR(info->extack, attrs[VDREP_A_ASSOC_TARGET_PATH]);
		goto err_unlock;
	}
	err = vdrep_assoc_fill(reply, a, info->snd_portid, info->snd_seq, 0,
			       VDREP_CMD_ASSOC_CREATE, NULL);
	/* Announced before its copy starts: no change comes before the create. */
	vdrep_notify_send(vdrep_assoc_notify_prepare(a, VDREP_CMD_ASSOC_CREATE_NTF));
	if (!p.prepare_only)
		vdrep_assoc_start(a);
	vdrep_meta_commit(vol);
	mutex_unlock(&vdrep_volumes_lock);

	if (err) {
		nlmsg_free(reply);
		return 0;
	}
	return genlmsg_reply(reply, info);

err_unlock:
	mutex_unlock(&vdrep_volumes_lock);
	nlmsg_free(reply);
	return err;
}

/*
 * Detach: the view goes first (refused if open), then the association.
 * Caller holds vdrep_volumes_lock.
 */
int vdrep_assoc_detach(struct vdrep_assoc *a, struct netlink_ext_ack *extack)
{
	struct vdrep_volume *vol;
	struct vdrep_ntf ntf;
	unsigned long flags;
	const char *msg;
	int err;

	spin_lock_irqsave(&a->lock, flags);
	msg = vdrep_op_check(a->sync_type, VDREP_OPERATION_DETACH, a->phase, &err);
	spin_unlock_irqrestore(&a->lock, flags);
	/* A restore that broke still serves unrestored chunks from the target. */
	if (!msg && rcu_access_pointer(a->vol->redirect) == a) {
		msg = "the volume still reads chunks not yet restored from this target: resync to finish the restore first";
		err = -EBUSY;
	}
	if (msg) {
		vdrep_extack(extack, NULL, msg);
		return err;
	}
	err = vdrep_view_remove(a, extack);
	if (err)
		return err;
	spin_lock_irqsave(&a->lock, flags);
	a->requested = VDREP_COPY_STATE_NOT_APPLICABLE;
	spin_unlock_irqrestore(&a->lock, flags);
	vdrep_assoc_set_phase(a, VDREP_PH_DETACHING);
	ntf = vdrep_assoc_notify_prepare(a, VDREP_CMD_ASSOC_DESTROY_NTF);
	vol = a->vol;
	vdrep_assoc_destroy(a);
	vdrep_notify_send(ntf);
	vdrep_meta_commit(vol);
	return 0;
}

int vdrep_nl_assoc_destroy_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vdrep_assoc *a;
	int err;

	mutex_lock(&vdrep_volumes_lock);
	a = vdrep_nl_assoc_lookup(info, NULL);
	err = IS_ERR(a) ? PTR_ERR(a) : vdrep_assoc_detach(a, info->extack);
	mutex_unlock(&vdrep_volumes_lock);
	return err;
}

int vdrep_nl_assoc_modify_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	u64 backlog = 0;
	struct vdrep_assoc *a;
	struct sk_buff *reply;
	unsigned long flags;
	int err;

	err = vdrep_nl_check_backlog(info, &backlog);
	if (err)
		return err;
	if (!attrs[VDREP_A_ASSOC_OPERATION] && !attrs[VDREP_A_ASSOC_COPY_PRIORITY] &&
	    !attrs[VDREP_A_ASSOC_RATE_LIMIT] && !attrs[VDREP_A_ASSOC_BACKLOG_LIMIT] &&
	    !attrs[VDREP_A_ASSOC_VIEW_WRITABLE]) {
		NL_SET_ERR_MSG(info->extack, "nothing to do: give an operation or a setting");
		return -EINVAL;
	}

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	mutex_lock(&vdrep_volumes_lock);
	a = vdrep_nl_assoc_lookup(info, NULL);
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
		goto out_unlock;
	}
	if (backlog && !vdrep_assoc_async(a)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VDREP_A_ASSOC_BACKLOG_LIMIT],
				    "a backlog limit applies only to asynchronous mirrors");
		err = -EINVAL;
		goto out_unlock;
	}
	if (attrs[VDREP_A_ASSOC_OPERATION]) {
		u32 op = nla_get_u32(attrs[VDREP_A_ASSOC_OPERATION]);

		if (op == VDREP_OPERATION_DETACH) {
			err = vdrep_assoc_detach(a, info->extack);
			mutex_unlock(&vdrep_volumes_lock);
			nlmsg_free(reply);
			return err;
		}
		err = vdrep_assoc_operate(a, op, info->extack);
		if (err)
			goto out_unlock;
	}
	spin_lock_irqsave(&a->lock, flags);
	if (attrs[VDREP_A_ASSOC_COPY_PRIORITY])
		a->copy_priority = nla_get_u32(attrs[VDREP_A_ASSOC_COPY_PRIORITY]);
	if (attrs[VDREP_A_ASSOC_RATE_LIMIT])
		WRITE_ONCE(a->rate_limit, nla_get_u64(attrs[VDREP_A_ASSOC_RATE_LIMIT]));
	if (backlog)
		a->backlog_limit = backlog;
	spin_unlock_irqrestore(&a->lock, flags);
	if (nla_get_flag(attrs[VDREP_A_ASSOC_VIEW_WRITABLE]))
		vdrep_view_set_writable(a);
	if (!attrs[VDREP_A_ASSOC_OPERATION])
		vdrep_assoc_notify(a, VDREP_CMD_ASSOC_CHANGE_NTF);
	vdrep_meta_commit(a->vol);
	err = vdrep_assoc_fill(reply, a, info->snd_portid, info->snd_seq, 0,
			       VDREP_CMD_ASSOC_MODIFY, NULL);
	mutex_unlock(&vdrep_volumes_lock);
	if (err) {
		nlmsg_free(reply);
		return 0;
	}
	return genlmsg_reply(reply, info);

out_unlock:
	mutex_unlock(&vdrep_volumes_lock);
	nlmsg_free(reply);
	return err;
}

/* ------------------------------------------------------------------ family */

static struct genl_family vdrep_family = {
	.name		= VDREP_FAMILY_NAME,
	.version	= VDREP_FAMILY_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= vdrep_nl_ops,
	.n_ops		= ARRAY_SIZE(vdrep_nl_ops),
	.mcgrps		= vdrep_nl_mcgrps,
	.n_mcgrps	= VDREP_NLGRP_EVENTS + 1,
};

int vdrep_netlink_init(void)
{
	return genl_register_family(&vdrep_family);
}

void vdrep_netlink_exit(void)
{
	genl_unregister_family(&vdrep_family);
}
