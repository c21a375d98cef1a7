#define _GNU_SOURCE
#include <sched.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CSystemShims.h"

int cs_enter_network_namespace(int fd) { return setns(fd, CLONE_NEWNET); }

int cs_drop_thread_capabilities(void) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    return (int)syscall(SYS_capset, &header, data);
}
