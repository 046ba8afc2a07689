// SPDX-License-Identifier: GPL-2.0
/* vdrepctl: text and JSON from one set of print calls (see print.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "print.h"

#define MAX_DEPTH 16

static struct {
	enum print_mode mode;
	bool pretty;
	int depth;			/* open JSON arrays and objects */
	bool empty[MAX_DEPTH + 1];	/* nothing written yet at this depth */
	bool array_pending;		/* top-level '[' not written yet */
	bool line_empty;		/* text: nothing on the current line yet */
} out = { .line_empty = true };

void print_init(enum print_mode mode, bool pretty)
{
	out.mode = mode;
	out.pretty = pretty;
	out.depth = 0;
	out.empty[0] = true;
	out.array_pending = false;
	out.line_empty = true;
}

bool print_is_json(void)
{
	return out.mode == PRINT_MODE_JSON;
}

static bool wanted(enum print_to to)
{
	return to & (print_is_json() ? PRINT_JSON : PRINT_FP);
}

/* ------------------------------------------------------------------ JSON */

static void json_indent(int depth)
{
	putchar('\n');
	for (int i = 0; i < depth; i++)
		fputs("  ", stdout);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '"':  fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		default:
			if (c < 0x20 || c == 0x7f)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
	}
	putchar('"');
}

/* Start a value inside the current array or object: separator, key. */
static void json_member(const char *key)
{
	if (out.array_pending) {
		putchar('[');
		out.array_pending = false;
	}
	if (out.depth > 0) {
		if (!out.empty[out.depth])
			putchar(',');
		if (out.pretty)
			json_indent(out.depth);
	}
	out.empty[out.depth] = false;
	if (key && out.depth > 0) {
		json_string(key);
		fputs(out.pretty ? ": " : ":", stdout);
	}
}

static void json_open(const char *key, char bracket)
{
	json_member(key);
	putchar(bracket);
	if (out.depth < MAX_DEPTH)
		out.depth++;
	out.empty[out.depth] = true;
}

static void json_close(char bracket)
{
	bool was_empty = out.empty[out.depth];

	if (out.depth > 0)
		out.depth--;
	if (out.pretty && !was_empty)
		json_indent(out.depth);
	putchar(bracket);
	if (out.depth == 0) {
		putchar('\n');
		print_flush();
	}
}

/* -------------------------------------------------------------- text, KV */

static void text_key(const char *key)
{
	if (!out.line_empty)
		putchar(' ');
	out.line_empty = false;
	for (; *key; key++)
		putchar(*key == '_' ? '-' : *key);
	putchar(out.mode == PRINT_MODE_KV ? ':' : ' ');
}

/* ------------------------------------------------------------------- API */

void print_open_array(const char *key)
{
	if (!print_is_json())
		return;
	if (out.depth == 0) {
		/* Written with the first element, or as "[]" when closed empty. */
		out.array_pending = true;
		out.depth = 1;
		out.empty[1] = true;
		return;
	}
	json_open(key, '[');
}

void print_close_array(void)
{
	if (!print_is_json())
		return;
	if (out.array_pending) {
		putchar('[');
		out.array_pending = false;
	}
	json_close(']');
}

void print_open_object(const char *key)
{
	if (print_is_json())
		json_open(key, '{');
	else if (out.depth++ == 0)
		out.line_empty = true;
}

void print_close_object(void)
{
	if (print_is_json()) {
		json_close('}');
		return;
	}
	if (out.depth > 0 && --out.depth == 0) {
		putchar('\n');
		out.line_empty = true;
		print_flush();
	}
}

void print_string(enum print_to to, const char *key, const char *value)
{
	if (!wanted(to))
		return;
	if (print_is_json()) {
		json_member(key);
		json_string(value);
	} else {
		text_key(key);
		fputs(value, stdout);
	}
}

void print_uint(enum print_to to, const char *key, uint64_t value)
{
	if (!wanted(to))
		return;
	if (print_is_json())
		json_member(key);
	else
		text_key(key);
	printf("%" PRIu64, value);
}

void print_bool(enum print_to to, const char *key, bool value)
{
	if (!wanted(to))
		return;
	if (print_is_json()) {
		json_member(key);
		fputs(value ? "true" : "false", stdout);
	} else {
		text_key(key);
		fputs(value ? "yes" : "no", stdout);
	}
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (print_is_json())
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	out.line_empty = false;
}

void print_flush(void)
{
	fflush(stdout);
}
