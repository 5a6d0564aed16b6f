/*-------------------------------------------------------------------------
 * criteria.c
 *		The rules for search criteria: which names exist and what form
 *		each value must have.  search.c walks the jsonb object and raises
 *		the refusals; the rules themselves are pure so that libFuzzer can
 *		drive them (test/fuzz/fuzz_criteria.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "codes.h"
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

bool
juki_parse_ymd(const char *s, size_t len, int *y, int *m, int *d)
{
	return juki_ymd_ok(s, len, 1850, y, m, d);
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
