/* cli_opts.c - the option parser of every command over getopt_long; see
 * cli_opts.h and docs/DECISIONS.md "Command line". */
#include "cli_opts.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_opts_init(struct cli_getopt *g, const struct cli_spec *spec, int argc, char **argv)
{
    char *s = g->shortopts;
    int n = 0;
    memset(g, 0, sizeof *g);
    g->spec = spec;
    g->argc = argc;
    g->argv = argv;
    /* '-': operands come back in order as key 1, so options work anywhere
     * even under POSIXLY_CORRECT and argv is never permuted behind our back;
     * ':': a missing value returns ':' rather than '?'. */
    *s++ = '-';
    *s++ = ':';
    *s++ = 'h';
    g->longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    for (const struct cli_opt *o = spec->opts; o->key; o++) {
        int has = o->arg == CLI_FLAG ? no_argument : required_argument;
        assert(n <= CLI_MAX_OPTS && o->key != 'h' && o->key != 1);
        if (o->key < CLI_LONG_ONLY) {
            *s++ = (char)o->key;
            if (has == required_argument)
                *s++ = ':';
        }
        if (o->name)
            g->longopts[n++] = (struct option){o->name, has, NULL, o->key};
    }
    *s = '\0';
    /* glibc starts afresh (and rereads the option string) when optind is 0;
     * opterr = 0 because every message is ours, naming the command. */
    optind = 0;
    opterr = 0;
}

static const struct cli_opt *find(const struct cli_getopt *g, int key)
{
    for (const struct cli_opt *o = g->spec->opts; o->key; o++)
        if (o->key == key)
            return o;
    return NULL;
}

static int stop(struct cli_getopt *g, int code)
{
    g->code = code;
    return CLI_OPTS_STOP;
}

/* argv token `tok` ("--name" or "--name=V") spelled as "--NAME" into buf. */
static const char *long_name(const char *tok, char *buf, size_t n)
{
    size_t len = strcspn(tok, "=");
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), tok);
    return buf;
}

/* getopt_long takes any unambiguous prefix (--stage for --stages); we take
 * only the spellings the usage texts show, so that adding an option never
 * changes what an existing command line means. */
static int spelled_exactly(const char *tok, const char *name)
{
    size_t n = strlen(name);
    return strncmp(tok + 2, name, n) == 0 && (tok[2 + n] == '\0' || tok[2 + n] == '=');
}

/* getopt_long returned '?' or ':': say what was wrong, naming the option. */
static int bad_option(struct cli_getopt *g, int c)
{
    const char *cmd = g->spec->cmd;
    /* Right after a long option, optind is just past its token; after a
     * short one still inside a cluster ("-xq"), it has not moved. */
    const char *tok = optind > 0 && optind <= g->argc ? g->argv[optind - 1] : "";
    int is_long = strncmp(tok, "--", 2) == 0;
    char name[64];
    if (c == ':') {
        if (is_long) {
            const struct cli_opt *o = find(g, optopt);
            if (!o || !o->name || !spelled_exactly(tok, o->name))
                return cli_usage_error(cmd, "unknown option '%s'", long_name(tok, name, sizeof name));
            return cli_usage_error(cmd, "--%s needs a value", o->name);
        }
        return cli_usage_error(cmd, "-%c needs a value", optopt);
    }
    if (optopt == 0)   /* an unknown or ambiguous long option */
        return cli_usage_error(cmd, "unknown option '%s'", long_name(tok, name, sizeof name));
    const struct cli_opt *o = optopt == 'h' ? NULL : find(g, optopt);
    if (optopt == 'h' || (o && o->name)) {   /* "--flag=V" */
        if (is_long && !spelled_exactly(tok, o ? o->name : "help"))
            return cli_usage_error(cmd, "unknown option '%s'", long_name(tok, name, sizeof name));
        return cli_usage_error(cmd, "--%s takes no value", o ? o->name : "help");
    }
    return cli_usage_error(cmd, "unknown option '-%c'", optopt);
}

/* The name of operand i (from 0) for messages: a word of spec->operands,
 * the last one again when it ends in "..." ("LOG FILE..."). */
static void operand_name(const char *operands, int i, char *buf, size_t n)
{
    const char *w = operands ? operands : "";
    for (int k = 0;; k++) {
        w += strspn(w, " ");
        size_t len = strcspn(w, " ");
        if (len == 0)
            break;
        int repeats = len > 3 && strncmp(w + len - 3, "...", 3) == 0;
        if (k == i || repeats) {
            snprintf(buf, n, "%.*s", (int)(repeats ? len - 3 : len), w);
            return;
        }
        w += len;
    }
    snprintf(buf, n, "argument %d", i + 1);
}

/* Keep one operand; every operand of every command is a path. */
static int operand(struct cli_getopt *g, char *arg)
{
    /* (A command without operands, gen, says "unexpected argument".) */
    if (*arg == '\0' && g->spec->operands[0]) {
        char name[64];
        operand_name(g->spec->operands, g->nargs, name, sizeof name);
        return stop(g, cli_usage_error(g->spec->cmd, "empty path given as %s", name));
    }
    /* Each argv slot yields at most one operand and argv[0] none, so the
     * write index never passes the slot getopt is reading. */
    g->argv[++g->nargs] = arg;
    return 0;
}

/* After "--", or at the end: the rest of argv are operands. */
static int finish(struct cli_getopt *g)
{
    for (int i = optind > 0 ? optind : g->argc; i < g->argc; i++)
        if (operand(g, g->argv[i]) != 0)
            return CLI_OPTS_STOP;
    return CLI_OPTS_END;
}

int cli_opts_next(struct cli_getopt *g, const char **val)
{
    for (;;) {
        int li = -1;
        int c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, &li);
        *val = optarg;
        if (c == -1)
            return finish(g);
        if (c == 1) {
            if (operand(g, optarg) != 0)
                return CLI_OPTS_STOP;
            continue;
        }
        if (c == '?' || c == ':')
            return stop(g, bad_option(g, c));
        if (li >= 0) {
            /* The token is just before optind, or one further back when
             * the value was the next argument. */
            const char *tok = g->argv[optind - (optarg && optarg == g->argv[optind - 1] ? 2 : 1)];
            char name[64];
            if (!spelled_exactly(tok, g->longopts[li].name))
                return stop(g, cli_usage_error(g->spec->cmd, "unknown option '%s'",
                                               long_name(tok, name, sizeof name)));
        }
        if (c == 'h') {
            fputs(g->spec->usage, stdout);
            return stop(g, CLI_HELP);
        }
        const struct cli_opt *o = find(g, c);
        if (o && o->arg == CLI_PATH && *optarg == '\0') {
            if (li >= 0)
                return stop(g, cli_usage_error(g->spec->cmd, "empty path given to --%s", o->name));
            return stop(g, cli_usage_error(g->spec->cmd, "empty path given to -%c", c));
        }
        return c;
    }
}

char **cli_opts_args(const struct cli_getopt *g)
{
    return g->argv + 1;
}

int cli_opts_need_file(const char *cmd, const char *what, const char *path)
{
    if (strcmp(path, "-") != 0)
        return 0;
    return cli_usage_error(cmd, "%s cannot be '-' (standard input or output); write ./- "
                           "for a file named '-'", what);
}
