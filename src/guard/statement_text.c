/*-------------------------------------------------------------------------
 * statement_text.c
 *		Keep search terms, resident codes and session tokens that an
 *		application wrote into its SQL text out of pg_stat_activity and the
 *		server log (juki.redact_statements).
 *
 * pg_stat_activity: PostgreSQL shows the raw text from the moment a
 * statement arrives; at parse analysis (simple and extended protocol), at
 * executor start and at utility execution of a top-level statement juki
 * replaces it with the redacted text (redact.c).  The raw text is visible
 * for the parse time of the statement only.
 *
 * Server log: emit_log_hook rewrites, before any log line is written, the
 * statement text inside the message (log_statement, log_min_duration_*,
 * auto_explain), the STATEMENT line (debug_query_string is pointed at the
 * redacted copy), the bind parameters (log_parameter_max_length*),
 * "SQL statement" and "JSON data" context lines, and the values quoted by
 * syntax errors at a literal and by type input errors.  Clients see the
 * same rewritten messages (emit_log_hook has one ErrorData for both).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/backend_status.h"
#include "utils/elog.h"
#include "utils/memutils.h"

#include "core/settings.h"
#include "redact.h"
#include "statement_text.h"


static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static emit_log_hook_type prev_emit_log = NULL;

/*
 * The statement the server log refers to: raw and redacted, both malloc'd,
 * and where the raw text lives in postgres.c (valid while
 * debug_query_string == log_redacted, i.e. within that statement).
 */
static char *log_raw = NULL;
static char *log_redacted = NULL;
static const char *log_raw_origin = NULL;

#define WITHHELD "withheld by juki (juki.redact_statements)"

/*
 * The top-level statement as the client sent it, for the operation log's
 * forensic record of refused statements (the log is the protected place
 * that may hold it).
 */
const char *
juki_statement_as_sent(void)
{
	if (debug_query_string != NULL && debug_query_string == log_redacted)
		return log_raw;
	return debug_query_string;
}

/*
 * The last top-level text redacted for pg_stat_activity and its redaction
 * (NULL: nothing to take out), in TopMemoryContext: a prepared statement
 * run again and again is lexed once, and reported again only when
 * PostgreSQL has put the raw text back.
 */
static char *activity_src = NULL;
static char *activity_red = NULL;
static bool activity_bs = false;	/* the backslash rule it was lexed with */

/*
 * The redaction of sql's first track_activity_query_size - 1 bytes (all
 * pg_stat_activity keeps; a literal cut there counts as unterminated and is
 * withheld), or NULL when there is nothing to take out.
 */
static const char *
activity_redaction(const char *sql)
{
	size_t		len = strnlen(sql, pgstat_track_activity_query_size - 1);
	size_t		outlen;
	char	   *src;
	char	   *out;

	if (activity_src != NULL && activity_bs == !standard_conforming_strings &&
		strlen(activity_src) == len && memcmp(activity_src, sql, len) == 0)
		return activity_red;
	src = MemoryContextAlloc(TopMemoryContext, len + 1);
	out = MemoryContextAlloc(TopMemoryContext, len + 1);
	memcpy(src, sql, len);
	src[len] = '\0';
	if (juki_redact_sql(src, len, !standard_conforming_strings, out, &outlen) == 0)
	{
		pfree(out);
		out = NULL;
	}
	if (activity_src)
		pfree(activity_src);
	if (activity_red)
		pfree(activity_red);
	activity_src = src;
	activity_red = out;
	activity_bs = !standard_conforming_strings;
	return out;
}

/* Show the redacted text of the top-level statement in pg_stat_activity. */
static void
redact_activity(const char *source)
{
	const char *red;
	uint64		query_id;
	const char *top;

	if (!juki_redact_statements || !pgstat_track_activities || source == NULL ||
		MyBEEntry == NULL)
		return;
	/*
	 * Top level only.  The log may have pointed debug_query_string at its
	 * redacted copy, and Execute of the extended protocol works on a copy of
	 * the portal's text: compare the text when the pointer differs.
	 */
	top = juki_statement_as_sent();
	if (source != debug_query_string &&
		!(debug_query_string == log_redacted && source == log_raw_origin) &&
		(top == NULL || strcmp(source, top) != 0))
		return;
	red = activity_redaction(source);
	/* our own entry, read without its protocol: only this process writes it */
	if (red == NULL || strcmp(MyBEEntry->st_activity_raw, red) == 0)
		return;
	/* reporting a running statement clears its query id: put it back */
	query_id = pgstat_get_my_query_id();
	pgstat_report_activity(STATE_RUNNING, red);
	if (query_id != 0)
		pgstat_report_query_id(query_id, true);
}

static void
juki_st_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);
	redact_activity(pstate->p_sourcetext);
}

static void
juki_st_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	/* the extended protocol reports the raw text again at Execute */
	redact_activity(queryDesc->sourceText);
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
juki_st_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count, bool execute_once)
{
	/* Execute of the extended protocol reported the raw text after ExecutorStart (at Bind) */
	redact_activity(queryDesc->sourceText);
	if (prev_ExecutorRun)
		prev_ExecutorRun(queryDesc, direction, count, execute_once);
	else
		standard_ExecutorRun(queryDesc, direction, count, execute_once);
}

static void
juki_st_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					   ProcessUtilityContext context, ParamListInfo params,
					   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	redact_activity(queryString);
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

/* ---------------------------------------------------------------- log */

/*
 * Point debug_query_string at a redacted copy (malloc: this runs inside
 * error reporting, where running out of memory must not raise another
 * error).  Returns the raw text the messages may quote, or NULL if the
 * statement has nothing to take out.
 */
static const char *
redact_debug_query_string(ErrorData *edata)
{
	size_t		len;
	size_t		outlen;
	char	   *raw;
	char	   *red;

	if (debug_query_string == NULL)
		return NULL;
	if (debug_query_string == log_redacted)
		return log_raw;
	len = strlen(debug_query_string);
	raw = malloc(len + 1);
	red = malloc(len + 1);
	if (raw == NULL || red == NULL)
	{
		free(raw);
		free(red);
		edata->hide_stmt = true;	/* fail closed: no statement at all */
		return debug_query_string;
	}
	memcpy(raw, debug_query_string, len + 1);
	if (juki_redact_sql(raw, len, !standard_conforming_strings, red, &outlen) == 0)
	{
		free(raw);
		free(red);
		return NULL;
	}
	/* nothing points at the previous copies any more */
	free(log_raw);
	free(log_redacted);
	log_raw = raw;
	log_redacted = red;
	log_raw_origin = debug_query_string;
	debug_query_string = log_redacted;
	return log_raw;
}

/* text with its first occurrence of raw replaced by the redacted statement */
static char *
replace_statement(char *text, const char *raw)
{
	char	   *at;
	StringInfoData buf;

	if (text == NULL || raw == NULL || raw[0] == '\0' || (at = strstr(text, raw)) == NULL)
		return text;
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, text, at - text);
	appendStringInfoString(&buf, debug_query_string == log_redacted ? log_redacted : "?");
	appendStringInfoString(&buf, at + strlen(raw));
	pfree(text);
	return buf.data;
}

/* bind parameter values (errdetail_params) */
static char *
redact_parameters(char *detail)
{
	const char *prefix = "parameters: ";

	if (detail == NULL || strncmp(detail, prefix, strlen(prefix)) != 0)
		return detail;
	pfree(detail);
	return pstrdup("parameters: " WITHHELD);
}

/* the context entries PL/pgSQL and others add after a quoted statement */
static const char *const entry_starts[] = {
	"PL/pgSQL function ", "SQL function ", "SQL statement \"", "PL/", "JSON data, line ",
	"COPY ", "portal ", "unnamed portal ", "parallel worker", "extended query"
};

/* entries that quote a statement or expression, possibly over several lines */
static const char *const quoting_entries[] = {
	"SQL statement \"", "PL/pgSQL expression \"", "PL/pgSQL assignment \""
};

static bool
starts_entry(const char *s)
{
	int			i;

	for (i = 0; i < (int) lengthof(entry_starts); i++)
		if (strncmp(s, entry_starts[i], strlen(entry_starts[i])) == 0)
			return true;
	return false;
}

static const char *
quoting_entry(const char *line)
{
	int			i;

	for (i = 0; i < (int) lengthof(quoting_entries); i++)
		if (strncmp(line, quoting_entries[i], strlen(quoting_entries[i])) == 0)
			return quoting_entries[i];
	return NULL;
}

/*
 * The quoted text that starts at body may span lines.  The entry ends at
 * the first quote (not the opening one) that closes a line followed by
 * another entry, else at the end of the context.  Returns the end.
 */
static const char *
end_of_quoted_entry(const char *body)
{
	const char *q;

	for (q = strchr(body, '\n'); q != NULL; q = strchr(q + 1, '\n'))
		if (q - 1 >= body && q[-1] == '"' && starts_entry(q + 1))
			return q;
	return body + strlen(body);
}

/*
 * Context entries: quoted statements and expressions (dynamic SQL and
 * expressions of PL/pgSQL, over one line or several) are redacted; bind
 * parameters ("... with parameters: ...", "... parameter $n = ...") and the
 * text around a JSON or COPY error ("JSON data, line N: ...", "COPY t, line
 * N, column c: ...") are withheld.  The parameters entry is the outermost
 * one and a value may span lines: everything after it is withheld too.
 */
static char *
redact_context(char *context)
{
	StringInfoData buf;
	const char *line;
	bool		changed = false;
	const char *with = " with parameters: ";
	const char *param = " parameter $";
	const char *json = "JSON data, line ";
	const char *copy = "COPY ";

	if (context == NULL)
		return NULL;
	initStringInfo(&buf);
	for (line = context; *line;)
	{
		const char *eol;
		const char *prefix;
		size_t		n;
		char	   *piece;
		char	   *hit;

		if ((prefix = quoting_entry(line)) != NULL)
		{
			const char *body = line + strlen(prefix);
			size_t		inner;
			char	   *out;
			size_t		outlen;

			eol = end_of_quoted_entry(body);
			inner = eol - body;
			if (inner > 0 && body[inner - 1] == '"')
				inner--;		/* the closing quote is the entry's, not the query's */
			out = palloc(inner + 1);
			if (juki_redact_sql(body, inner, !standard_conforming_strings, out, &outlen) > 0)
				changed = true;
			appendStringInfo(&buf, "%s%s\"", prefix, out);
			pfree(out);
		}
		else
		{
			eol = strchr(line, '\n');
			n = eol ? (size_t) (eol - line) : strlen(line);
			piece = pnstrdup(line, n);
			if ((hit = strstr(piece, with)) != NULL)
			{
				appendBinaryStringInfo(&buf, piece, hit - piece + strlen(with));
				appendStringInfoString(&buf, WITHHELD);
				pfree(piece);
				changed = true;
				break;			/* a value may continue on the next lines */
			}
			else if ((hit = strstr(piece, param)) != NULL && (hit = strstr(hit, " = ")) != NULL)
			{
				changed = true;
				appendBinaryStringInfo(&buf, piece, hit - piece + 3);
				appendStringInfoString(&buf, WITHHELD);
			}
			else if ((strncmp(piece, json, strlen(json)) == 0 ||
					  strncmp(piece, copy, strlen(copy)) == 0) &&
					 (hit = strstr(piece, ": ")) != NULL)
			{
				/* the JSON or the input line around an error: criteria, names */
				changed = true;
				appendBinaryStringInfo(&buf, piece, hit - piece + 2);
				appendStringInfoString(&buf, WITHHELD);
			}
			else
				appendStringInfoString(&buf, piece);
			pfree(piece);
			if (eol == NULL)
				eol = line + n;
		}
		if (*eol == '\0')
			break;
		appendStringInfoChar(&buf, '\n');
		line = eol + 1;
	}
	if (!changed)
	{
		pfree(buf.data);
		return context;
	}
	pfree(context);
	return buf.data;
}

/* DETAIL "prepare: <PREPARE statement>" of a logged EXECUTE */
static char *
redact_prepare_detail(char *detail)
{
	const char *prefix = "prepare: ";
	size_t		len;
	char	   *out;
	size_t		outlen;
	StringInfoData buf;

	if (detail == NULL || strncmp(detail, prefix, strlen(prefix)) != 0)
		return detail;
	len = strlen(detail) - strlen(prefix);
	out = palloc(len + 1);
	if (juki_redact_sql(detail + strlen(prefix), len, !standard_conforming_strings, out, &outlen) == 0)
	{
		pfree(out);
		return detail;
	}
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s%s", prefix, out);
	pfree(out);
	pfree(detail);
	return buf.data;
}

/* QUERY: the dynamic statement an error position points into */
static void
redact_internal_query(ErrorData *edata)
{
	size_t		len;
	char	   *out;
	size_t		outlen;

	if (edata->internalquery == NULL)
		return;
	len = strlen(edata->internalquery);
	out = palloc(len + 1);
	if (juki_redact_sql(edata->internalquery, len, !standard_conforming_strings, out, &outlen) == 0)
	{
		pfree(out);
		return;
	}
	pfree(edata->internalquery);
	edata->internalquery = out;
	edata->internalpos = 0;		/* positions into the raw text mean nothing now */
}

/* every "..." of a message keeps its quotes and loses its content */
static char *
withhold_quoted(char *text)
{
	StringInfoData buf;
	const char *p;
	bool		inside = false;

	if (text == NULL || strchr(text, '"') == NULL)
		return text;
	initStringInfo(&buf);
	for (p = text; *p; p++)
	{
		if (*p == '"')
		{
			if (!inside)
				appendStringInfoString(&buf, "\"?");
			else
				appendStringInfoChar(&buf, '"');
			inside = !inside;
		}
		else if (!inside)
			appendStringInfoChar(&buf, *p);
	}
	pfree(text);
	return buf.data;
}

/* "... at or near "TOKEN"": the token, when it is a literal, becomes ? */
static char *
withhold_literal_token(char *message)
{
	const char *near = " at or near \"";
	char	   *at;
	char	   *end;
	char	   *out;
	size_t		outlen;
	StringInfoData buf;

	if (message == NULL || (at = strstr(message, near)) == NULL ||
		(end = strrchr(message, '"')) <= at + strlen(near))
		return message;
	at += strlen(near);
	out = palloc(end - at + 1);
	if (juki_redact_sql(at, end - at, !standard_conforming_strings, out, &outlen) == 0)
	{
		pfree(out);
		return message;
	}
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, message, at - message);
	appendStringInfoString(&buf, out);
	appendStringInfoString(&buf, end);
	pfree(out);
	pfree(message);
	return buf.data;
}

/*
 * Errors that quote a value from the statement: a syntax error at a
 * literal, and a type's input function refusing a value (a mistyped birth
 * date, malformed criteria JSON: "Token ... is invalid").
 */
static void
withhold_error_values(ErrorData *edata)
{
	switch (edata->sqlerrcode)
	{
		case ERRCODE_SYNTAX_ERROR:
			edata->message = withhold_literal_token(edata->message);
			break;
		case ERRCODE_INVALID_TEXT_REPRESENTATION:
		case ERRCODE_INVALID_DATETIME_FORMAT:
		case ERRCODE_DATETIME_FIELD_OVERFLOW:
			edata->message = withhold_quoted(edata->message);
			edata->detail = withhold_quoted(edata->detail);
			break;
		default:
			break;
	}
}

static void
juki_st_emit_log(ErrorData *edata)
{
	if (juki_redact_statements)
	{
		const char *raw = redact_debug_query_string(edata);

		edata->message = replace_statement(edata->message, raw);
		edata->detail = redact_parameters(edata->detail);
		edata->detail_log = redact_parameters(edata->detail_log);
		edata->detail = redact_prepare_detail(edata->detail);
		edata->detail_log = redact_prepare_detail(edata->detail_log);
		edata->context = redact_context(edata->context);
		redact_internal_query(edata);
		withhold_error_values(edata);
	}
	if (prev_emit_log)
		prev_emit_log(edata);
}

void
juki_statement_text_install(void)
{
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = juki_st_post_parse_analyze;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = juki_st_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = juki_st_ExecutorRun;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = juki_st_ProcessUtility;
	prev_emit_log = emit_log_hook;
	emit_log_hook = juki_st_emit_log;
}
