/*-------------------------------------------------------------------------
 * textdomain.h
 *		juki's text domain (juki-15): the Makefile has the compiler read this
 *		header before each file of juki.so (-include), so that every ereport,
 *		errmsg, errdetail and errhint of juki translates with juki's own
 *		catalog.  elog.h defines TEXTDOMAIN as NULL (the server's catalog);
 *		PostgreSQL's own modules redefine it after their includes the same
 *		way.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_TEXTDOMAIN_H
#define JUKI_TEXTDOMAIN_H

#include "postgres.h"

#undef TEXTDOMAIN
#define TEXTDOMAIN PG_TEXTDOMAIN("juki")

#endif
