#ifndef CENSORSCOPE_COPENSSL_H
#define CENSORSCOPE_COPENSSL_H
// OpenSSL 3 from Debian's libssl-dev; used through CTLSShim, which hides its macros.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#endif
