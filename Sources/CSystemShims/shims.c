#define _GNU_SOURCE
#include <sched.h>
#include "CSystemShims.h"

int cs_enter_network_namespace(int fd) { return setns(fd, CLONE_NEWNET); }
