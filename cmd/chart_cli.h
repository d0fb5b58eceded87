/* chart_cli.h - what `funnel chart` and `funnel report` share about
 * gnuplot (docs/CHARTS.md): its time limit and the message when it is missing.
 * Defined in cmd_chart.c. */
#ifndef FUNNEL_CHART_CLI_H
#define FUNNEL_CHART_CLI_H

/* The time limit for one gnuplot run, in seconds: FUNNEL_GNUPLOT_TIMEOUT
 * (1 to 3600) or CHART_TIME_LIMIT_S. */
unsigned cli_gnuplot_timeout(void);

/* Say on stderr that gnuplot is missing and print the apt-get line. */
void cli_gnuplot_missing(void);

#endif
