#include <pthread.h>
#include <signal.h>
#include <string.h>
#include "CLabShims.h"

static volatile sig_atomic_t caught = 0;

static void on_signal(int signo) {
    if (caught == 0) caught = signo;
}

static void set_all(void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    // SA_RESTART: reads of child output and waitpid continue instead of failing with EINTR.
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, 0);
    sigaction(SIGTERM, &action, 0);
    sigaction(SIGHUP, &action, 0);
}

void cs_lab_catch_interrupts(void) {
    caught = 0;
    set_all(on_signal);
    // A parent may have started us with these blocked (test runners do); unblock them
    // or the handler would never run.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_UNBLOCK, &set, 0);
}
int cs_lab_interrupt_signal(void) { return caught; }
void cs_lab_release_interrupts(void) { set_all(SIG_DFL); }
