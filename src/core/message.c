/*-------------------------------------------------------------------------
 * message.c
 *		juki's messages in the reader's language.
 *
 * English is the source; po/<lang>.po translates it (text domain juki-15,
 * bound in _PG_init).  Messages written as literals in C are translated by
 * errmsg/errdetail/errhint themselves.  Messages that reach a refusal
 * helper already formatted (built by juki's PL/pgSQL functions with
 * format(), or by psprintf in C) are translated here: the finished English
 * text is matched against the catalog's templates (every msgid with a
 * conversion, generated from po/ja.po into msg_templates.c), the template is
 * translated, and the matched arguments are put into the translation.  The
 * operation log keeps the English text; only what the client reads changes
 * with lc_messages.  The reason code is never translated: it stays in
 * DETAIL as "reason: <code>" and is also given as the error's
 * constraint_name field, so that programs need not parse prose.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "core/message.h"

#define MAX_ARGS 8

/* gettext("") is the catalog's header: empty when no catalog is loaded */
static const char catalog_header[] = "";

typedef struct Captures
{
	int			n;
	const char *start[MAX_ARGS];
	int			len[MAX_ARGS];
} Captures;

void
juki_message_init(void)
{
	pg_bindtextdomain(TEXTDOMAIN);
}

/*
 * In a backend, once its database is known: messages in the database's
 * encoding.  pg_bindtextdomain in _PG_init runs in the postmaster (juki is
 * preloaded), before any database encoding, so gettext would convert
 * juki's UTF-8 catalog to the C locale's ASCII ("?").  Called from the
 * guard's hooks, which run before anything juki says in a statement.
 */
void
juki_message_backend(void)
{
	static bool bound = false;

	if (bound || !OidIsValid(MyDatabaseId))
		return;
	pg_bind_textdomain_codeset(TEXTDOMAIN);
	bound = true;
}

/*
 * Length of the conversion specification at s (s[0] == '%', not "%%"):
 * %[n$][flags][width][.prec][length]conv, including format()'s %I and %L.
 * Sets *pos to n-1 for an explicit position, else -1.  0 if malformed.
 */
static int
spec_length(const char *s, int *pos)
{
	const char *p = s + 1;
	const char *q = p;
	int			n = 0;

	*pos = -1;
	while (*q >= '0' && *q <= '9')
		n = n * 10 + (*q++ - '0');
	if (*q == '$' && q > p && n >= 1 && n <= MAX_ARGS)
	{
		*pos = n - 1;
		p = q + 1;
	}
	while (*p && strchr("-+ #0", *p))
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.')
	{
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	while (*p && strchr("hlLqjzt", *p))
		p++;
	if (*p == '\0' || !strchr("sdiuxXcfgeILm", *p))
		return 0;
	return (int) (p - s) + 1;
}

/* Does msg match template t?  Each conversion matches any run of text. */
static bool
match(const char *t, const char *m, Captures *c)
{
	while (*t)
	{
		if (t[0] == '%' && t[1] == '%')
		{
			if (*m != '%')
				return false;
			t += 2;
			m++;
			continue;
		}
		if (t[0] == '%')
		{
			int			pos;
			int			len = spec_length(t, &pos);
			int			k = c->n;
			const char *e;

			if (len == 0 || k >= MAX_ARGS)
				return false;
			c->n++;
			/* shortest run first; the rest of the template must follow */
			for (e = m;; e++)
			{
				c->start[k] = m;
				c->len[k] = (int) (e - m);
				if (match(t + len, e, c))
					return true;
				c->n = k + 1;
				if (*e == '\0')
					break;
			}
			c->n = k;
			return false;
		}
		if (*t != *m)
			return false;
		t++;
		m++;
	}
	return *m == '\0';
}

/* The translation with the matched arguments in place of its conversions. */
static char *
fill(const char *tr, const Captures *c)
{
	StringInfoData out;
	int			next = 0;

	initStringInfo(&out);
	while (*tr)
	{
		if (tr[0] == '%' && tr[1] == '%')
		{
			appendStringInfoChar(&out, '%');
			tr += 2;
			continue;
		}
		if (tr[0] == '%')
		{
			int			pos;
			int			len = spec_length(tr, &pos);

			if (len > 0)
			{
				int			k = pos >= 0 ? pos : next++;

				if (k < c->n)
				{
					/* an argument may be a message itself ("row 3: <problem>") */
					char	   *arg = pnstrdup(c->start[k], c->len[k]);

					if (arg[0] != '\0')
						appendStringInfoString(&out, dgettext(TEXTDOMAIN, arg));
				}
				tr += len;
				continue;
			}
		}
		appendStringInfoChar(&out, *tr++);
	}
	return out.data;
}

/*
 * The message in the language of lc_messages: the exact text if the catalog
 * has it, else the translated template it was formatted from, else itself.
 */
const char *
juki_tr(const char *english)
{
	const char *t;
	int			i;

	if (english == NULL)
		return NULL;
	t = dgettext(TEXTDOMAIN, english);
	if (t != english)
		return t;
	/* no catalog for this language: nothing to look for */
	if (dgettext(TEXTDOMAIN, catalog_header)[0] == '\0')
		return english;
	for (i = 0; i < juki_msg_ntemplates; i++)
	{
		Captures	c;

		c.n = 0;
		if (match(juki_msg_templates[i], english, &c))
		{
			t = dgettext(TEXTDOMAIN, juki_msg_templates[i]);
			if (t != juki_msg_templates[i])
				return fill(t, &c);
		}
	}
	return english;
}

/* For ereport with its own DETAIL: the reason code in constraint_name. */
int
juki_errfield(const char *reason)
{
	return err_generic_string(PG_DIAG_CONSTRAINT_NAME, reason);
}

/*
 * For ereport: the reason code, untranslated, in DETAIL and in the error's
 * constraint_name field (what a client reads without parsing prose).
 */
int
juki_errreason(const char *reason)
{
	err_generic_string(PG_DIAG_CONSTRAINT_NAME, reason);
	return errdetail_internal("reason: %s", reason);
}

/*
 * juki's own refusals raised from its PL/pgSQL functions carry no CONTEXT
 * lines of those functions ("SQL statement \"SELECT juki._fail(...)\"").
 * Called just before ereport(ERROR); the error recovery of whoever catches
 * the error (PG_TRY, the main loop) restores the stack.
 */
void
juki_no_context(void)
{
	error_context_stack = NULL;
}
