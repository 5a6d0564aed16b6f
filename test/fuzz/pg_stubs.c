/*
 * The PostgreSQL symbols that codes.c's SQL wrappers reference.  Fuzz
 * targets link only the pure validators' files; sanitizer binaries keep
 * every symbol, so the wrappers' calls must resolve — to stubs that stop
 * the fuzzer if they were ever reached.
 */
#include "postgres.h"
#include "fmgr.h"

bool errstart_cold(int elevel, const char *domain) { abort(); }
void errfinish(const char *filename, int lineno, const char *funcname) { abort(); }
int errcode(int sqlerrcode) { abort(); }
int errmsg(const char *fmt,...) { abort(); }
int errhint(const char *fmt,...) { abort(); }
struct varlena *pg_detoast_datum_packed(struct varlena *datum) { abort(); }
int date2j(int year, int month, int day) { abort(); }

/* a GUC of juki.c that the validators read */
bool		juki_check_resident_code_digit = false;
