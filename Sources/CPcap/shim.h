#ifndef CENSORSCOPE_CPCAP_SHIM_H
#define CENSORSCOPE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
