/* Fuzzing shim: card.c needs only PostgreSQL's integer and bool types. */
#ifndef JUKI_FUZZ_SHIM_POSTGRES_H
#define JUKI_FUZZ_SHIM_POSTGRES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef uint8_t uint8;
typedef uint32_t uint32;
typedef int64_t int64;
#endif
