#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh --lane LANE [--timeout SECONDS] [--log DIR] [--script GUEST_SCRIPT] [--disk FILE]...
#        [--cut-after REGEX --cut-delay SECONDS] [-v] [TEST...]
#
# Boots the lane's kernel under QEMU (TCG) with the host's / as a read-only 9p root and runs
# the selftests named (default: every tools/testing/selftests/vdrep/test_*.sh), or
# GUEST_SCRIPT with the TEST arguments, as root in the guest with VDREP_LANE, VDREP_KO,
# VDREPCTL, VDREP_TOP and VDREP_RESULTS set.  Prints one line per test case, any kernel
# splat, and "N passed, N failed[, N skipped]"; exits 0 only when nothing failed.
#   --timeout  time budget of the whole guest run (default 1500 s); the VM is killed after it
#   --log      where the console log, dmesg and KTAP files go (default
#              $VDREP_CACHE/logs/LANE-TIMESTAMP)
#   -v         stream the guest's own output (not the kernel's) while it runs
#   --disk     a raw image file as a virtio disk (/dev/vda, vdb, ... in the order given;
#              host page cache, so what the guest wrote survives a kill of QEMU)
#   --cut-after, --cut-delay: a power cut: SECONDS after a console line matches REGEX
#              (grep -E), QEMU is killed (SIGKILL); the run then ends with "power cut"
#              and status 0, or 1 when the line never came (powercut.sh uses these)
# Environment: VDREP_TEST_TIMEOUT overrides each test's time limit (else the selftest
# directory's settings file, else 300 s); VDREP_KO overrides the module to test, VDREPCTL
# the utility (e.g. userspace/asan/vdrepctl; ASAN_OPTIONS and UBSAN_OPTIONS are passed on,
# and so are the tests' VDREP_FUZZ_*, VDREP_FAULT_* and VDREP_STRESS_* knobs);
# VDREPCTL_ASAN with VDREP_ASAN_TESTS (test names or globs): those tests run with it;
# VDREP_QEMU_MEM (default 2G), VDREP_QEMU_SMP (default 2), VDREP_QEMU_CPU (default max),
# VDREP_QEMU_TCG (options of -accel tcg, default thread=single; thread=multi for one host
# thread per vCPU), VDREP_QEMU_ICOUNT (QEMU's -icount options, e.g. shift=0,sleep=off).
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '4,28s/^# \{0,1\}//p' "$0" >&2; exit 2; }

lane='' timeout=1500 log='' script='' verbose=0 tests=() disks=() cut_after='' cut_delay=0
while [ $# -gt 0 ]; do
	case $1 in
	--lane) lane=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--script) script=${2:?}; shift 2 ;;
	--disk) disks+=("${2:?}"); shift 2 ;;
	--cut-after) cut_after=${2:?}; shift 2 ;;
	--cut-delay) cut_delay=${2:?}; shift 2 ;;
	-v|--verbose) verbose=1; shift ;;
	-h|--help) usage ;;
	--) shift; tests+=("$@"); break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) tests+=("$1"); shift ;;
	esac
done
[ -n "$lane" ] || usage
lane_env "$lane"

SELFTESTS=$VDREP_TOP/tools/testing/selftests/vdrep
ko=${VDREP_KO:-$CACHE/build/$lane/vdrep.ko}
log=${log:-$CACHE/logs/$lane-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$log"
log=$(cd "$log" && pwd)
results=$log/results
rm -rf "$results"
mkdir -p "$results"

# ---- what the guest runs ------------------------------------------------------------------

abspath() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }

names=() args=()
if [ -n "$script" ]; then
	[ -r "$script" ] || die "no guest script $script"
	guest_script=$(abspath "$script")
	args=("${tests[@]}")
else
	guest_script=$VM_DIR/guest-selftests.sh
	if [ ${#tests[@]} -eq 0 ]; then
		for t in "$SELFTESTS"/test_*.sh; do
			[ -e "$t" ] && tests+=("$t")
		done
	fi
	for t in "${tests[@]}"; do
		if [ -f "$t" ]; then
			t=$(abspath "$t")
		elif [ -f "$SELFTESTS/$t" ]; then
			t=$SELFTESTS/$t
		elif [ -f "$SELFTESTS/$t.sh" ]; then
			t=$SELFTESTS/$t.sh
		else
			die "no test $t"
		fi
		args+=("$t")
		names+=("$(basename "$t" .sh)")
	done
fi
# A kernel with kmemleak (the debug lane): guest-selftests.sh reports a scan after the tests.
if [ -z "$script" ] && grep -qs '^CONFIG_DEBUG_KMEMLEAK=y' "$KDIR/.config"; then
	names+=(kmemleak)
fi
for a in "${args[@]}" "$guest_script" "$VDREP_TOP"; do
	case $a in *[[:space:]]*) die "paths with spaces are not supported: $a" ;; esac
done

# Paths below directories the guest covers with tmpfs must be carried over explicitly.
keep=()
for p in "$VDREP_TOP" "$CACHE" "$guest_script" "${args[@]}"; do
	[ -e "$p" ] || continue
	[ -d "$p" ] || p=$(dirname "$p")
	case " ${keep[*]} " in *" $p "*) continue ;; esac
	case $p/ in
	/tmp/*|/var/tmp/*|/run/*|/root/*|/var/log/*|/mnt/*|/media/*|/srv/*) keep+=("$p") ;;
	esac
done

cat >"$results/guest.env" <<EOF
VDREP_LANE=$lane
VDREP_KREL=$KREL
VDREP_MODDIR=$MODDIR
VDREP_KO=$ko
VDREPCTL=${VDREPCTL:-$VDREP_TOP/userspace/vdrepctl}
VDREPCTL_ASAN=${VDREPCTL_ASAN:-}
VDREP_ASAN_TESTS="${VDREP_ASAN_TESTS:-}"
${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS}
${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS}
VDREP_TOP=$VDREP_TOP
VDREP_GUEST_INIT=$VM_DIR/guest-init.sh
VDREP_SCRIPT=$guest_script
VDREP_SCRIPT_ARGS="${args[*]}"
VDREP_KEEP="${keep[*]}"
${VDREP_TEST_TIMEOUT:+VDREP_TEST_TIMEOUT=$VDREP_TEST_TIMEOUT}
EOF
# The tests' own knobs (seeds, counts, run times) reach the guest too.
env | grep -E '^VDREP_(FUZZ|FAULT|STRESS|CRASH)_[A-Z_]+=[[:alnum:]_./:-]*$' >>"$results/guest.env" || true

# ---- initramfs: busybox + the modules that reach the 9p root, cached per lane --------------

# Modules to load (dependencies first) for the given targets; built-in ones are left out.
module_order() {
	awk -v targets="$*" -v builtin="$MODDIR/modules.builtin" '
	function norm(p) { sub(/.*\//, "", p); sub(/\.ko.*/, "", p); gsub(/-/, "_", p); return p }
	function visit(m,   n, i, d) {
		if (m in done) return
		done[m] = 1
		n = split(deps[m], d, " ")
		for (i = 1; i <= n; i++) visit(norm(d[i]))
		print path[m]
	}
	BEGIN { while ((getline line < builtin) > 0) isbuiltin[norm(line)] = 1 }
	{
		m = norm($1)
		sub(/:$/, "", $1)
		path[m] = $1
		rest = $0
		sub(/^[^:]*:[ \t]*/, "", rest)
		deps[m] = rest
	}
	END {
		n = split(targets, t, " ")
		for (i = 1; i <= n; i++) {
			if (t[i] in path) visit(t[i])
			else if (!(t[i] in isbuiltin)) { print "missing " t[i] > "/dev/stderr"; exit 1 }
		}
	}' "$MODDIR/modules.dep"
}

build_initramfs() {
	local out=$CACHE/kernels/$lane/initramfs.cpio.gz key mods tmp m name
	mods=$(module_order virtio_pci 9pnet_virtio 9p virtio_blk) || die "lane $lane lacks 9p/virtio modules"
	key=$(cat "$VM_DIR/initramfs-init.sh" /bin/busybox <(echo "$KREL $mods") | sha256sum)
	if [ -e "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
		return
	fi
	say "lane $lane: building the initramfs"
	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/modules"
	cp /bin/busybox "$tmp/bin/busybox"
	install -m 0755 "$VM_DIR/initramfs-init.sh" "$tmp/init"
	: >"$tmp/modules.load"
	# busybox insmod cannot read compressed modules, so they go in uncompressed.
	for m in $mods; do
		name=${m##*/}
		name=${name%%.ko*}
		case $m in
		*.xz) xz -dc "$MODDIR/$m" ;;
		*.zst) zstd -qdc "$MODDIR/$m" ;;
		*.gz) gzip -dc "$MODDIR/$m" ;;
		*) cat "$MODDIR/$m" ;;
		esac >"$tmp/modules/$name.ko"
		echo "$name" >>"$tmp/modules.load"
	done
	# Another run may be building the same image: write aside, then rename.
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.$$"
	rm -rf "$tmp"
	mv "$out.$$" "$out"
	echo "$key" >"$out.key"
}

[ -r /bin/busybox ] || die "no /bin/busybox (busybox-static); run setup.sh"
command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64; run setup.sh"
[ -n "$script" ] || [ -r "$ko" ] || say "warning: no module at $ko (tests will skip or fail)"
build_initramfs

# ---- boot ---------------------------------------------------------------------------------

console=$log/console.log
: >"$console"
rm -f "$log"/boot-splat-*.txt "$log"/console-boot-*.log
cmdline="console=ttyS0,115200 panic=-1 rdinit=/init loglevel=7 mitigations=off"
# TCG on a shared 2-core machine is slow: keep the stall detectors from firing on mere slowness.
cmdline+=" rcupdate.rcu_cpu_stall_timeout=100 watchdog_thresh=60"
# Lane-specific additions (the debug lane's env file sets CMDLINE_EXTRA).
cmdline+="${CMDLINE_EXTRA:+ $CMDLINE_EXTRA}"
# One host thread runs both vCPUs in turn (the guest still has 2 CPUs and interleaves them).
# Multi-threaded TCG makes every cross-CPU TLB flush (each fork, exec, munmap) wait for all
# vCPU threads: on a busy 2-core host a vCPU thread is often off-CPU, and in the guest
# fork+exec of /bin/true took 291 ms (47 ms on an idle host), python3 -c pass 1.2 s; with
# thread=single 55 ms and 0.3 s on the busy host, 41 ms and 0.3 s idle.  Two lanes' halves
# side by side took 9 and 12 minutes (one 2-vCPU VM per lane at a time: 19-26 minutes).
qemu=(qemu-system-x86_64 -accel "tcg,${VDREP_QEMU_TCG:-thread=single}" -cpu "${VDREP_QEMU_CPU:-max}" -m "${VDREP_QEMU_MEM:-2G}"
	-smp "${VDREP_QEMU_SMP:-2}" -nodefaults -display none -no-reboot
	-kernel "$VMLINUZ" -initrd "$CACHE/kernels/$lane/initramfs.cpio.gz" -append "$cmdline"
	-serial "file:$console"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap")
for i in "${!disks[@]}"; do
	[ -f "${disks[i]}" ] || die "no disk image ${disks[i]}"
	qemu+=(-drive "file=${disks[i]},format=raw,if=none,id=disk$i,cache=writeback,aio=threads"
		-device "virtio-blk-pci,drive=disk$i,serial=vdrep-disk$i")
done
# Deterministic time (the benchmark's --icount): guest time counts instructions, so what
# the guest measures does not drift with the host's load.  icount needs one TCG thread.
if [ -n "${VDREP_QEMU_ICOUNT:-}" ]; then
	qemu[2]=tcg,thread=single
	qemu+=(-icount "$VDREP_QEMU_ICOUNT")
fi
qemu+=(-pidfile "$log/qemu.pid")
rm -f "$log/qemu.pid" "$log/cut"
printf '%q ' "${qemu[@]}" >"$log/qemu.cmd"

tail_pid=
if [ $verbose = 1 ]; then
	# The guest's own output: console lines that are not kernel messages.
	tail -n +1 -F "$console" 2>/dev/null > >(grep --line-buffered -vE '^\[ *[0-9]+\.[0-9]+\]') &
	tail_pid=$!
fi

# The power cut: a watcher kills QEMU once the console has the line, and the delay passed.
cut_pid=
if [ -n "$cut_after" ]; then
	(
		while ! grep -qE -- "$cut_after" "$console" 2>/dev/null; do
			sleep 0.1
		done
		sleep "$cut_delay"
		pid=$(cat "$log/qemu.pid" 2>/dev/null) || exit 0
		date +%s.%N >"$log/cut"
		kill -KILL "$pid" 2>/dev/null
	) &
	cut_pid=$!
fi

say "lane $lane: booting $KREL (log: $log)"
start=$(date +%s)
vm_status=ok vm_detail=
# A kernel that splats while booting, before any test (guest-init.sh checks its taint and
# lockdep), is booted again, at most twice, and the splat printed as a comment.
for boot in 1 2 3; do
	set +e
	timeout -k 10 $((timeout - ($(date +%s) - start))) "${qemu[@]}" </dev/null >"$log/qemu.out" 2>&1
	qrc=$?
	set -e
	if [ -n "$cut_pid" ] || [ ! -e "$results/boot-splat.txt" ] || [ -e "$results/guest.rc" ] ||
		[ "$boot" -eq 3 ]; then
		break
	fi
	mv "$results/boot-splat.txt" "$log/boot-splat-$boot.txt"
	cp "$console" "$log/console-boot-$boot.log"
	: >"$console"
	echo "# boot $boot: the kernel splatted before any test; booting again" \
		"(dmesg: $log/boot-splat-$boot.txt):"
	grep -aE -m1 -A2 'BUG:|WARNING:|Oops|possible .* detected|UBSAN' "$log/boot-splat-$boot.txt" |
		sed 's/^/#   | /' || true
done
if [ -n "$cut_pid" ]; then
	kill "$cut_pid" 2>/dev/null || true
	wait "$cut_pid" 2>/dev/null || true
	if [ -e "$log/cut" ]; then
		say "lane $lane: power cut ${cut_delay}s after /$cut_after/ ($(($(date +%s) - start))s after boot)"
		exit 0
	fi
	say "lane $lane: no power cut: the console never matched /$cut_after/ (qemu exit status $qrc)"
	tail -n 30 "$console" | sed 's/^/#   | /'
	exit 1
fi
elapsed=$(($(date +%s) - start))
[ -n "$tail_pid" ] && { sleep 1; kill "$tail_pid" 2>/dev/null || true; wait "$tail_pid" 2>/dev/null || true; }

up=$(grep -m1 -n 'vdrep-vm: guest up' "$console" | cut -d: -f1 || true)
if [ -n "$up" ]; then
	# Guest time at which the root was up, from the nearest kernel timestamp before it.
	guest_up=$(head -n "$up" "$console" | grep -oE '^\[ *[0-9]+\.[0-9]+\]' | tail -n1 | tr -d '[] ')
	say "lane $lane: guest up at ${guest_up:-?}s guest time; run took ${elapsed}s"
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	vm_status=timeout vm_detail=" of ${timeout}s"
elif [ ! -e "$results/guest.rc" ]; then
	vm_status=died vm_detail=" (qemu exit status $qrc)"
fi

set +e
if [ -n "$script" ] && [ $verbose = 0 ] && [ -e "$results/script.log" ]; then
	cat "$results/script.log"
fi
python3 "$VM_DIR/report.py" --no-summary --lane "$lane" --results "$results" --console "$console" \
	--vm-status "$vm_status" --vm-detail "$vm_detail" --counts "$log/counts" \
	${script:+--script "$(basename "$script")"} "${names[@]}"
rc=$?
set -e
if [ $rc -ne 0 ]; then
	if [ "$vm_status" != ok ] && [ -s "$log/qemu.out" ]; then
		echo "# qemu said:"
		sed 's/^/#   | /' "$log/qemu.out" | tail -n 20
	fi
	if [ "$vm_status" != ok ]; then
		echo "# last lines of the console:"
		tail -n 30 "$console" | sed 's/^/#   | /'
	fi
	echo "# lane $lane failed; logs in $log (console.log, results/)"
fi
# The summary line comes last, after any note.
read -r passed failed skipped <"$log/counts"
echo "$passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
exit $rc
exit
}
