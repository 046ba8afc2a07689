#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Target views and uevents under a real systemd-udevd with the project's
# userspace/udev/60-vdrep.rules (started by the test, as in
# test_volume_14_udev): fracturing a mirror makes /dev/vdrep/<volume>:<assoc>
# point at the view /dev/vdrepNaM (and udev's database lists it); resync
# removes the view and the link. A listener on the kernel's uevent socket
# (vdrep_nl.py uevents) sees a "change" uevent on the volume's disk for each
# transition, carrying VDREP_ASSOC, VDREP_COPY_STATE, VDREP_SYNC_STATE and
# VDREP_PROGRESS_STATUS with the new state's names, in order: synchronized
# (end of the initial sync), fracturing, fractured, resyncing, synchronized.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools udevadm jq
[ -x "$UDEVD" ] || ktap_skip_all "no $UDEVD (Debian package udev)"
[ -r "$UDEV_RULES" ] || ktap_skip_all "no $UDEV_RULES"
if udevadm control --ping >/dev/null 2>&1; then
	ktap_skip_all "a udevd already runs here; this test starts its own"
fi
ktap_plan 24


# link_is LINK DEV: /dev/vdrep/LINK resolves to DEV.
link_is()
{
	local target

	target=$(readlink -f "/dev/vdrep/$1") || return 1
	[ "$target" = "$2" ] && return 0
	diag "/dev/vdrep/$1 -> $target, expected $2"
	return 1
}

link_absent()
{
	[ ! -e "/dev/vdrep/$1" ] && [ ! -L "/dev/vdrep/$1" ]
}

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 16 || ktap_abort "cannot set up brd ramdisks"
check "systemd-udevd runs with 60-vdrep.rules" udevd_start || ktap_abort "udevd did not start"

ue=$tmpdir/uevents.json
vdrep_nl uevents --ready "$tmpdir/ue.ready" --match SUBSYSTEM=block >"$ue" 2>&1 &
track_pids+=("$!")
ue_ready()
{
	[ -e "$tmpdir/ue.ready" ]
}
check "the uevent listener is listening" eventually ue_ready

check "create volume u09 on /dev/ram0" vol_create u09 /dev/ram0 ||
	ktap_abort "volume create failed"
disk=$(vol_disk u09)
check "udev settles; /dev/vdrep/u09 -> /dev/$disk" eval 'udev_settle && link_is u09 "/dev/$disk"'
check "mirror u09/m on /dev/ram1, synchronized and idle" \
	eval 'assoc_create u09/m /dev/ram1 && assoc_wait_idle u09/m' ||
	ktap_abort "no synchronized mirror"

check "fracture u09/m (fractured)" eval 'assoc_op fracture u09/m && assoc_wait u09/m fractured'
view=$(assoc_view u09/m)
check "udev settles after the view's add event" udev_settle
check "/dev/vdrep/u09:m -> $view" link_is u09:m "$view"
check "udev database lists /dev/vdrep/u09:m for ${view#/dev/}" \
	eval 'udevadm info --query=property --name="$view" | grep -E "^DEVLINKS=" |
		tr " =" "\n\n" | grep -qxF /dev/vdrep/u09:m'
check_eq "/dev/vdrep/u09:m opens and has the volume's size" "$(blockdev --getsize64 "/dev/$disk")" \
	"$(blockdev --getsize64 /dev/vdrep/u09:m 2>&1)"

check "resync u09/m (synchronized, idle)" eval 'assoc_op resync u09/m && assoc_wait_idle u09/m'
check "udev settles after the view's remove event" udev_settle
check "/dev/vdrep/u09:m is gone" link_absent u09:m
check "the view $view is gone" test ! -e "$view"

# The change uevents of association m: "DISK COPY/SYNC/PROGRESS" a line.
uevent_states()
{
	jq -R -r 'fromjson? | select(.ACTION == "change" and .VDREP_ASSOC == "m") |
		((.DEVNAME // "?") | split("/") | last) + " " +
		(.VDREP_COPY_STATE // "?") + "/" + (.VDREP_SYNC_STATE // "?") + "/" +
		(.VDREP_PROGRESS_STATUS // "?")' "$ue" 2>/dev/null
}
seen()
{
	uevent_states | grep -qxF "$disk $1"
}
for s in "$ST_SYNCHRONIZED" synchronized/fracture-in-progress/fracturing \
	"$ST_FRACTURED" "$ST_RESYNCING"; do
	check "a change uevent on $disk with u09/m $s" eventually seen "$s"
done

# The expected states in this order (others may come between).
in_order()
{
	uevent_states | awk -v disk="$disk" -v want="$*" '
		BEGIN { n = split(want, w, " "); i = 1 }
		$1 == disk && i <= n && $2 == w[i] { i++ }
		END { exit !(i > n) }'
}
order="$ST_SYNCHRONIZED synchronized/fracture-in-progress/fracturing $ST_FRACTURED"
order+=" $ST_RESYNCING $ST_SYNCHRONIZED"
check "the uevents come in order, the last synchronized after the resync" eventually in_order "$order"
check "every u09/m uevent is on the volume's disk $disk" \
	eval '[ -z "$(uevent_states | grep -v "^$disk ")" ]'

check "destroy u09/m" assoc_destroy u09/m
# The destroy of u09/m sent a change event: udev probes the disk (opens it) while it runs.
check "udev settles; destroy u09" eval 'udev_settle && vol_destroy u09'
check "/dev/vdrep/u09 is gone after settling" eval 'udev_settle && link_absent u09'

if [ "$ktap_failed" -gt 0 ]; then
	diag "change uevents of u09/m:"
	uevent_states | uniq | head -n 40 | sed 's/^/#   /'
fi

ktap_finished
