/*-------------------------------------------------------------------------
 * timestamp.c
 *		Entry timestamps: UTC, exactly six fractional digits, years
 *		0001-9999 (proleptic Gregorian), as microseconds since the Unix
 *		epoch and as YYYY-MM-DDTHH:MM:SS.ffffffZ.  Free of PostgreSQL.
 *-------------------------------------------------------------------------
 */
#include "timestamp.h"

#include <string.h>

#define JK_US_PER_DAY	INT64_C(86400000000)

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= (m <= 2);
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* Write v as exactly n decimal digits. */
static void
put_digits(char *p, int64_t v, int n)
{
	while (n-- > 0)
	{
		p[n] = (char) ('0' + v % 10);
		v /= 10;
	}
}

/* Refuses years outside 0001-9999 rather than print a non-27-byte form. */
bool
jk_format_ts(int64_t unix_us, char out[JK_TS_LEN + 1])
{
	int64_t		min_us = days_from_civil(1, 1, 1) * JK_US_PER_DAY;
	int64_t		max_us = (days_from_civil(9999, 12, 31) + 1) * JK_US_PER_DAY - 1;
	int64_t		days;
	int64_t		rem;
	int64_t		y;
	int			m;
	int			d;

	if (unix_us < min_us || unix_us > max_us)
	{
		out[0] = '\0';
		return false;
	}
	/* floor division: -1 us is 1969-12-31T23:59:59.999999Z */
	days = unix_us / JK_US_PER_DAY;
	rem = unix_us % JK_US_PER_DAY;
	if (rem < 0)
	{
		rem += JK_US_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, rem / INT64_C(3600000000), 2);
	out[13] = ':';
	put_digits(out + 14, rem / 60000000 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, rem / 1000000 % 60, 2);
	out[19] = '.';
	put_digits(out + 20, rem % 1000000, 6);
	out[26] = 'Z';
	out[27] = '\0';
	return true;
}

/* n decimal digits at s, or -1. */
static int64_t
read_digits(const char *s, int n)
{
	int64_t		v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Exactly the form jk_format_ts writes, so ts text and value round-trip. */
bool
jk_parse_ts(const char *s, size_t len, int64_t *unix_us)
{
	int64_t		y;
	int64_t		mo;
	int64_t		d;
	int64_t		h;
	int64_t		mi;
	int64_t		se;
	int64_t		us;

	if (s == NULL || len != JK_TS_LEN)
		return false;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != '.' || s[26] != 'Z')
		return false;
	y = read_digits(s, 4);
	mo = read_digits(s + 5, 2);
	d = read_digits(s + 8, 2);
	h = read_digits(s + 11, 2);
	mi = read_digits(s + 14, 2);
	se = read_digits(s + 17, 2);
	us = read_digits(s + 20, 6);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
		mi < 0 || mi > 59 || se < 0 || se > 59 || us < 0)
		return false;
	if (d > days_in_month(y, (int) mo))
		return false;
	*unix_us = days_from_civil(y, (int) mo, (int) d) * JK_US_PER_DAY +
		((h * 60 + mi) * 60 + se) * INT64_C(1000000) + us;
	return true;
}
