/*
 * statement_text.h — statement texts redacted in pg_stat_activity and the
 * server log (juki.redact_statements).
 */
#ifndef JUKI_STATEMENT_TEXT_H
#define JUKI_STATEMENT_TEXT_H


extern void juki_statement_text_install(void);

/* the raw text of the top-level statement (debug_query_string may be redacted) */
extern const char *juki_statement_as_sent(void);

#endif
