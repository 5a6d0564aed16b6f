/*-------------------------------------------------------------------------
 * message.h
 *		juki's messages in the reader's language (po/, doc/DECISIONS.md
 *		"Messages in Japanese").
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_MESSAGE_H
#define JUKI_MESSAGE_H

extern void juki_message_init(void);
extern void juki_message_backend(void);
extern const char *juki_tr(const char *english);
extern int	juki_errreason(const char *reason);
extern int	juki_errfield(const char *reason);
extern void juki_no_context(void);

/* the generated table of translatable templates (po/templates.pl) */
extern const char *const juki_msg_templates[];
extern const int juki_msg_ntemplates;

#endif
