/*-------------------------------------------------------------------------
 * codes.c
 *		Validators for 住民票コード (resident code), 個人番号 (individual
 *		number) and 地方公共団体コード (municipality code), and the domain
 *		checks built on them.
 *
 * The validators are pure and need no preload: the domains use them, and a
 * pg_restore of the resident table must work wherever the data is valid.
 * Error messages never repeat the offending value: a mistyped individual
 * number is still personal data and must not reach the server log.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "core/settings.h"
#include "codes.h"

PG_FUNCTION_INFO_V1(juki_is_valid_resident_code);
PG_FUNCTION_INFO_V1(juki_is_valid_individual_number);
PG_FUNCTION_INFO_V1(juki_is_valid_municipality_code);
PG_FUNCTION_INFO_V1(juki_check_resident_code);
PG_FUNCTION_INFO_V1(juki_check_individual_number);
PG_FUNCTION_INFO_V1(juki_check_municipality_code);
PG_FUNCTION_INFO_V1(juki_iso_date);

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* the number written in s[from..to), or -1 if it is not all ASCII digits */
static int
digits(const char *s, int from, int to)
{
	int			v = 0;

	for (; from < to; from++)
	{
		if (s[from] < '0' || s[from] > '9')
			return -1;
		v = v * 10 + (s[from] - '0');
	}
	return v;
}

/* A YYYY-MM-DD date from min_year to 9999 that exists. */
bool
juki_ymd_ok(const char *s, size_t len, int min_year, int *y, int *m, int *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	*y = digits(s, 0, 4);
	*m = digits(s, 5, 7);
	*d = digits(s, 8, 10);
	return *y >= min_year && *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 &&
		*d <= mdays[*m - 1] + (*m == 2 && is_leap(*y));
}

/* true if s[0..len) is exactly `want` ASCII digits; else *why says what is wrong */
static bool
all_ascii_digits(const char *s, size_t len, size_t want, const char **why)
{
	size_t		i;

	if (len == 0)
	{
		*why = gettext_noop("it is empty");
		return false;
	}
	for (i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
		{
			*why = gettext_noop("it contains a character that is not an ASCII digit 0-9");
			return false;
		}
	}
	if (len != want)
	{
		*why = len < want ? gettext_noop("it has too few digits") : gettext_noop("it has too many digits");
		return false;
	}
	return true;
}

/*
 * Modulus-11 check digit with weights 6,5,4,3,2,7,6,5,4,3,2 aligned on the
 * right of the body: 個人番号 (総務省令第85号 第5条) uses all eleven; the
 * optional 住民票コード check uses the last ten (README: an assumption).
 */
static int
mod11_check_digit(const char *body, int n)
{
	static const int weights[11] = {6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
	int			sum = 0;
	int			i;
	int			r;

	for (i = 0; i < n; i++)
		sum += (body[i] - '0') * weights[11 - n + i];
	r = sum % 11;
	return r <= 1 ? 0 : 11 - r;
}

bool
juki_resident_code_ok(const char *s, size_t len, const char **why)
{
	if (!all_ascii_digits(s, len, 11, why))
		return false;
	if (juki_check_resident_code_digit &&
		mod11_check_digit(s, 10) != s[10] - '0')
	{
		*why = gettext_noop("its check digit does not match");
		return false;
	}
	return true;
}

bool
juki_individual_number_ok(const char *s, size_t len, const char **why)
{
	if (!all_ascii_digits(s, len, 12, why))
		return false;
	if (mod11_check_digit(s, 11) != s[11] - '0')
	{
		*why = gettext_noop("its check digit does not match");
		return false;
	}
	return true;
}

/* 地方公共団体コード: weights 6,5,4,3,2; digit = (11 - sum mod 11) mod 10 */
bool
juki_municipality_code_ok(const char *s, size_t len, const char **why)
{
	static const int weights[5] = {6, 5, 4, 3, 2};
	int			sum = 0;
	int			i;

	if (!all_ascii_digits(s, len, 6, why))
		return false;
	for (i = 0; i < 5; i++)
		sum += (s[i] - '0') * weights[i];
	if ((11 - sum % 11) % 10 != s[5] - '0')
	{
		*why = gettext_noop("its check digit does not match");
		return false;
	}
	return true;
}

typedef bool (*code_validator) (const char *, size_t, const char **);

/* SQL validators: NULL and every malformed value are simply false */
static Datum
validate(FunctionCallInfo fcinfo, code_validator ok)
{
	text	   *t;
	const char *why;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	t = PG_GETARG_TEXT_PP(0);
	PG_RETURN_BOOL(ok(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &why));
}

Datum
juki_is_valid_resident_code(PG_FUNCTION_ARGS)
{
	return validate(fcinfo, juki_resident_code_ok);
}

Datum
juki_is_valid_individual_number(PG_FUNCTION_ARGS)
{
	return validate(fcinfo, juki_individual_number_ok);
}

Datum
juki_is_valid_municipality_code(PG_FUNCTION_ARGS)
{
	return validate(fcinfo, juki_municipality_code_ok);
}

/* Domain checks: raise 22023 naming the expected form, or return true */
static Datum
check(FunctionCallInfo fcinfo, code_validator ok, const char *what,
	  const char *hint)
{
	text	   *t;
	const char *why = gettext_noop("it is NULL");

	if (!PG_ARGISNULL(0))
	{
		t = PG_GETARG_TEXT_PP(0);
		if (ok(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &why))
			PG_RETURN_BOOL(true);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s: %s", dgettext(TEXTDOMAIN, what), dgettext(TEXTDOMAIN, why)),
			 errhint("%s", dgettext(TEXTDOMAIN, hint))));
	PG_RETURN_BOOL(false);		/* not reached */
}

Datum
juki_check_resident_code(PG_FUNCTION_ARGS)
{
	return check(fcinfo, juki_resident_code_ok, gettext_noop("resident code (住民票コード)"),
				 gettext_noop("A resident code is exactly 11 ASCII digits, e.g. 12345678903."));
}

Datum
juki_check_individual_number(PG_FUNCTION_ARGS)
{
	return check(fcinfo, juki_individual_number_ok, gettext_noop("individual number (個人番号)"),
				 gettext_noop("An individual number is exactly 12 ASCII digits, the last being the check digit of the first 11, e.g. 123456789018."));
}

Datum
juki_check_municipality_code(PG_FUNCTION_ARGS)
{
	return check(fcinfo, juki_municipality_code_ok, gettext_noop("municipality code (地方公共団体コード)"),
				 gettext_noop("A municipality code is exactly 6 ASCII digits, 5 digits and their check digit, e.g. 043028."));
}

/*
 * juki._iso_date(text): the date a YYYY-MM-DD text names, or NULL when it
 * names none (the staging columns of an import are text).  No exception is
 * raised and none caught: a PL/pgSQL version needed a subtransaction per
 * call, eight per imported resident.
 */
Datum
juki_iso_date(PG_FUNCTION_ARGS)
{
	text	   *t;
	int			y,
				m,
				d;

	/* not STRICT: a NULL call still reaches juki's fmgr hook (internal) */
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	t = PG_GETARG_TEXT_PP(0);
	if (!juki_ymd_ok(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), 1, &y, &m, &d))
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(date2j(y, m, d) - POSTGRES_EPOCH_JDATE);
}
