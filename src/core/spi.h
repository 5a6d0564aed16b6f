/*-------------------------------------------------------------------------
 * spi.h
 *		Run SPI as the owner of schema juki with search_path = pg_catalog
 *		(spi.c).  An ERROR in between is cleaned up by (sub)transaction
 *		abort.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_SPI_H
#define JUKI_SPI_H

typedef struct JukiSpi
{
	Oid			save_user;
	int			save_sec;
	int			guc_level;
} JukiSpi;

extern void juki_spi_begin(JukiSpi *st);
extern void juki_spi_end(JukiSpi *st);

#endif							/* JUKI_SPI_H */
