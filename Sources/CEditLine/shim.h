#ifndef CELLS_CEDITLINE_SHIM_H
#define CELLS_CEDITLINE_SHIM_H

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <editline/readline.h>

// libedit's readline interface is configured through mutable C globals, which Swift 6
// refuses to touch directly; these accessors are the one place the shell reaches them.

static inline int cells_history_length(void) { return history_length; }

/// Completes words with `generator` (called with state 0, 1, 2... until it returns NULL).
static inline void cells_set_completion(rl_compentry_func_t *generator) {
    rl_completion_entry_function = generator;
    rl_attempted_completion_function = NULL;
    rl_completion_append_character = ' ';
}

/// Whether libedit installs its own signal handlers while it reads a line. The shell takes
/// Ctrl-C itself, so it turns them off.
static inline void cells_set_catch_signals(int on) { rl_catch_signals = on; }

static inline void cells_set_readline_name(const char *name) { rl_readline_name = name; }

/// The terminal's width in columns, or 0 when `fd` is not a terminal (ioctl is variadic, so
/// Swift cannot call it).
static inline int cells_terminal_columns(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
    return size.ws_col;
}

static inline int cells_terminal_rows(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
    return size.ws_row;
}

#endif
