#include "commands.h"
const char cmd_explain_usage[] = "usage: funnel explain LOG ENTITY\n";
int cmd_explain(int argc, char **argv) { (void)argc; (void)argv; return 2; }
