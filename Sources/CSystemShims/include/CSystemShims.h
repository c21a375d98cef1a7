#ifndef CENSORSCOPE_SYSTEM_SHIMS_H
#define CENSORSCOPE_SYSTEM_SHIMS_H
// Linux calls that glibc declares only under _GNU_SOURCE, which Swift does not define.
int cs_enter_network_namespace(int fd);
#endif
