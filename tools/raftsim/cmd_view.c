/* cmd_view.c - `raftsim view TRACE [-o FILE.html]` and `raftsim export --format chrome TRACE
 * [-o FILE.json]`: pictures of a trace, built from the trace alone. */
#include "tools/raftsim/cmd_view.h"

#include <stdio.h>
#include <string.h>

#include "tools/raftsim/cli.h"
#include "tools/raftsim/export_chrome.h"
#include "tools/raftsim/view_html.h"

/* TRACE with its .trace.jsonl (or .jsonl) replaced by suffix. */
static void output_path(const char *trace, const char *suffix, char *buf, size_t cap) {
    static const char *const ends[] = {".trace.jsonl", ".jsonl"};
    size_t n = strlen(trace);
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(ends[i]);
        if (n > k && !strcmp(trace + n - k, ends[i])) {
            snprintf(buf, cap, "%.*s%s", (int)(n - k), trace, suffix);
            return;
        }
    }
    snprintf(buf, cap, "%s%s", trace, suffix);
}

int cmd_view(int argc, char **argv) {
    const char *path, *out;
    int rc = cli_trace_args(argc, argv, "view", "-o", &path, &out, NULL, NULL);
    if (rc) return rc;
    char def[1100];
    if (!out) output_path(path, ".html", def, sizeof def), out = def;
    rc = vh_write_file(path, out);
    if (rc == 0) printf("wrote %s: open it in a browser (it needs no network)\n", out);
    return rc;
}

int cmd_export(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *format = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--format") || !strcmp(a, "-o")) {
            if (i + 1 >= argc) return cli_usage_error("%s needs a value", a);
            if (a[1] == 'o')
                out = argv[++i];
            else
                format = argv[++i];
        } else if (a[0] == '-') {
            return cli_usage_error("unknown option '%s'", a);
        } else if (path) {
            return cli_usage_error("%s", "export takes exactly one trace file");
        } else {
            path = a;
        }
    }
    if (!format) return cli_usage_error("%s", "export needs --format (one format: chrome)");
    if (strcmp(format, "chrome") != 0)
        return cli_usage_error("unknown format '%s' (export knows: chrome)", format);
    if (!path) return cli_usage_error("%s", "export needs a trace file");
    char def[1100];
    if (!out) output_path(path, ".chrome.json", def, sizeof def), out = def;
    tv_model m;
    int rc = tv_load(path, &m);
    if (rc == 0) rc = tv_write_file(&m, out, ec_write);
    if (rc == 0 && strcmp(out, "-") != 0)
        printf("wrote %s: open it in https://ui.perfetto.dev or chrome://tracing\n", out);
    tv_free(&m);
    return rc;
}
