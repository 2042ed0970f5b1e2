// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* UCI files: the lexer and the sections/options they hold (grammar in uci.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "uci.h"

#define MAX_WORDS 4	/* the longest statement: option KEY VALUE, one more to see excess */

struct lexer {
	const char *path;
	const char *buf;
	size_t len, pos;
	int line;		/* line of the character at pos */
	char *err;
	size_t errlen;
};

static int lex_error(struct lexer *lx, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!lx->err || !lx->errlen)
		return -EINVAL;
	n = snprintf(lx->err, lx->errlen, "%s:%d: ", lx->path, line);
	if (n >= 0 && (size_t)n < lx->errlen) {
		va_start(ap, fmt);
		vsnprintf(lx->err + n, lx->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A backslash at @lx->pos: the character it escapes, or a continuation. */
static int backslash(struct lexer *lx, char *word, size_t *n, bool *continued)
{
	char c;

	lx->pos++;
	if (lx->pos < lx->len && lx->buf[lx->pos] == '\r' && lx->pos + 1 < lx->len &&
	    lx->buf[lx->pos + 1] == '\n')
		lx->pos++;
	if (lx->pos >= lx->len) {
		*continued = true;
		return 0;
	}
	c = lx->buf[lx->pos++];
	if (c == '\n') {
		lx->line++;
		*continued = true;
		return 0;
	}
	if (*n >= UCI_MAX_WORD)
		return lex_error(lx, lx->line, "a word longer than %d bytes", UCI_MAX_WORD);
	word[(*n)++] = c;
	return 0;
}

/*
 * One word starting at lx->pos (not blank, not a newline, not '#').
 * Returns 0 with the word (NUL-terminated) in @word, or -EINVAL.
 */
static int lex_word(struct lexer *lx, char *word)
{
	size_t n = 0;
	int ret;

	while (lx->pos < lx->len) {
		char c = lx->buf[lx->pos];
		bool cont = false;

		if (c == '\0')
			return lex_error(lx, lx->line, "binary data (a NUL byte): not a UCI file");
		if (is_blank(c) || c == '\n')
			break;
		if (c == '\\') {
			ret = backslash(lx, word, &n, &cont);
			if (ret)
				return ret;
			if (cont)	/* a continued line ends the word */
				break;
			continue;
		}
		if (c == '\'' || c == '"') {
			char q = c;
			int start = lx->line;

			lx->pos++;
			for (;;) {
				if (lx->pos >= lx->len || lx->buf[lx->pos] == '\n' ||
				    lx->buf[lx->pos] == '\0')
					return lex_error(lx, start, "unterminated %s quote: close it on the same line",
							 q == '\'' ? "single" : "double");
				c = lx->buf[lx->pos];
				if (c == q) {
					lx->pos++;
					break;
				}
				if (c == '\\' && q == '"') {
					ret = backslash(lx, word, &n, &cont);
					if (ret)
						return ret;
					if (cont)
						return lex_error(lx, start, "unterminated double quote: close it on the same line");
					continue;
				}
				if (n >= UCI_MAX_WORD)
					return lex_error(lx, lx->line, "a word longer than %d bytes",
							 UCI_MAX_WORD);
				word[n++] = c;
				lx->pos++;
			}
			continue;
		}
		if (n >= UCI_MAX_WORD)
			return lex_error(lx, lx->line, "a word longer than %d bytes", UCI_MAX_WORD);
		word[n++] = c;
		lx->pos++;
	}
	word[n] = '\0';
	return 0;
}

/*
 * The next statement: up to MAX_WORDS words in @words, their number in
 * @n, the line it starts on in @line.  Returns 1, 0 at the end, -EINVAL.
 */
static int lex_statement(struct lexer *lx, char words[][UCI_MAX_WORD + 1], int *n, int *line)
{
	*n = 0;
	while (lx->pos < lx->len) {
		char c = lx->buf[lx->pos];

		if (c == '\n') {
			lx->pos++;
			lx->line++;
			if (*n)
				return 1;
			continue;
		}
		if (is_blank(c)) {
			lx->pos++;
			continue;
		}
		if (c == '#') {
			while (lx->pos < lx->len && lx->buf[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		if (c == '\\' && (lx->pos + 1 >= lx->len || lx->buf[lx->pos + 1] == '\n' ||
				  (lx->buf[lx->pos + 1] == '\r' && lx->pos + 2 < lx->len &&
				   lx->buf[lx->pos + 2] == '\n'))) {
			/* a continuation between words (or a last byte of the file) */
			if (lx->pos + 1 >= lx->len) {
				lx->pos++;
				continue;
			}
			lx->pos += lx->buf[lx->pos + 1] == '\r' ? 3 : 2;
			lx->line++;
			continue;
		}
		if (!*n)
			*line = lx->line;
		if (*n >= MAX_WORDS)
			return lex_error(lx, *line, "too many words: a statement is "
					 "`config TYPE ['NAME']`, `option KEY 'VALUE'` or "
					 "`list KEY 'VALUE'` (quote a value that has blanks)");
		{
			int ret = lex_word(lx, words[*n]);

			if (ret)
				return ret;
		}
		(*n)++;
	}
	return *n ? 1 : 0;
}

static bool valid_name(const char *s, bool dash_ok)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || (dash_ok && *s == '-')))
			return false;
	return true;
}

void uci_free(struct uci_file *f)
{
	struct uci_section *s, *sn;
	struct uci_option *o, *on;

	for (s = f->sections; s; s = sn) {
		sn = s->next;
		for (o = s->options; o; o = on) {
			on = o->next;
			free(o->name);
			free(o->value);
			free(o);
		}
		free(s->type);
		free(s->name);
		free(s);
	}
	free(f->path);
	f->path = NULL;
	f->sections = NULL;
}

int uci_parse(const char *path, const char *buf, size_t len, struct uci_file *f,
	      char *err, size_t errlen)
{
	struct lexer lx = { .path = path, .buf = buf, .len = len, .line = 1,
			    .err = err, .errlen = errlen };
	static char words[MAX_WORDS][UCI_MAX_WORD + 1];
	struct uci_section **stail = &f->sections, *cur = NULL;
	struct uci_option **otail = NULL;
	int n, line = 0, ret;

	if (err && errlen)
		err[0] = '\0';
	f->sections = NULL;
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	while ((ret = lex_statement(&lx, words, &n, &line)) > 0) {
		const char *kw = words[0];

		if (!strcmp(kw, "package")) {
			if (n != 2) {
				ret = lex_error(&lx, line, "`package` takes one name");
				break;
			}
			continue;
		}
		if (!strcmp(kw, "config")) {
			struct uci_section *s;

			if (n < 2 || n > 3) {
				ret = lex_error(&lx, line, "`config` takes a type and an optional "
						"name: config TYPE ['NAME']");
				break;
			}
			if (!valid_name(words[1], true)) {
				ret = lex_error(&lx, line, "invalid section type '%s' (letters, "
						"digits, '_' and '-')", words[1]);
				break;
			}
			if (n == 3 && !valid_name(words[2], false)) {
				ret = lex_error(&lx, line, "invalid section name '%s' (letters, "
						"digits and '_')", words[2]);
				break;
			}
			/* a name seen before: more options of that section, as libuci */
			s = n == 3 ? uci_find(f, NULL, words[2]) : NULL;
			if (s && strcmp(s->type, words[1])) {
				ret = lex_error(&lx, line, "section '%s' is of type '%s' (line %d), "
						"not '%s'", words[2], s->type, s->line, words[1]);
				break;
			}
			if (s) {
				cur = s;
				for (otail = &s->options; *otail; otail = &(*otail)->next)
					;
				continue;
			}
			s = calloc(1, sizeof(*s));
			if (!s || !(s->type = strdup(words[1])) ||
			    (n == 3 && !(s->name = strdup(words[2])))) {
				if (s)
					free(s->type);
				free(s);
				ret = -ENOMEM;
				break;
			}
			s->line = line;
			*stail = s;
			stail = &s->next;
			cur = s;
			otail = &s->options;
			continue;
		}
		if (!strcmp(kw, "option") || !strcmp(kw, "list")) {
			struct uci_option *o;

			if (!cur) {
				ret = lex_error(&lx, line, "`%s` before any `config` line", kw);
				break;
			}
			if (n != 3) {
				ret = lex_error(&lx, line, "`%s` takes a name and one value: %s "
						"KEY 'VALUE'%s", kw, kw,
						n > 3 ? " (quote a value that has blanks)" : "");
				break;
			}
			if (!valid_name(words[1], false)) {
				ret = lex_error(&lx, line, "invalid option name '%s' (letters, "
						"digits and '_')", words[1]);
				break;
			}
			o = calloc(1, sizeof(*o));
			if (!o || !(o->name = strdup(words[1])) || !(o->value = strdup(words[2]))) {
				if (o)
					free(o->name);
				free(o);
				ret = -ENOMEM;
				break;
			}
			o->is_list = kw[0] == 'l';
			o->line = line;
			*otail = o;
			otail = &o->next;
			continue;
		}
		ret = lex_error(&lx, line, "unknown keyword '%s' (config, option, list, package)",
				kw);
		break;
	}
	if (ret < 0) {
		uci_free(f);
		return ret;
	}
	return 0;
}

int uci_load(const char *path, struct uci_file *f, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t len = 0;
	int fd, ret;

	if (err && errlen)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > UCI_MAX_FILE_SIZE) {
		snprintf(err, errlen, "%s: %s", path, !S_ISREG(st.st_mode) ?
			 "not a regular file" : "larger than 1 MiB: not a UCI file");
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size &&
	       (got = read(fd, buf + len, st.st_size - len)) > 0)
		len += got;
	close(fd);
	ret = uci_parse(path, buf, len, f, err, errlen);
	free(buf);
	return ret;
}

struct uci_section *uci_find(const struct uci_file *f, const char *type, const char *name)
{
	for (struct uci_section *s = f->sections; s; s = s->next)
		if (s->name && !strcmp(s->name, name) && (!type || !strcmp(s->type, type)))
			return s;
	return NULL;
}

const struct uci_option *uci_get(const struct uci_section *s, const char *name)
{
	const struct uci_option *found = NULL;

	for (const struct uci_option *o = s->options; o; o = o->next)
		if (!strcmp(o->name, name))
			found = o;
	return found;
}
