/* export_chrome.h - a trace as Chrome trace-event JSON (Perfetto, chrome://tracing). */
#ifndef RAFTSIM_EXPORT_CHROME_H
#define RAFTSIM_EXPORT_CHROME_H

#include <stdio.h>

#include "tools/raftsim/tview.h"

/* Writes the model as one JSON object {"traceEvents": [...]}; 0, or -1 on a write error. */
int ec_write(FILE *f, const tv_model *m);

#endif
