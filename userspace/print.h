/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdrepctl: one printing path for text and JSON, in the manner of iproute2's
 * json_print. A caller prints every field once, named by its JSON key; the
 * mode chosen at print_init() decides how it comes out:
 *
 *   PRINT_MODE_TEXT  "key value" pairs, '_' in keys shown as '-'
 *   PRINT_MODE_KV    "key:value" pairs (monitor lines)
 *   PRINT_MODE_JSON  JSON members; -p indents
 *
 * Text output is one line per top-level object; JSON output is one value per
 * line at the top level (an array, or monitor's objects).
 */
#ifndef VDREPCTL_PRINT_H
#define VDREPCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>

enum print_mode { PRINT_MODE_TEXT, PRINT_MODE_KV, PRINT_MODE_JSON };

/* Which outputs a print call writes to. */
enum print_to {
	PRINT_FP   = 1 << 0,	/* text and key-value modes only */
	PRINT_JSON = 1 << 1,	/* JSON mode only */
	PRINT_ANY  = PRINT_FP | PRINT_JSON,
};

void print_init(enum print_mode mode, bool pretty);
bool print_is_json(void);

/*
 * Arrays and objects. @key names the member in the enclosing JSON object;
 * NULL inside an array or at the top level. In text modes, closing a
 * top-level object ends the line. The '[' of a top-level array is written
 * with its first element, so a command that fails before printing any
 * leaves stdout empty.
 */
void print_open_array(const char *key);
void print_close_array(void);
void print_open_object(const char *key);
void print_close_object(void);

void print_string(enum print_to to, const char *key, const char *value);
void print_uint(enum print_to to, const char *key, uint64_t value);
void print_bool(enum print_to to, const char *key, bool value);
/* Verbatim text (text modes only), without the separator fields get. */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void print_flush(void);

#endif /* VDREPCTL_PRINT_H */
