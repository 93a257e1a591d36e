#ifndef CELLS_CEDITLINE_SHIM_H
#define CELLS_CEDITLINE_SHIM_H

#include <stdio.h>
#include <editline/readline.h>

/// libedit's globals are mutable C state, which Swift 6 refuses to touch directly;
/// these accessors are the one place the shell reaches them.
static inline int cells_history_length(void) { return history_length; }

#endif
