/* replay: the main() of every fuzz_<name>_replay program, shared by all the harnesses.
 *
 * It feeds to the harness's LLVMFuzzerTestOneInput() once each file named on the command line
 * and each regular file directly inside each directory named (no recursion; names beginning
 * with '.' are skipped; a directory's files in name order, so runs repeat). That way builds
 * without libFuzzer (gcc) still run every seed corpus, under ASan and UBSan with VR_SANITIZE.
 *
 * Each input is passed in a malloc'd copy of exactly its size, as libFuzzer does, so ASan reports
 * any read past its end (for an empty input, malloc(0): ASan may not flag its first byte). The
 * exit status is 0 only when at least one input ran and nothing went wrong: a path that does not
 * exist stops the run at once, and a directory that cannot be listed or a file that cannot be
 * read fails it (an empty corpus would let the test pass without testing anything). Messages
 * begin with the program's name, the last component of argv[0].
 *
 * Built into each fuzz_<name>_replay target next to fuzz_<name>.c (tests/fuzz/CMakeLists.txt and
 * fuzz_<name>.cmake); the harness itself defines no main(). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prog = "fuzz_replay";

/* Feeds one file to the target. Returns 1 when it ran, 0 (after a message) when the file could
 * not be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        if (f != NULL)
            fclose(f);
        return 0;
    }
    /* an exact-size copy, so ASan sees any read past the input */
    data = malloc((size_t)n);
    if (data == NULL && n == 0)
        data = malloc(1); /* a C library whose malloc(0) gives NULL */
    if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        free(data);
        fclose(f);
        return 0;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    return 1;
}

/* Feeds the regular files of one directory. Returns 0 when all of them ran, -1 (after a message)
 * when the directory could not be listed or one of its files could not be read. */
static int replay_dir(const char *dir, size_t *ran)
{
    struct dirent **names;
    int count = scandir(dir, &names, NULL, alphasort);
    int rc = 0;

    if (count < 0) {
        fprintf(stderr, "%s: cannot list %s: %s\n", prog, dir, strerror(errno));
        return -1;
    }
    for (int k = 0; k < count; k++) {
        const char *name = names[k]->d_name;
        char path[4096];
        struct stat st;

        if (name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
            fprintf(stderr, "%s: path too long: %s/%s\n", prog, dir, name);
            rc = -1;
            continue;
        }
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path))
                (*ran)++;
            else
                rc = -1;
        }
    }
    for (int k = 0; k < count; k++)
        free(names[k]);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t ran = 0;
    int bad = 0;

    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        const char *slash = strrchr(argv[0], '/');
        prog = slash != NULL ? slash + 1 : argv[0];
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s: %s\n", prog, argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            if (replay_dir(argv[i], &ran) != 0)
                bad = 1;
        } else if (replay_file(argv[i])) {
            ran++;
        } else {
            bad = 1;
        }
    }
    printf("%s: %zu inputs\n", prog, ran);
    /* an empty corpus would make the test pass without testing anything */
    return ran > 0 && !bad ? 0 : 1;
}
