// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into the sanitizer build only (make asan). The runtimes read these
 * defaults before the environment, so a report is fatal wherever the binary
 * runs, test VMs included, without ASAN_OPTIONS being passed along;
 * ASAN_OPTIONS, LSAN_OPTIONS and UBSAN_OPTIONS still override them.
 *
 * abort_on_error: a report ends in SIGABRT (exit status 134), never in the
 * runtimes' default exit status 1, which is vdrepctl's own "command failed"
 * and would pass a test expecting a refusal. detect_leaks: LeakSanitizer
 * runs at exit, and a leak aborts the same way.
 */

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "abort_on_error=1:halt_on_error=1:detect_leaks=1";
}

const char *__ubsan_default_options(void)
{
	return "abort_on_error=1:halt_on_error=1:print_stacktrace=1";
}
