# juki's message catalog (PGXS, nls-global.mk): text domain juki-15,
# installed by make install as <localedir>/<lang>/LC_MESSAGES/juki-15.mo.
# po/sql_messages.c is generated in the build directory from the PL/pgSQL
# functions (po/sql_messages.pl); `make update-po` merges new messages into
# po/ja.po.new.  test/t/045_nls.pl checks that every message has a translation.
CATALOG_NAME     = juki
AVAIL_LANGUAGES  = ja
GETTEXT_FILES    = src/juki.c $(sort $(patsubst $(srcdir)/%,%,$(wildcard $(addprefix $(srcdir)/src/,$(addsuffix /*.c,core log access door guard audit sql))))) \
                   po/sql_messages.c
GETTEXT_TRIGGERS = $(BACKEND_COMMON_GETTEXT_TRIGGERS) gettext_noop \
                   GUC_check_errmsg GUC_check_errdetail GUC_check_errhint
XGETTEXT         += --from-code=UTF-8
GETTEXT_FLAGS    = $(BACKEND_COMMON_GETTEXT_FLAGS) \
                   GUC_check_errmsg:1:c-format GUC_check_errdetail:1:c-format GUC_check_errhint:1:c-format
