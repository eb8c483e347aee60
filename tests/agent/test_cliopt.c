/* cliopt.h: a short option letter means one thing in every agent command (-d is --duration
 * wherever it exists, never --device), and getopt's short-option string is derived from each
 * command's table, so what this test reads is what the commands accept. System headers come
 * before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cliopt.h"
#include "err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Every agent command (main.c's table); a new command adds its table here. */
static const struct {
    const char *cmd;
    const struct option *opts;
} commands[] = {
    {"test", vr_cmd_test_options},       {"trace", vr_cmd_trace_options},
    {"capture", vr_cmd_capture_options}, {"capacity", vr_cmd_capacity_options},
    {"reflect", vr_cmd_reflect_options}, {"run", vr_cmd_run_options},
    {"spool", vr_cmd_spool_options},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The option a letter stands for in one table: the first with that val (later ones are long
 * aliases such as trace's --device), or NULL. */
static const char *meaning(const struct option *opts, int letter)
{
    for (const struct option *o = opts; o->name != NULL; o++)
        if (o->val == letter)
            return o->name;
    return NULL;
}

static void test_cliopt_one_meaning_per_letter(void **state)
{
    int clashes = 0;
    (void)state;
    for (int letter = 1; letter < VR_CLIOPT_LONG_ONLY; letter++) {
        const char *first = NULL, *first_cmd = NULL;
        for (size_t i = 0; i < N_COMMANDS; i++) {
            const char *m = meaning(commands[i].opts, letter);
            if (m == NULL)
                continue;
            if (first == NULL) {
                first = m;
                first_cmd = commands[i].cmd;
            } else if (strcmp(first, m) != 0) {
                print_error("-%c is --%s in %s but --%s in %s\n", letter, first, first_cmd, m,
                            commands[i].cmd);
                clashes++;
            }
        }
    }
    assert_int_equal(clashes, 0);
}

/* An alias shares its option's argument and comes after it; no two options of one table
 * share a long name. */
static void test_cliopt_tables_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        for (const struct option *o = commands[i].opts; o->name != NULL; o++) {
            if (o->flag != NULL || o->val <= 0)
                fail_msg("%s --%s: val must be a letter or >= VR_CLIOPT_LONG_ONLY", commands[i].cmd,
                         o->name);
            for (const struct option *p = commands[i].opts; p != o; p++) {
                if (strcmp(p->name, o->name) == 0)
                    fail_msg("%s: --%s twice", commands[i].cmd, o->name);
                if (p->val == o->val && p->has_arg != o->has_arg)
                    fail_msg("%s: alias --%s of --%s takes another argument", commands[i].cmd,
                             o->name, p->name);
            }
        }
    }
}

/* The meanings the README and --help promise. */
static void test_cliopt_agreed_letters(void **state)
{
    (void)state;
    assert_string_equal(meaning(vr_cmd_test_options, 'd'), "duration");
    assert_string_equal(meaning(vr_cmd_test_options, 'i'), "interval");
    assert_string_equal(meaning(vr_cmd_test_options, 'I'), "interface");
    assert_string_equal(meaning(vr_cmd_trace_options, 'I'), "interface");
    assert_null(meaning(vr_cmd_trace_options, 'd'));
    assert_string_equal(meaning(vr_cmd_trace_options, 'i'), "interval");
    assert_string_equal(meaning(vr_cmd_capture_options, 'I'), "interface");
    assert_null(meaning(vr_cmd_capture_options, 'i'));
    assert_string_equal(meaning(vr_cmd_capacity_options, 'I'), "interface");
}

static void test_cliopt_shortopts_from_table(void **state)
{
    static const struct option opts[] = {{"interface", required_argument, NULL, 'I'},
                                         {"device", required_argument, NULL, 'I'},
                                         {"probes", required_argument, NULL, VR_CLIOPT_LONG_ONLY},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    char buf[16], tiny[4];
    (void)state;
    assert_int_equal(vr_cliopt_shortopts(opts, "+", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "+I:j");
    assert_int_equal(vr_cliopt_shortopts(opts, "", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "I:j");
    assert_int_equal(vr_cliopt_shortopts(opts, "", tiny, sizeof(tiny)), VR_EFULL);
    assert_string_equal(tiny, "");
    /* every real table fits the buffers the commands use (32 bytes and up) */
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char s[32];
        assert_int_equal(vr_cliopt_shortopts(commands[i].opts, "+", s, sizeof(s)), 0);
    }
}

/* --help names each letter once (no alias), all of them, within 80 columns. */
static void test_cliopt_print_short_lists_letters(void **state)
{
    char text[1024], *line;
    size_t len;
    FILE *f = tmpfile(); /* not open_memstream: its buffer is libc's, not cmocka's malloc */
    (void)state;
    assert_non_null(f);
    vr_cliopt_print_short(f, vr_cmd_trace_options);
    rewind(f);
    len = fread(text, 1, sizeof(text) - 1, f);
    text[len] = '\0';
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(text, "Short options: -c --class, "));
    assert_non_null(strstr(text, " -I --interface,"));
    assert_non_null(strstr(text, " -w --timeout,"));
    assert_non_null(strstr(text, " -h --help\n"));
    assert_null(strstr(text, "--device"));
    assert_null(strstr(text, "--probes"));
    for (line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
        if (strlen(line) > 80)
            fail_msg("help line over 80 columns: \"%s\"", line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cliopt_one_meaning_per_letter),
        cmocka_unit_test(test_cliopt_tables_well_formed),
        cmocka_unit_test(test_cliopt_agreed_letters),
        cmocka_unit_test(test_cliopt_shortopts_from_table),
        cmocka_unit_test(test_cliopt_print_short_lists_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
