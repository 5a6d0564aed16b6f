/*
 * fastpath_call — a test-only client (test/t/026_side_doors.pl) that calls a
 * function the way libpq's PQfn does, over the fast-path protocol, where no
 * statement is parsed or planned: juki must refuse a raw reader there too.
 *
 *   fastpath_call CONNINFO FUNCTION_OID TEXT_ARGUMENT
 * prints "ok <bytes returned>" and exits 0, or prints the server's error and
 * exits 1.  Never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	PGresult   *res;
	PQArgBlock	arg;
	char		buf[1 << 16];
	int			len = 0;
	int			rc = 1;

	if (argc != 4)
	{
		fprintf(stderr, "usage: %s CONNINFO FUNCTION_OID TEXT_ARGUMENT\n", argv[0]);
		return 2;
	}
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		printf("%s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	arg.len = (int) strlen(argv[3]);
	arg.isint = 0;
	arg.u.ptr = (int *) argv[3];
	res = PQfn(conn, atoi(argv[2]), (int *) buf, &len, 0, &arg, 1);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		printf("ok %d\n", len);
		rc = 0;
	}
	else
		printf("%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(conn);
	return rc;
}
