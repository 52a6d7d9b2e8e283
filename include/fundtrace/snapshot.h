/*
 * snapshot.h - the binary snapshot of a loaded store.
 *
 * Layout (all integers little-endian on the machines we build for; the
 * header records the byte order and a reader refuses the other one):
 *
 *   header   64 bytes: magic "\x89FTG\r\n\x1a\n", format version, byte-order
 *            mark, section count, offset and checksum of the section table,
 *            file size, and an XXH64 of the header itself
 *   sections each 64-byte aligned: the store's arrays exactly as they are in
 *            memory (columns, interned keys and their hash slots, pools),
 *            counts, currencies, and the provenance of the inputs
 *   table    one 48-byte entry per section: id, element size, offset, size,
 *            element count, XXH64 of the bytes
 *
 * Writing goes to a temporary file in the target's directory which is
 * flushed (fsync) and then renamed over the target, so a reader sees the
 * old file or the new one, never half of one; a temporary file left by a
 * kill is refused, as its header names a size it does not have. Reading maps the file and
 * points the store's arrays into the mapping: nothing is parsed or copied.
 * Every checksum is verified first, so a truncated, bit-flipped or
 * other-version file is refused with FT_ECORRUPT.
 */
#ifndef FUNDTRACE_SNAPSHOT_H
#define FUNDTRACE_SNAPSHOT_H

#include <stdbool.h>

#include "fundtrace/error.h"
#include "fundtrace/progress.h"
#include "fundtrace/store.h"

#define FT_SNAPSHOT_VERSION                                                                        \
    2 /* 2 adds file notes, duplicates and statement columns; 1 still reads */

/* Writes the (finished) store to `path` atomically, through the one
 * atomic writer (writer.h): "-" is standard output. */
ft_status ft_snapshot_write(const ft_store *s, const char *path, ft_error *err);
/* The same, reporting the bytes written out of the file's size. */
ft_status ft_snapshot_write_progress(const ft_store *s, const char *path, ft_advance_fn progress,
                                     void *progress_ctx, ft_error *err);

/* Reads a snapshot into an empty store. */
ft_status ft_snapshot_read(ft_store *s, const char *path, ft_error *err);

/* True when the file at `path` starts with the snapshot magic. */
bool ft_snapshot_is(const char *path);

#endif
