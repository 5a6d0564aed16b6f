/*-------------------------------------------------------------------------
 * criteria.c
 *		The rules for search criteria: which names exist and what form
 *		each value must have.  disclose.c walks the jsonb object and raises
 *		the refusals; the rules themselves are pure so that libFuzzer can
 *		drive them (test/fuzz/fuzz_criteria.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "juki.h"
#include "criteria.h"

/* sorted: the criteria key of a request lists names in this order */
static const char *const names[] = {
	"address", "address_prefix", "birth_date", "birth_date_from", "birth_date_to",
	"full_name", "individual_number", "resident_code"
};

const char *const juki_criteria_known =
"address, address_prefix, birth_date, birth_date_from, birth_date_to, full_name, individual_number, resident_code";

const char *
juki_criterion_name(const char *name, size_t len)
{
	size_t		i;

	for (i = 0; i < lengthof(names); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return names[i];
	return NULL;
}

bool
juki_criterion_length_ok(const char *value, size_t len)
{
	size_t		chars = 0;
	size_t		i;

	/* UTF-8 spends at most 4 bytes a character; more bytes is never a fit */
	if (len > 4 * JUKI_MAX_CRITERION_CHARS)
		return false;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) value[i];

		if (c == '\0')
			return false;
		if ((c & 0xC0) != 0x80) /* not a continuation byte: a new character */
			chars++;
	}
	return chars >= 1 && chars <= JUKI_MAX_CRITERION_CHARS;
}

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

bool
juki_parse_ymd(const char *s, size_t len, int *y, int *m, int *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	*y = digits(s, 0, 4);
	*m = digits(s, 5, 7);
	*d = digits(s, 8, 10);
	return *y >= 1850 && *m >= 1 && *m <= 12 && *d >= 1 &&
		*d <= mdays[*m - 1] + (*m == 2 && is_leap(*y));
}

JukiCriterionProblem
juki_criterion_form(const char *name, const char *value, size_t len, const char **why)
{
	int			y,
				m,
				d;

	if (strcmp(name, "resident_code") == 0 && !juki_resident_code_ok(value, len, why))
		return JUKI_CRITERION_RESIDENT_CODE;
	if (strcmp(name, "individual_number") == 0 && !juki_individual_number_ok(value, len, why))
		return JUKI_CRITERION_INDIVIDUAL_NUMBER;
	if (strncmp(name, "birth_date", 10) == 0 && !juki_parse_ymd(value, len, &y, &m, &d))
		return JUKI_CRITERION_DATE;
	return JUKI_CRITERION_OK;
}
