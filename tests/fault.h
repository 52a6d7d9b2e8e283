/*
 * fault.h - SQLite-style fault injection for the tests.
 *
 * tests/fault.c wraps, at link time (ld --wrap, only in the test program
 * that asks for it), every call of the library that can fail for want of
 * memory: malloc, calloc, realloc, strdup, strndup, open_memstream,
 * fopencookie, and the igraph calls that allocate (vector and graph
 * constructors, push_back, resize, and the algorithms we call). Armed
 * with n, the n-th such call from then on fails as the real one would
 * (NULL, or an igraph error through igraph's error handler with the
 * reason "injected fault"). It also counts what is alive: every block
 * those functions returned and every igraph vector and graph our code
 * made, so a test can see a leak on each error path without a leak
 * checker (LeakSanitizer still runs in the sanitizer build).
 */
#ifndef FUNDTRACE_TEST_FAULT_H
#define FUNDTRACE_TEST_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The n-th fallible call from now fails (n = 0: none does). */
void fault_arm(uint64_t n);
/* Fallible calls since fault_arm. */
uint64_t fault_calls(void);
/* Whether the armed failure happened. */
bool fault_fired(void);
/* While paused, calls are neither counted nor failed (the test's own). */
void fault_pause(bool paused);
/* Blocks and igraph objects alive. */
size_t fault_live(void);

#endif
