/* fuzz_scenario.c - libFuzzer harness for the scenario loader (sim/scenario/scenario.c): the bytes go
 * through scn_load_file (via a scratch file, so the file-level checks run too: empty file, NUL
 * bytes, "\u0000", nesting, where cJSON gave up) and through cJSON + scn_load_json directly.
 * A load that succeeds must survive the round trip of tests/fuzz/parsers_oneshot.h. Built and
 * run by `make fuzz-parsers`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "parsers_oneshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[4096];

static void remove_scratch(void) {
    if (scratch[0] != '\0') unlink(scratch);
}

/* One scratch file per process (libFuzzer's -jobs runs several), in memory when /dev/shm is. */
static const char *scratch_path(void) {
    if (scratch[0] != '\0') return scratch;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/raftsim-fuzz-scenario-XXXXXX",
             dir != NULL ? dir : "/tmp");
    int fd = mkstemp(scratch);
    if (fd < 0) {
        perror("fuzz_scenario: mkstemp");
        abort();
    }
    close(fd);
    atexit(remove_scratch);
    return scratch;
}

static void require(const char *why) {
    if (why == NULL) return;
    fprintf(stderr, "fuzz_scenario: %s\n", why);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = scratch_path();
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror("fuzz_scenario: writing the scratch file");
        abort();
    }
    require(pf_scenario_file(path));
    require(pf_scenario_bytes("fuzz.json", data, size));
    return 0;
}
