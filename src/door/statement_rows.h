/*-------------------------------------------------------------------------
 * statement_rows.h
 *		Rows the statement being run has disclosed, per purpose and per
 *		bulk permit (statement_rows.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_STATEMENT_ROWS_H
#define JUKI_STATEMENT_ROWS_H

/* Rows this statement disclosed under a purpose (permit_id 0) or a bulk permit. */
typedef struct JukiStatementRows
{
	char		purpose[NAMEDATALEN];
	int64		permit_id;
	int64		rows;
} JukiStatementRows;

/*
 * The current statement's counter for a purpose (permit_id 0) or a bulk
 * permit (purpose NULL); NULL if it has none and !create.
 */
extern JukiStatementRows *juki_statement_counter(const char *purpose, int64 permit_id,
											  bool create);

/*
 * Rows the current statement has disclosed under this bulk permit, or -1 if
 * the statement has not used it (a bulk permit serves the statement that
 * first used it, and no other).
 */
extern int64 juki_statement_permit_rows(int64 permit_id);

#endif							/* JUKI_STATEMENT_ROWS_H */
