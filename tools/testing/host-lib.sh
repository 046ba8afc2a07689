# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # host_* are read by the scripts that source this
#
# Shared by the host checks (dkms/check.sh, install/check.sh): the kernels to
# check and KTAP result lines.

# Every kernel whose headers (a build tree) are installed on this host: the
# 6.1 and 6.12 lanes once tools/testing/vm/setup.sh has run.
host_kernels=()
for build in /lib/modules/*/build; do
	[ -e "$build/Makefile" ] && host_kernels+=("$(basename "$(dirname "$build")")")
done

host_n=0
host_failed=0
# result STATUS DESCRIPTION LOGFILE: one KTAP line; on failure the log's tail.
result() {
	host_n=$((host_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $host_n - $2"
	else
		echo "not ok $host_n - $2"
		[ -f "$3" ] && sed 's/^/# /' "$3" | tail -n 30
		host_failed=1
	fi
}
