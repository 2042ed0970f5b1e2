/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * UCI files, the plain text format of OpenWrt's /etc/config/<package>:
 *
 *   package NAME                      (ignored)
 *   config TYPE ['NAME']              a section; anonymous without NAME
 *   option KEY 'VALUE'                a value of the last section
 *   list KEY 'VALUE'                  one more element of a list
 *
 * Words are unquoted, 'single quoted' (everything literal up to the next
 * quote) or "double quoted"; quoted and unquoted parts next to each other
 * make one word (foo'bar' is foobar).  As in libuci's file parser, a
 * backslash outside single quotes takes the next character literally, and
 * a backslash at the end of a line continues the statement on the next
 * line.  A '#' that starts a word starts a comment.  Blank lines and CRLF
 * line ends are fine.  Stricter than libuci: a quote must close on its
 * own line (libuci allows a newline inside quotes; no value omr-steer
 * reads has one).  Section types may hold letters, digits, '_' and '-';
 * section and option names letters, digits and '_'.
 *
 * A section name given again continues that section (its type must
 * match), as libuci merges them.
 *
 * Every error is reported as "FILE:LINE: message"; the first one stops
 * the parse.
 */
#ifndef OMR_UCI_H
#define OMR_UCI_H

#include <stdbool.h>
#include <stddef.h>

#define UCI_MAX_WORD		1024	/* longer words are an error */
#define UCI_MAX_FILE_SIZE	(1 << 20)

struct uci_option {
	char *name;
	char *value;			/* a `list` element, or the option's value */
	bool is_list;			/* from `list` */
	int line;
	struct uci_option *next;
};

struct uci_section {
	char *type;
	char *name;			/* NULL for an anonymous section */
	int line;
	struct uci_option *options;	/* in file order */
	struct uci_section *next;
};

struct uci_file {
	char *path;
	struct uci_section *sections;	/* in file order */
};

/*
 * Parse @buf (@len bytes) as the UCI file @path (used in messages) into
 * @f.  Returns 0, -EINVAL with "FILE:LINE: message" in @err, or -ENOMEM.
 * On failure @f is empty.  Free with uci_free().
 */
int uci_parse(const char *path, const char *buf, size_t len, struct uci_file *f,
	      char *err, size_t errlen);

/* The same on the file @path: -ENOENT, -EACCES, ... when it cannot be read. */
int uci_load(const char *path, struct uci_file *f, char *err, size_t errlen);

void uci_free(struct uci_file *f);

/* The section of @type (NULL: any) called @name, or NULL. */
struct uci_section *uci_find(const struct uci_file *f, const char *type, const char *name);

/* The last `option` @name of @s (a list gives its last element), or NULL. */
const struct uci_option *uci_get(const struct uci_section *s, const char *name);

#endif
