/* inifile: the one INI grammar of both programs' config files, on libinih.
 *
 * Grammar: `[section]` or `[section NAME]` headers, `key = value` lines, blank lines; a comment
 * starts with '#' or ';' at the start of a line or after a space or tab, so `key = v   # why`
 * is `v` while `url = https://h/#x` keeps its '#'. Leading whitespace is not significant (no
 * continuation lines); CRLF line ends are accepted; a UTF-8 BOM is skipped. A line holds at most
 * VR_INIFILE_MAX_LINE characters before its line end, comment included: a longer one is refused,
 * never cut. A NUL byte or another control character (but tab, and CR before LF) is refused
 * (not a text file), and so is a file over VR_INIFILE_MAX_BYTES or
 * VR_INIFILE_MAX_LINES, so that `--config /dev/zero` or an endless pipe ends with an error.
 *
 * The caller declares its sections and their known keys in a table; this layer refuses unknown
 * sections and keys with the one "did you mean" rule (vr_inifile_suggest), checks the NAME of named
 * sections (vr_inifile_valid_name), and hands each known key to the caller's callback. Every
 * message is `FILE:LINE: ...`; only the first problem is reported and parsing stops there.
 *
 * It does not interpret values (common/parse.h does) and keeps no state between calls: every
 * pointer it hands to the callback is borrowed for the call only. Any thread. */
#ifndef VR_INIFILE_H
#define VR_INIFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* libinih's fixed line buffer (INI_MAX_LINE, 200) less '\r', '\n' and '\0' */
#define VR_INIFILE_MAX_LINE  197
#define VR_INIFILE_MAX_BYTES ((size_t)1 << 20)
#define VR_INIFILE_MAX_LINES 65536u

/* One kind of section in the caller's table. */
struct vr_inifile_section {
    const char *name;        /* "agent", or "target" for [target NAME] */
    bool named;              /* true: written [name NAME], NAME checked by vr_inifile_valid_name */
    const char *const *keys; /* the known keys, NULL-terminated */
};

/* One `key = value` line of a known key, for the callback. */
struct vr_inifile_entry {
    size_t section;       /* index into the caller's table */
    const char *instance; /* NAME of a named section; "" otherwise */
    bool first;           /* first key since this section's header line: look NAME up here */
    const char *key;      /* one of the section's keys */
    const char *value;    /* trimmed, comment removed; may be "" */
    unsigned line;
};

/* Returns 0, or a negative VR_E* code with eb set to the problem without `FILE:LINE: ` (the
 * layer adds it), e.g. `calls "0": expected 1 to 1000`. */
typedef int (*vr_inifile_entry_cb)(void *arg, const struct vr_inifile_entry *e,
                                   struct vr_errbuf *eb);

/* Parses the file at path. Returns 0; VR_EINVAL with eb `FILE:LINE: ...`; VR_ENOMEM; or -errno
 * when the file cannot be opened or read (eb `FILE: cannot open (...)`). The callback's error
 * code is returned as it is (its message prefixed). */
int vr_inifile_parse(const char *path, const struct vr_inifile_section *sections, size_t n_sections,
                     vr_inifile_entry_cb cb, void *arg, struct vr_errbuf *eb);

/* Same over a stream the caller opened and closes (e.g. fmemopen); name stands for it in
 * messages. */
int vr_inifile_parse_file(FILE *f, const char *name, const struct vr_inifile_section *sections,
                          size_t n_sections, vr_inifile_entry_cb cb, void *arg,
                          struct vr_errbuf *eb);

/* Same over text in memory; name stands for the file in messages. */
int vr_inifile_parse_text(const char *text, const char *name,
                          const struct vr_inifile_section *sections, size_t n_sections,
                          vr_inifile_entry_cb cb, void *arg, struct vr_errbuf *eb);

/* The "did you mean" rule: the candidate nearest to word (case-insensitive edit distance), or
 * NULL when none is a plausible typo (more than 3 edits, or as many as the candidate's length).
 * A word of 4 or more characters that starts a candidate ("spool_max") counts as 1 edit away.
 * Borrowed from cands. */
const char *vr_inifile_suggest(const char *word, const char *const *cands, size_t n);

/* A section NAME or a reference to one: 1 to 63 letters, digits, '.', '_' or '-'. */
bool vr_inifile_valid_name(const char *s);

#endif
