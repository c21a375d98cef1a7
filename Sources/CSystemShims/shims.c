#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <string.h>
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

int cs_name_current_thread(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
    return pthread_setname_np(pthread_self(), cut);
}

#include <malloc.h>

int cs_malloc_trim(void) {
    return malloc_trim(0);
}

int cs_spawn_close_from(posix_spawn_file_actions_t *actions, int fd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, fd);
}

#include <sys/uio.h>

int cs_send_batch(int fd, const uint8_t *buffer, unsigned stride, const uint16_t *lengths,
                  const void *addresses, socklen_t address_length, unsigned count) {
    if (count > 1024) count = 1024;
    struct mmsghdr messages[count];
    struct iovec vectors[count];
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = (void *)(buffer + (size_t)i * stride);
        vectors[i].iov_len = lengths[i];
        memset(&messages[i], 0, sizeof messages[i]);
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        if (addresses) {
            messages[i].msg_hdr.msg_name = (void *)((const uint8_t *)addresses + (size_t)i * address_length);
            messages[i].msg_hdr.msg_namelen = address_length;
        }
    }
    return sendmmsg(fd, messages, count, 0);
}

#include <linux/if_packet.h>

int cs_bind_packet_socket(int fd, int interface_index) {
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_ifindex = interface_index;
    return bind(fd, (struct sockaddr *)&address, sizeof address);
}
