# juki — PGXS build.  Out-of-tree builds work with `make -f /path/to/Makefile`
# (PGXS sets srcdir/VPATH from this file's location).  `make test` and
# `make demo` are the two commands of the README; they call scripts that also
# install packages, build as the postgres OS user and start throwaway clusters.

EXTENSION = juki
MODULE_big = juki
OBJS = \
	src/juki.o \
	src/codes.o

DATA = sql/juki--1.0.sql

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lcrypto

# pg_regress: sql/<test>.sql vs expected/<test>.out, run in a temp instance so
# that juki can be in shared_preload_libraries.
REGRESS = install codes gucs
REGRESS_OPTS = --temp-instance=./tmp_check --temp-config=$(srcdir)/test/juki.conf
ENCODING = UTF8
NO_LOCALE = 1

# Isolation specs and their outputs live together (PG 15 has no --expecteddir).
ISOLATION = codes_concurrent
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation \
	--temp-instance=./tmp_check_iso --temp-config=$(srcdir)/test/juki.conf

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard $(srcdir)/test/t/*.pl))
PROVE_FLAGS = -I $(srcdir)/test/t

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# One database name for every suite, named in test/juki.conf as juki.database.
CONTRIB_TESTDB = juki_regression
ISOLATION_TESTDB = juki_regression

# Objects live in src/ of the build directory; make sure it exists (an
# order-only target would be found in the source tree through VPATH).
$(shell mkdir -p src/tools)

# PGXS defines the recipe but no target for TAP tests against an installation.
.PHONY: prove_installcheck regresscheck isolationcheck
prove_installcheck:
	$(prove_installcheck)
regresscheck: submake $(REGRESS_PREP)
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
isolationcheck:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)

# The README's two commands.  Both are safe to run as root (CI) or as a user
# with sudo; see test/run.sh.
.PHONY: test demo
test:
	$(srcdir)/test/run.sh test
demo:
	$(srcdir)/test/run.sh demo
