/*-------------------------------------------------------------------------
 * role_statements.h
 *		GRANT/REVOKE, CREATE/ALTER/DROP ROLE and ALTER ROLE RENAME touching
 *		juki's roles or their holders (role_statements.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_ROLE_STATEMENTS_H
#define JUKI_ROLE_STATEMENTS_H

#include "nodes/nodes.h"

/*
 * Refuse conflicts, privileged staff, self-grants and identity changes,
 * log every change and refusal.
 */
extern void juki_check_role_statement(Node *stmt);

#endif							/* JUKI_ROLE_STATEMENTS_H */
