/* fuzz_inifile: libFuzzer harness for the INI layer (common/inifile.c) that reads both
 * programs' config files.
 *
 * The input is a config file. It is parsed as a stream (fmemopen: NUL bytes included) and, up
 * to its first NUL byte, as text. For every input the layer must return 0 or VR_EINVAL, with
 * a message `fuzz.conf:LINE: ...` whose LINE is within the input's lines; every entry it hands
 * to the callback must be a known key of a known section, with a valid NAME exactly when the
 * section is named, a value without line ends, NUL or outer blanks and within the line limit,
 * and lines that only go forward. The stream and the text agree when the
 * input holds no NUL byte, and a second parse gives the same result. A broken property calls
 * abort().
 *
 * Programs built from this file, like fuzz_probe.c:
 *  - fuzz_inifile (clang, -fsanitize=fuzzer);
 *  - fuzz_inifile_replay (with replay.c): feeds each seed in tests/fuzz/corpus/inifile once, in
 *    every build. The seeds are the shipped examples and hand-written files, kept as they are
 *    (no generator). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "inifile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const agent_keys[] = {"name", "site", NULL};
static const char *const target_keys[] = {"host", "calls", "interface", "thresholds", NULL};
static const char *const server_keys[] = {"listen", "db", "max_body", NULL};
static const struct vr_inifile_section sections[] = {
    {"agent", false, agent_keys},
    {"target", true, target_keys},
    {"server", false, server_keys},
    {"site", true, server_keys},
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

struct seen {
    unsigned entries, last_line;
    uint32_t hash; /* of everything the callback saw, to compare two parses */
};

static void check(int ok)
{
    if (!ok)
        abort();
}

static void mix(struct seen *s, const char *p)
{
    for (; *p != '\0'; p++)
        s->hash = (s->hash ^ (uint8_t)*p) * 16777619u;
    s->hash = (s->hash ^ 0xff) * 16777619u;
}

static int on_entry(void *arg, const struct vr_inifile_entry *e, struct vr_errbuf *eb)
{
    struct seen *s = arg;
    const char *const *k;
    size_t vlen = strlen(e->value);

    check(e->section < N_SECTIONS);
    for (k = sections[e->section].keys; *k != NULL && strcmp(*k, e->key) != 0; k++)
        ;
    check(*k != NULL);
    check(sections[e->section].named ? vr_inifile_valid_name(e->instance) : *e->instance == '\0');
    check(vlen <= VR_INIFILE_MAX_LINE);
    check(strpbrk(e->value, "\r\n") == NULL);
    check(vlen == 0 || (e->value[0] != ' ' && e->value[vlen - 1] != ' '));
    check(e->line > s->last_line);
    s->last_line = e->line;
    s->entries++;
    mix(s, e->key);
    mix(s, e->value);
    mix(s, e->instance);
    /* refuse one value, so that the callback's error path is fuzzed too */
    if (strcmp(e->value, "refuse") == 0)
        return vr_errbuf_set(eb, VR_EINVAL, "%s: refused", e->key);
    return 0;
}

static int parse_stream(const uint8_t *data, size_t size, struct seen *s, struct vr_errbuf *eb)
{
    /* fmemopen of 0 bytes fails on older glibc: give it one byte and read none of it */
    FILE *f = fmemopen(size > 0 ? (void *)data : (void *)"", size > 0 ? size : 1, "r");
    int rc;

    check(f != NULL);
    if (size == 0)
        (void)getc(f);
    memset(s, 0, sizeof(*s));
    rc = vr_inifile_parse_file(f, "fuzz.conf", sections, N_SECTIONS, on_entry, s, eb);
    fclose(f);
    return rc;
}

/* The message is "fuzz.conf:LINE: ..." with LINE in 1..lines+1. */
static void check_message(const char *msg, const uint8_t *data, size_t size)
{
    unsigned long line;
    char *end;
    size_t lines = 1;

    check(strncmp(msg, "fuzz.conf:", 10) == 0);
    line = strtoul(msg + 10, &end, 10);
    check(end != msg + 10 && end[0] == ':' && end[1] == ' ');
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    check(line >= 1 && line <= lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen a, b;
    struct vr_errbuf ea = {{0}}, eb = {{0}};
    size_t text_len = strnlen((const char *)data, size);
    char *text;
    int rc, rc2;

    rc = parse_stream(data, size, &a, &ea);
    check(rc == 0 || rc == VR_EINVAL);
    if (rc != 0)
        check_message(ea.msg, data, size);
    rc2 = parse_stream(data, size, &b, &eb);
    check(rc2 == rc && a.entries == b.entries && a.hash == b.hash);
    check(strcmp(ea.msg, eb.msg) == 0);

    text = malloc(text_len + 1);
    check(text != NULL);
    memcpy(text, data, text_len);
    text[text_len] = '\0';
    memset(&b, 0, sizeof(b));
    memset(&eb, 0, sizeof(eb));
    rc2 = vr_inifile_parse_text(text, "fuzz.conf", sections, N_SECTIONS, on_entry, &b, &eb);
    check(rc2 == 0 || rc2 == VR_EINVAL);
    if (text_len == size) {
        check(rc2 == rc && a.entries == b.entries && a.hash == b.hash);
        check(strcmp(ea.msg, eb.msg) == 0);
    }
    free(text);
    return 0;
}
