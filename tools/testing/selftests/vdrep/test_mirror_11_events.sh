#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Association notifications, read raw from the "events" group (vdrep_nl.py
# listen): assoc-create-ntf on create, assoc-change-ntf on every transition,
# transient ones included (fracturing between synchronized and fractured),
# and on PercentSynced steps, at most one per percent (strictly growing
# during the initial copy, 100 only once synchronized), assoc-destroy-ntf on
# destroy; every notification carries event-seq, one sequence with the
# volume events, without gaps; a refused operation sends nothing.
# vdrepctl monitor dumps an existing association as an "exists assoc
# VOLUME/NAME ..." line before "exists -".

# shellcheck source=lib.sh disable=SC2016 # jq filters in single quotes
. "$(dirname "$0")/lib.sh"

test_init
require_tools jq
ktap_plan 20

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 3 16 || ktap_abort "cannot set up brd ramdisks"

ev=$tmpdir/events.json
vdrep_nl listen --json --ready "$tmpdir/listen.ready" >"$ev" 2>&1 &
track_pids+=("$!")
listen_ready()
{
	[ -e "$tmpdir/listen.ready" ]
}
check "the listener joined the events group" eventually listen_ready ||
	ktap_abort "no listener"

check "create volume e11 on /dev/ram0" vol_create e11 /dev/ram0 ||
	ktap_abort "volume create failed"
# 16 MiB at 1 MiB/s: a copy of many percent steps.
check "create mirror e11/m on /dev/ram1 with --rate 1M" \
	assoc_create e11/m /dev/ram1 --rate 1M || ktap_abort "assoc create failed"
check "e11/m becomes synchronized and idle" assoc_wait_idle e11/m
check "fracture e11/m (fractured)" eval 'assoc_op fracture e11/m && assoc_wait e11/m fractured'
expect_fail "a refused operation (split of a fractured mirror)" "Invalid argument" \
	"operation does not apply" assoc split e11/m
check "destroy e11/m" assoc_destroy e11/m
check "destroy e11" vol_destroy e11
destroyed()
{
	grep -q '"cmd": "volume-destroy-ntf"' "$ev"
}
check "the volume's destroy notification arrives" eventually destroyed

# q JQ_FILTER: run it over the notification lines as one array.
q()
{
	jq -s -r "$1" "$ev" 2>&1
}
assoc='map(select(.cmd | startswith("assoc")))'
check_eq "e11/m's notifications begin with assoc-create-ntf, end with assoc-destroy-ntf" \
	"assoc-create-ntf assoc-destroy-ntf" \
	"$(q "$assoc | [first.cmd, last.cmd] | join(\" \")")"
check_eq "one create and one destroy notification" "1 1" \
	"$(q "$assoc | [(map(select(.cmd == \"assoc-create-ntf\")) | length),
		(map(select(.cmd == \"assoc-destroy-ntf\")) | length)] | map(tostring) | join(\" \")")"
check_eq "every notification carries volume e11, name m and an event-seq" 0 \
	"$(q "$assoc | map(select(.volume != \"e11\" or .name != \"m\" or .event_seq == null)) | length")"
check_eq "event-seq of all notifications (volumes too) grows by 1 each" true \
	"$(q '[.[].event_seq] | . as $s | [range(1; length) | $s[.] - $s[. - 1]] | all(. == 1)')"
# The initial copy: percent steps until synchronized.
sync_phase="$assoc | map(select(.cmd == \"assoc-change-ntf\")) |
	(map(.copy_state) | index(\"synchronized\")) as \$i | .[0:\$i]"
check_eq "during the initial copy PercentSynced strictly grows (one notification a step)" true \
	"$(q "$sync_phase | map(.percent_synced) | . as \$p |
		[range(1; length) | \$p[.] > \$p[. - 1]] | all")"
check "the initial copy notified more than 10 percent steps" \
	test "$(q "$sync_phase | map(.percent_synced) | unique | length")" -gt 10
check_eq "during the initial copy 100 % only with no dirty chunk left" 0 \
	"$(q "$sync_phase | map(select(.percent_synced == 100 and .dirty_chunks != 0)) | length")"
# The states of the change notifications, repeats (percent steps) merged.
states="$assoc | map(select(.cmd == \"assoc-change-ntf\")) |
	map(.copy_state + \"/\" + .sync_state + \"/\" + .progress_status) |
	reduce .[] as \$x ([]; if length > 0 and .[-1] == \$x then . else . + [\$x] end)"
check_eq "the changes go synchronized, fracturing (transient), fractured" \
	"$ST_SYNCHRONIZED synchronized/fracture-in-progress/fracturing $ST_FRACTURED" \
	"$(q "$states | index(\"$ST_SYNCHRONIZED\") as \$i | .[\$i:\$i + 3] | join(\" \")")"
check_eq "nothing notified for the refused split" 0 \
	"$(q "$assoc | map(select(.progress_status == \"splitting\")) | length")"

# --- monitor dumps existing associations
vol_create e11b /dev/ram1 >/dev/null
assoc_create e11b/pre /dev/ram2 --prepare-only >/dev/null
mon=$tmpdir/monitor.txt
monitor_start "$mon"
check "monitor dumps 'exists assoc e11b/pre ...' before 'exists -'" \
	test "$(grep -m1 -n '^exists assoc e11b/pre ' "$mon" | cut -d: -f1)" \
	-lt "$(grep -m1 -n '^exists -$' "$mon" | cut -d: -f1)"

if [ "$ktap_failed" -gt 0 ]; then
	diag "assoc notifications (cmd copy/sync/progress percent seq):"
	q '.[] | select(.cmd | startswith("assoc")) | [.cmd, .copy_state, .sync_state,
		.progress_status, .percent_synced, .event_seq] | map(tostring) | join(" ")' |
		tail -n 40 | sed 's/^/#   /'
fi

ktap_finished
