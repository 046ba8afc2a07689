// SPDX-License-Identifier: GPL-2.0
/*
 * vdrepctl: one printing path for text and JSON. A caller prints every field
 * once, by its JSON key; the style decides how it comes out:
 *   PRINT_TEXT  "key value" pairs, '_' in keys shown as '-', a line per object
 *   PRINT_KV    "key:value" pairs (the monitor's lines)
 *   PRINT_JSON  JSON objects (in a list or one per line), -p to indent
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vdrepctl.h"

static enum print_style style;
static int depth;		/* JSON nesting */
static bool first_item;		/* no separator before the next item */

void print_start(enum print_style s)
{
	style = s;
	depth = 0;
	first_item = true;
}

static void json_newline(void)
{
	if (opt_pretty) {
		putchar('\n');
		for (int i = 0; i < depth; i++)
			fputs("  ", stdout);
	}
}

/* Separator before an item of a JSON list or object. */
static void json_item(void)
{
	if (!first_item)
		putchar(',');
	first_item = false;
	if (depth)
		json_newline();
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void print_list_begin(void)
{
	if (style != PRINT_JSON)
		return;
	putchar('[');
	depth++;
	first_item = true;
}

void print_list_end(void)
{
	if (style != PRINT_JSON)
		return;
	depth--;
	if (!first_item)
		json_newline();
	puts("]");
	first_item = true;
}

void print_object_begin(void)
{
	if (style == PRINT_JSON) {
		json_item();
		putchar('{');
		depth++;
	}
	first_item = true;
}

void print_object_end(void)
{
	if (style == PRINT_JSON) {
		depth--;
		json_newline();
		putchar('}');
		first_item = false;
		if (depth == 0) {	/* one object per line (monitor) */
			putchar('\n');
			first_item = true;
		}
	} else {
		putchar('\n');
	}
	print_flush();
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (style == PRINT_JSON)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	first_item = false;
}

static void text_key(const char *key)
{
	if (!first_item)
		putchar(' ');
	first_item = false;
	for (; *key; key++)
		putchar(*key == '_' ? '-' : *key);
	putchar(style == PRINT_KV ? ':' : ' ');
}

void print_str(const char *key, const char *value)
{
	if (style == PRINT_JSON) {
		json_item();
		json_string(key);
		fputs(opt_pretty ? ": " : ":", stdout);
		json_string(value);
	} else {
		text_key(key);
		fputs(value, stdout);
	}
}

void print_u64(const char *key, uint64_t value)
{
	if (style == PRINT_JSON) {
		json_item();
		json_string(key);
		printf(opt_pretty ? ": %" PRIu64 : ":%" PRIu64, value);
	} else {
		text_key(key);
		printf("%" PRIu64, value);
	}
}

void print_flush(void)
{
	fflush(stdout);
}
