/* cmd_view.h - `raftsim view` (the trace as a self-contained HTML page) and `raftsim export`
 * (the trace in another tool's format). */
#ifndef RAFTSIM_CMD_VIEW_H
#define RAFTSIM_CMD_VIEW_H

int cmd_view(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
