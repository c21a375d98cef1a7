#ifndef CENSORSCOPE_LAB_SHIMS_H
#define CENSORSCOPE_LAB_SHIMS_H
// Signal flag for `lab up`: SIGINT/SIGTERM/SIGHUP are caught into a sig_atomic_t
// (the only thing a handler may safely touch), so the build can stop between two
// steps and tear down what it made instead of dying half-built.
void cs_lab_catch_interrupts(void);
// The first signal caught since cs_lab_catch_interrupts, or 0.
int cs_lab_interrupt_signal(void);
// Restores the default dispositions.
void cs_lab_release_interrupts(void);
#endif
