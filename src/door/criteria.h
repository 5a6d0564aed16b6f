/*
 * criteria.h — the rules for one search criterion (pure C, fuzzed).
 */
#ifndef JUKI_CRITERIA_H
#define JUKI_CRITERIA_H

#define JUKI_MAX_CRITERIA_BYTES 4096	/* the whole jsonb object */
#define JUKI_MAX_CRITERION_CHARS 300

/* what is wrong with a criterion's value */
typedef enum JukiCriterionProblem
{
	JUKI_CRITERION_OK = 0,
	JUKI_CRITERION_RESIDENT_CODE,	/* *why says what */
	JUKI_CRITERION_INDIVIDUAL_NUMBER,	/* *why says what */
	JUKI_CRITERION_DATE			/* not YYYY-MM-DD, or no such day */
} JukiCriterionProblem;

/* The canonical (static) name of a known criterion, or NULL. */
extern const char *juki_criterion_name(const char *name, size_t len);

/* Names a purpose's search keys may combine, for hints. */
extern const char *const juki_criteria_known;

/* 1 to JUKI_MAX_CRITERION_CHARS characters of UTF-8, no NUL. */
extern bool juki_criterion_length_ok(const char *value, size_t len);

/* The value's form for its criterion (names from juki_criterion_name). */
extern JukiCriterionProblem juki_criterion_form(const char *name, const char *value,
												size_t len, const char **why);

/* A YYYY-MM-DD date between 1850 and 9999 that exists. */
extern bool juki_parse_ymd(const char *s, size_t len, int *y, int *m, int *d);

#endif
