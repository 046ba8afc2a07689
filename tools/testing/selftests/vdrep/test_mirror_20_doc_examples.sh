#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The examples of the admin guide run as written: every ".. code-block:: sh"
# of the "Mirror examples" section of Documentation/admin-guide/vdrep.rst
# (or of the section named by VDREP_DOC_SECTION: test_snapshot_20 and
# test_clone_20 run this for "Snapshot examples" and "Clone examples") is
# extracted at run time and run on its own, with the setup the guide
# describes (fresh brd ramdisks /dev/ram0..3 of 16 MiB, the module loaded,
# vdrepctl on PATH), under bash -e -o pipefail in a session of its own. One
# KTAP case per block, one that it removed everything it made, and checks of
# the end state its example implies (source and target equal, read with
# O_DIRECT; the refusals and events it shows), chosen by the example's title.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

GUIDE=$VDREP_TOP/Documentation/admin-guide/vdrep.rst
SECTION=${VDREP_DOC_SECTION:-Mirror examples}
BLOCK_TIMEOUT=300

test_init
require_tools jq cmp sha256sum mkfs.ext4 e2fsck fsfreeze setsid
[ -r "$GUIDE" ] || ktap_skip_all "no $GUIDE"

# extract DIR: block-NN.sh and block-NN.title in DIR for every sh code block
# of the $SECTION section (up to the next section or chapter
# heading); the title is the subsection heading above the block. Prints the
# number of blocks.
extract()
{
	"$PYTHON" -S - "$GUIDE" "$1" "$SECTION" <<'PY'
import os, re, sys

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = sys.argv[2]

def heading(i):
    """The underline character if lines[i] is a heading title, else None."""
    if i + 1 >= len(lines) or not lines[i].strip() or lines[i].startswith((" ", "\t")):
        return None
    u = lines[i + 1]
    if len(u) >= 3 and len(set(u)) == 1 and u[0] in "=-~^" and len(u) >= len(lines[i].rstrip()):
        return u[0]
    return None

start = None
for i in range(len(lines)):
    if lines[i].strip() == sys.argv[3] and heading(i) == "-":
        start = i + 2
        break
if start is None:
    print(0)
    sys.exit(0)

n, title, i = 0, "", start
while i < len(lines):
    h = heading(i)
    if h in ("=", "-"):
        break
    if h:
        title = lines[i].strip()
        i += 2
        continue
    if re.match(r"^\.\. code-block::\s*sh\s*$", lines[i]):
        i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or lines[i][0] in " \t"):
            body.append(lines[i].expandtabs(8))
            i += 1
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        indent = min(len(l) - len(l.lstrip()) for l in body if l.strip())
        n += 1
        with open(os.path.join(out, "block-%02d.sh" % n), "w") as f:
            f.write("\n".join(l[indent:] for l in body) + "\n")
        with open(os.path.join(out, "block-%02d.title" % n), "w") as f:
            f.write(title + "\n")
        continue
    i += 1
print(n)
PY
}

blocks=$tmpdir/blocks
mkdir -p "$blocks"
nblocks=$(extract "$blocks") || nblocks=0
[ "$nblocks" -gt 0 ] 2>/dev/null || ktap_skip_all "no sh code block under \"$SECTION\" in $GUIDE"

# Checks of the end state, by example title; each line of the output of
# checks_for TITLE is one check: "DESCRIPTION<TAB>FUNCTION ARGS...". The
# snapshot and clone examples check their end state themselves (test ...).
checks_for()
{
	[ "$SECTION" = "Mirror examples" ] || return 0
	case $1 in
	"A synchronous mirror" | "Fracture, write, resync" | \
	"A consistent backup with split" | "A writable view" | "Failover and failback")
		printf '%s\t%s\n' "source /dev/ram0 and target /dev/ram1 are equal" "disks_equal /dev/ram0 /dev/ram1" ;;
	"Roll back with restore")
		printf '%s\t%s\n' "source /dev/ram0 and target /dev/ram1 are equal" "disks_equal /dev/ram0 /dev/ram1"
		printf '%s\t%s\n' "the source starts with the restored \"good data\"" "starts_with /dev/ram0 'good data'" ;;
	"Prepare, suspend, resume, abort")
		printf '%s\t%s\n' "/dev/ram0 and /dev/ram1 are equal" "disks_equal /dev/ram0 /dev/ram1"
		printf '%s\t%s\n' "/dev/ram0 and /dev/ram2 (aborted, then resynced) are equal" "disks_equal /dev/ram0 /dev/ram2" ;;
	"An asynchronous mirror")
		printf '%s\t%s\n' "source /dev/ram0 and asynchronous target /dev/ram3 are equal" "disks_equal /dev/ram0 /dev/ram3" ;;
	"Refusals")
		printf '%s\t%s\n' "it showed \"operation does not apply: association is synchronized\"" "output_has 'operation does not apply: association is synchronized'"
		printf '%s\t%s\n' "it showed \"target is in use\" for the volume's source" "output_has 'target is in use'"
		printf '%s\t%s\n' "it showed \"volume has associations\"" "output_has 'volume has associations'" ;;
	"Monitoring")
		printf '%s\t%s\n' "the monitor showed the mirror's creation, unsynchronized" "output_has 'create copy-state:unsynchronized'"
		printf '%s\t%s\n' "the monitor showed it synchronized" "output_has 'change copy-state:synchronized'"
		printf '%s\t%s\n' "the monitor showed it fractured" "output_has 'change copy-state:fractured'"
		printf '%s\t%s\n' "the monitor showed its removal" "output_has 'destroy '" ;;
	esac
}

disks_equal()
{
	local a b

	a=$(dev_sha256 "$1")
	b=$(dev_sha256 "$2")
	[ "$a" = "$b" ] && return 0
	diag "$1: $a"
	diag "$2: $b"
	return 1
}

starts_with()
{
	local got

	got=$(dd if="$1" bs=4096 count=1 iflag=direct status=none | tr -d '\0')
	[ "$got" = "$2" ] && return 0
	diag "$1 starts with '$got'"
	return 1
}

# The current block's output has this text.
output_has()
{
	grep -qF -- "$1" "$block_out"
}

# Nothing of the example is left: no volume, no vdrep disk, no mount.
nothing_left()
{
	local vols disks

	vols=$("$VDREPCTL" -j volume show 2>&1 | jq -r '.[].name' 2>&1)
	disks=$(vdrep_disks | tr '\n' ' ')
	[ -z "$vols" ] && [ -z "$disks" ] && ! grep -qE ' /mnt/demo(-copy)? ' /proc/mounts &&
		return 0
	diag "left: volumes '$vols', disks '$disks'"
	grep -E ' /mnt/demo' /proc/mounts | sed 's/^/# mounted: /'
	return 1
}

# What a failed example may have left.
block_cleanup()
{
	local m

	fsfreeze -u /mnt/demo 2>/dev/null
	for m in /mnt/demo-copy /mnt/demo; do
		grep -q " $m " /proc/mounts && umount "$m"
	done
	if module_loaded; then
		assoc_destroy_all demo >/dev/null 2>&1
		"$VDREPCTL" volume destroy demo >/dev/null 2>&1
	fi
}

# run_block FILE: run it as the guide's reader would, in a session of its
# own (so anything it left in the background can be ended with it),
# bounded by BLOCK_TIMEOUT against hangs. Output in $block_out.
run_block()
{
	local pid rc i

	PATH=$(dirname "$VDREPCTL"):$PATH setsid bash -e -o pipefail "$1" \
		>"$block_out" 2>&1 </dev/null &
	pid=$!
	for ((i = 0; i < BLOCK_TIMEOUT * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		diag "still running after $BLOCK_TIMEOUT s; ending it"
		kill -- -"$pid" 2>/dev/null
		wait "$pid"
		kill -KILL -- -"$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
	rc=$?
	# Its session's leftovers (a background monitor of a failed example).
	kill -- -"$pid" 2>/dev/null
	return "$rc"
}

plan=$((1 + 2 * nblocks))
for ((b = 1; b <= nblocks; b++)); do
	t=$(cat "$blocks/block-$(printf %02d "$b").title")
	plan=$((plan + $(checks_for "$t" | grep -c .)))
done
ktap_plan "$plan"

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
diag "$nblocks examples in \"$SECTION\" of ${GUIDE#"$VDREP_TOP"/}"

for ((b = 1; b <= nblocks; b++)); do
	f=$blocks/block-$(printf %02d "$b").sh
	title=$(cat "${f%.sh}.title")
	block_out=$tmpdir/block-$b.out
	if ! brd_setup 4 16; then
		not_ok "example $b ($title) runs: no fresh ramdisks"
		not_ok "example $b ($title) removes what it made: not run"
		while IFS=$'\t' read -r desc _; do
			not_ok "example $b ($title): $desc: not run"
		done < <(checks_for "$title")
		continue
	fi
	if run_block "$f"; then
		ok "example $b ($title) runs"
	else
		rc=$?
		not_ok "example $b ($title) runs"
		diag "exit status $rc; the example:"
		sed 's/^/#   | /' "$f"
		diag "its output:"
		tail -n 40 "$block_out" | sed 's/^/#   /'
	fi
	check "example $b ($title) removes what it made" nothing_left
	while IFS=$'\t' read -r desc cmd; do
		# shellcheck disable=SC2086 # cmd is a function and its arguments
		if eval "$cmd"; then
			ok "example $b ($title): $desc"
		else
			not_ok "example $b ($title): $desc"
		fi
	done < <(checks_for "$title")
	block_cleanup
done

ktap_finished
