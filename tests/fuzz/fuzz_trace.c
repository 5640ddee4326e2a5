/* fuzz_trace.c - libFuzzer harness for the trace reader (sim/trace/tracefile.c): the bytes go to
 * tracefile_parse, and a trace it accepts goes through the checker the way `raftsim check`
 * runs it (tracefile_check_loaded). Results must be sane (tests/fuzz/parsers_oneshot.h).
 * Built and run by `make fuzz-parsers`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "parsers_oneshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *why = pf_trace_bytes("fuzz.jsonl", data, size);
    if (why != NULL) {
        fprintf(stderr, "fuzz_trace: %s\n", why);
        abort();
    }
    return 0;
}
