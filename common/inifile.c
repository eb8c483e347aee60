/* inifile: one INI layer on libinih; see inifile.h. */
#include "inifile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "parse.h"

/* libinih copies a section name into a 50-byte buffer and cuts it silently: refuse instead */
#define INIH_MAX_SECTION 49

struct ctx {
    const char *name; /* the file, for messages */
    const struct vr_inifile_section *sections;
    size_t n_sections;
    vr_inifile_entry_cb cb;
    void *arg;
    struct vr_errbuf *eb;
    int err;
    unsigned err_line;
    /* the source: a file or text; one line per reader call, so that libinih's line number and
     * ours agree and the handler runs while c->line is the line it parses */
    FILE *f;
    const char *text;
    unsigned line;
    size_t bytes;
    bool stop; /* after the first problem: end the parse at the next read */
    /* the current section block: libinih's name for it, and trimmed for messages */
    char raw[64], section[64];
    size_t kind;
    const char *instance;
};

static int fail(struct ctx *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, int err, const char *fmt, ...)
{
    char msg[VR_ERRBUF_SIZE];
    va_list ap;

    if (c->err != 0)
        return 0; /* only the first problem: later ones are often its consequences */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->err = err;
    c->err_line = c->line;
    c->stop = true;
    vr_errbuf_set(c->eb, err, "%s:%u: %s", c->name, c->line, msg);
    return 0;
}

/* Levenshtein distance, case-insensitive; SIZE_MAX for words longer than any key. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
    if (la > 63 || lb > 63)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] +
                         (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

const char *vr_inifile_suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, wlen = strlen(word);
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        /* a truncated key ("spool_max") means the longer one, even when another is as close */
        if (wlen >= 4 && strncmp(word, cands[i], wlen) == 0 && d > 1)
            d = 1;
        if (d < best_d && d <= 3 && d < strlen(cands[i])) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

bool vr_inifile_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* "[agent], [target NAME] or [capture]" into buf, for messages. */
static const char *section_list(const struct ctx *c, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n_sections && at < len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == c->n_sections ? " or " : ", ";
        int n = snprintf(buf + at, len - at, "%s[%s%s]", sep, c->sections[i].name,
                         c->sections[i].named ? " NAME" : "");
        if (n < 0)
            break;
        at += (size_t)n;
    }
    return buf;
}

static int unknown_key(struct ctx *c, const char *key)
{
    const char *const *keys = c->sections[c->kind].keys;
    const char *s;
    char known[160];
    size_t n = 0, at = 0;

    while (keys[n] != NULL)
        n++;
    s = vr_inifile_suggest(key, keys, n);
    if (s != NULL)
        return fail(c, VR_EINVAL, "unknown key \"%s\" (did you mean \"%s\"?)", key, s);
    known[0] = '\0';
    for (size_t i = 0; i < n && at < sizeof(known); i++) {
        int w = snprintf(known + at, sizeof(known) - at, "%s%s", i ? ", " : "", keys[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    return fail(c, VR_EINVAL, "unknown key \"%s\" in [%s] (known keys: %s)", key, c->section,
                known);
}

/* A new "[kind NAME]" block: which kind, and is its NAME as the table says. */
static int enter_section(struct ctx *c, const char *section)
{
    const char *names[32];
    char kind[32], list[200];
    const char *name, *s;
    size_t klen, n = c->n_sections < 32 ? c->n_sections : 32, i;

    while (*section == ' ' || *section == '\t')
        section++;
    snprintf(c->section, sizeof(c->section), "%s", section);
    klen = strcspn(c->section, " \t");
    snprintf(kind, sizeof(kind), "%.*s", (int)(klen < 31 ? klen : 31), c->section);
    name = c->section + klen;
    while (*name == ' ' || *name == '\t')
        name++;
    for (size_t e = strlen(c->section); e > 0 && strchr(" \t", c->section[e - 1]); e--)
        c->section[e - 1] = '\0';
    for (i = 0; i < n; i++)
        names[i] = c->sections[i].name;
    for (i = 0; i < n && strcmp(kind, names[i]) != 0; i++)
        ;
    if (i == n) {
        s = vr_inifile_suggest(kind, names, n);
        for (i = 0; s != NULL && i < n && names[i] != s; i++)
            ;
        if (s != NULL)
            return fail(c, VR_EINVAL, "unknown section [%s] (did you mean [%s%s]?)", c->section, s,
                        c->sections[i].named ? " NAME" : "");
        return fail(c, VR_EINVAL, "unknown section [%s]; expected %s", c->section,
                    section_list(c, list, sizeof(list)));
    }
    if (c->sections[i].named) {
        if (*name == '\0')
            return fail(c, VR_EINVAL, "[%s] needs a name, e.g. [%s hq]", kind, kind);
        if (!vr_inifile_valid_name(name))
            return fail(c, VR_EINVAL,
                        "[%s]: use 1 to 63 letters, digits, '.', '_' or '-' in the name",
                        c->section);
    } else if (*name != '\0') {
        return fail(c, VR_EINVAL, "[%s] takes no name; write [%s]", c->section, kind);
    }
    c->kind = i;
    c->instance = name;
    return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
    struct ctx *c = user;
    struct vr_inifile_entry e = {.key = key, .value = value, .line = c->line};
    struct vr_errbuf msg = {{0}};
    const char *const *keys;
    char list[200];
    int rc;

    if (c->err != 0)
        return 1; /* keep quiet after the first problem */
    if (c->instance == NULL || strcmp(section, c->raw) != 0) {
        if (*section == '\0')
            return fail(c, VR_EINVAL, "key \"%s\" outside a section; put it under %s", key,
                        section_list(c, list, sizeof(list)));
        c->instance = NULL;
        snprintf(c->raw, sizeof(c->raw), "%s", section);
        if (!enter_section(c, section))
            return 0;
        e.first = true;
    }
    keys = c->sections[c->kind].keys;
    while (*keys != NULL && strcmp(*keys, key) != 0)
        keys++;
    if (*keys == NULL)
        return unknown_key(c, key);
    e.section = c->kind;
    e.instance = c->instance;
    rc = c->cb(c->arg, &e, &msg);
    if (rc < 0)
        return fail(c, rc, "%s", msg.msg);
    return 1;
}

/* The next byte of the source, or EOF. */
static int next_byte(struct ctx *c)
{
    if (c->f != NULL)
        return getc(c->f);
    if (*c->text == '\0')
        return EOF;
    return (unsigned char)*c->text++;
}

/* libinih's reader: one physical line per call, checked (size, NUL, length) and cleaned
 * (BOM, CR, comment, leading blanks) before libinih sees it. After a problem it hands out a
 * blank line, then ends the parse. */
static char *reader(char *str, int num, void *stream)
{
    struct ctx *c = stream;
    size_t n = 0,
           max = (size_t)num - 3 < VR_INIFILE_MAX_LINE ? (size_t)num - 3 : VR_INIFILE_MAX_LINE;
    bool too_long = false;
    int ch = EOF;

    if (c->stop || num < 4)
        return NULL;
    c->line++;
    while ((ch = next_byte(c)) != EOF) {
        if (++c->bytes > VR_INIFILE_MAX_BYTES) {
            fail(c, VR_EINVAL, "file too large (at most %zu bytes); is this the config file?",
                 VR_INIFILE_MAX_BYTES);
            break;
        }
        if (ch == '\n')
            break;
        if (ch == '\0') {
            fail(c, VR_EINVAL, "NUL byte: expected a text file");
            break;
        }
        if (ch < 0x20 && ch != '\t' && ch != '\r') {
            fail(c, VR_EINVAL, "control character 0x%02x: expected a text file", ch);
            break;
        }
        if (n < max + 1) /* one more than fits: a '\r' before the line end may follow */
            str[n++] = (char)ch;
        else
            too_long = true;
    }
    if (c->err != 0) {
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    if (ch == EOF && n == 0) {
        c->line--;
        return NULL;
    }
    if (n > 0 && str[n - 1] == '\r')
        n--;
    if (memchr(str, '\r', n) != NULL) {
        /* a CR inside the line, not as part of its CRLF end */
        fail(c, VR_EINVAL, "control character 0x0d: expected a text file");
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    if (too_long || n > max) {
        fail(c, VR_EINVAL, "line too long (at most %zu characters)", max);
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    if (c->line > VR_INIFILE_MAX_LINES) {
        fail(c, VR_EINVAL, "more than %u lines; is this the config file?", VR_INIFILE_MAX_LINES);
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    str[n] = '\0';
    if (c->line == 1 && n >= 3 && memcmp(str, "\xef\xbb\xbf", 3) == 0)
        memmove(str, str + 3, n - 2);
    vr_ini_strip_comment(str);
    /* no leading blanks: libinih would take an indented line for a continuation of the last
     * value; here indentation means nothing */
    n = strspn(str, " \t");
    memmove(str, str + n, strlen(str + n) + 1);
    if (str[0] == '[' && strcspn(str, "]") > INIH_MAX_SECTION + 1) {
        fail(c, VR_EINVAL, "section header too long (at most %d characters between [ and ])",
             INIH_MAX_SECTION);
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    n = strlen(str);
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

static int run(struct ctx *c)
{
    int rc = ini_parse_stream(reader, c, handler, c);
    if (c->err == 0 && c->f != NULL && ferror(c->f)) {
        int err = errno != 0 ? -errno : -EIO;
        return vr_errbuf_set(c->eb, err, "%s: cannot read (%s)", c->name, strerror(-err));
    }
    if (rc > 0 && (c->err == 0 || (unsigned)rc < c->err_line)) {
        c->err = 0;
        c->line = (unsigned)rc;
        fail(c, VR_EINVAL, "expected \"key = value\" or \"[section]\"");
    }
    if (rc < 0 && c->err == 0)
        return vr_errbuf_set(c->eb, VR_ENOMEM, "%s: out of memory", c->name);
    return c->err;
}

/* One of f and text is the source. */
static int parse_source(FILE *f, const char *text, const char *name,
                        const struct vr_inifile_section *sections, size_t n_sections,
                        vr_inifile_entry_cb cb, void *arg, struct vr_errbuf *eb)
{
    struct ctx c = {.name = name,
                    .sections = sections,
                    .n_sections = n_sections,
                    .cb = cb,
                    .arg = arg,
                    .eb = eb,
                    .f = f,
                    .text = text};
    return run(&c);
}

int vr_inifile_parse_file(FILE *f, const char *name, const struct vr_inifile_section *sections,
                          size_t n_sections, vr_inifile_entry_cb cb, void *arg,
                          struct vr_errbuf *eb)
{
    return parse_source(f, NULL, name, sections, n_sections, cb, arg, eb);
}

int vr_inifile_parse_text(const char *text, const char *name,
                          const struct vr_inifile_section *sections, size_t n_sections,
                          vr_inifile_entry_cb cb, void *arg, struct vr_errbuf *eb)
{
    return parse_source(NULL, text, name, sections, n_sections, cb, arg, eb);
}

int vr_inifile_parse(const char *path, const struct vr_inifile_section *sections, size_t n_sections,
                     vr_inifile_entry_cb cb, void *arg, struct vr_errbuf *eb)
{
    FILE *f = fopen(path, "r");
    int rc;

    if (f == NULL) {
        rc = -errno;
        return vr_errbuf_set(eb, rc, "%s: cannot open (%s)", path, strerror(-rc));
    }
    rc = vr_inifile_parse_file(f, path, sections, n_sections, cb, arg, eb);
    fclose(f);
    return rc;
}
