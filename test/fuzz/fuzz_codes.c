/*
 * libFuzzer target: the 住民票コード, 個人番号 and 地方公共団体コード
 * validators (codes.c, built against PostgreSQL's headers; only the pure
 * functions are linked).  Any bytes: no crash, a reason whenever a code is
 * refused, and an accepted code is exactly its digits.
 */
#include "postgres.h"
#include "fmgr.h"
#include "core/settings.h"
#include "door/codes.h"

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	const char *why = NULL;
	bool		ok;
	size_t		i;

	for (int digit = 0; digit < 2; digit++)
	{
		juki_check_resident_code_digit = digit;
		ok = juki_resident_code_ok((const char *) data, size, &why);
		if (!ok && why == NULL)
			abort();
		if (ok && size != 11)
			abort();
	}
	why = NULL;
	ok = juki_individual_number_ok((const char *) data, size, &why);
	if ((!ok && why == NULL) || (ok && size != 12))
		abort();
	why = NULL;
	ok = juki_municipality_code_ok((const char *) data, size, &why);
	if ((!ok && why == NULL) || (ok && size != 6))
		abort();
	if (ok)
		for (i = 0; i < size; i++)
			if (data[i] < '0' || data[i] > '9')
				abort();
	return 0;
}
