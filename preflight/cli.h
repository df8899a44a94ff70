/* The command line: options, commands, diagnostics, exit status. */
#ifndef PREFLIGHT_CLI_H
#define PREFLIGHT_CLI_H

/* Exit statuses (see the contract). */
#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_UNKNOWN 2
#define EXIT_USAGE 3

/* Run the command line; returns the process's exit status. */
int cli_main(int argc, char **argv);

#endif
