// The runner's exit codes (`--help` lists them).

/** Stopped by SIGINT or SIGTERM after a graceful close. */
export const EXIT_OK = 0;
/** An unexpected failure. */
export const EXIT_FAILURE = 1;
/** Bad usage or a bad description. */
export const EXIT_USAGE = 2;
/** The module cannot be loaded or exports no factory. */
export const EXIT_MODULE = 3;
/** An address cannot be bound (in use, no permission). */
export const EXIT_BIND = 4;
