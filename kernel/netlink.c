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
 */
static atomic64_t vdrep_event_seq = ATOMIC64_INIT(0);

/* ------------------------------------------------------------------ volume */

static int vdrep_volume_fill(struct sk_buff *skb, struct vdrep_volume *vol,
			     u32 portid, u32 seq, int flags, u8 cmd, u64 event_seq)
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
	    nla_put_u32(skb, VDREP_A_VOLUME_ASSOC_COUNT, 0) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_OPEN_COUNT, vdrep_volume_openers(vol)) ||
	    nla_put_u32(skb, VDREP_A_VOLUME_META_STATE, VDREP_META_STATE_TRANSIENT))
		goto err_cancel;
	if (event_seq &&
	    nla_put_u64_64bit(skb, VDREP_A_VOLUME_EVENT_SEQ, event_seq,
			      VDREP_A_VOLUME_PAD))
		goto err_cancel;

	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Build a notification about @vol now (for a destroy, before the volume is
 * gone); vdrep_notify_send() sends it once the caller has dropped its locks.
 * Caller holds vdrep_volumes_lock, which also orders event sequence numbers.
 */
static struct sk_buff *vdrep_volume_notify_prepare(struct vdrep_volume *vol, u8 cmd)
{
	struct sk_buff *skb;

	lockdep_assert_held(&vdrep_volumes_lock);
	if (!genl_has_listeners(&vdrep_family, &init_net, VDREP_NLGRP_EVENTS))
		return NULL;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	if (vdrep_volume_fill(skb, vol, 0, 0, 0, cmd,
			      atomic64_inc_return(&vdrep_event_seq))) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void vdrep_notify_send(struct sk_buff *skb)
{
	if (skb)
		genlmsg_multicast(&vdrep_family, skb, 0, VDREP_NLGRP_EVENTS,
				  GFP_KERNEL);
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
					0, VDREP_CMD_VOLUME_GET, 0);
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
					VDREP_CMD_VOLUME_GET, 0);
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
	u32 chunk_size = VDREP_CHUNK_SIZE_DEFAULT;
	struct sk_buff *reply, *ntf;
	struct vdrep_volume *vol;
	const char *msg;
	int err;

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
				  chunk_size, info->extack);
	if (IS_ERR(vol)) {
		err = PTR_ERR(vol);
		NL_SET_BAD_ATTR(info->extack, attrs[VDREP_A_VOLUME_SOURCE_PATH]);
		goto err_unlock;
	}
	err = vdrep_volume_fill(reply, vol, info->snd_portid, info->snd_seq, 0,
				VDREP_CMD_VOLUME_CREATE, 0);
	ntf = vdrep_volume_notify_prepare(vol, VDREP_CMD_VOLUME_CREATE_NTF);
	mutex_unlock(&vdrep_volumes_lock);

	vdrep_notify_send(ntf);
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
	struct sk_buff *ntf;
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
