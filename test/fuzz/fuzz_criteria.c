/*
 * libFuzzer target: search-criteria validation (criteria.c, with codes.c).
 * The first byte picks a criterion name (or, past the known ones, takes the
 * bytes up to the first NUL as a name); the rest is the value.  No crash;
 * a known name maps to itself; an accepted value has the form its
 * criterion promises (a date re-prints as itself, codes are digits).
 */
#include "postgres.h"
#include "door/criteria.h"

static const char *const known[] = {
	"address", "address_prefix", "birth_date", "birth_date_from", "birth_date_to",
	"full_name", "individual_number", "resident_code"
};

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

static void
check_value(const char *name, const char *v, size_t len)
{
	const char *why = NULL;
	JukiCriterionProblem p;
	char		again[16];
	int			y,
				m,
				d;
	size_t		i;

	if (juki_criterion_length_ok(v, len))
	{
		if (len == 0 || len > 4 * JUKI_MAX_CRITERION_CHARS || memchr(v, '\0', len))
			abort();
	}
	else
	{
		/* short NUL-free ASCII always fits (the server hands over UTF-8) */
		bool		ascii = len >= 1 && len <= JUKI_MAX_CRITERION_CHARS;

		for (i = 0; ascii && i < len; i++)
			ascii = v[i] > 0 && (unsigned char) v[i] < 0x80;
		if (ascii)
			abort();
	}

	p = juki_criterion_form(name, v, len, &why);
	if ((p == JUKI_CRITERION_RESIDENT_CODE || p == JUKI_CRITERION_INDIVIDUAL_NUMBER) && why == NULL)
		abort();
	if (p != JUKI_CRITERION_OK)
		return;
	if (strcmp(name, "resident_code") == 0 || strcmp(name, "individual_number") == 0)
	{
		if (len != (strcmp(name, "resident_code") == 0 ? 11 : 12))
			abort();
		for (i = 0; i < len; i++)
			if (v[i] < '0' || v[i] > '9')
				abort();
	}
	if (strncmp(name, "birth_date", 10) == 0)
	{
		if (!juki_parse_ymd(v, len, &y, &m, &d) || y < 1850 || m < 1 || m > 12 || d < 1 || d > 31)
			abort();
		/* re-print without PostgreSQL's snprintf, which is not linked */
		again[0] = '0' + y / 1000;
		again[1] = '0' + y / 100 % 10;
		again[2] = '0' + y / 10 % 10;
		again[3] = '0' + y % 10;
		again[4] = again[7] = '-';
		again[5] = '0' + m / 10;
		again[6] = '0' + m % 10;
		again[8] = '0' + d / 10;
		again[9] = '0' + d % 10;
		if (len != 10 || memcmp(again, v, 10) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	const char *v;
	size_t		len;
	size_t		i;

	if (size == 0)
		return 0;
	v = (const char *) data + 1;
	len = size - 1;
	if (data[0] < lengthof(known))
	{
		const char *name = juki_criterion_name(known[data[0]], strlen(known[data[0]]));

		if (name == NULL || strcmp(name, known[data[0]]) != 0)
			abort();
		check_value(name, v, len);
	}
	else
	{
		/* an arbitrary name: known only if it is spelled like one */
		const char *nul = memchr(v, '\0', len);
		size_t		nlen = nul ? (size_t) (nul - v) : len;
		const char *canon = juki_criterion_name(v, nlen);
		bool		spelled = false;

		for (i = 0; i < lengthof(known); i++)
			if (strlen(known[i]) == nlen && memcmp(known[i], v, nlen) == 0)
				spelled = true;
		if (spelled != (canon != NULL))
			abort();
		if (canon && nul)
			check_value(canon, nul + 1, len - nlen - 1);
	}
	return 0;
}
