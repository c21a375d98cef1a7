#ifndef CENSORSCOPE_TLS_SHIM_H
#define CENSORSCOPE_TLS_SHIM_H
// A TLS server over OpenSSL with the few operations the lab's services need. Swift cannot
// call OpenSSL's function-like macros (SSL_CTX_set_min_proto_version, …), hence this shim.
#include <stddef.h>

typedef struct cs_tls_server cs_tls_server;
typedef struct cs_tls_conn cs_tls_conn;

// A TLS 1.2/1.3 server context. With both paths, loads the PEM certificate and key from
// them, or generates a self-signed ECDSA P-256 certificate for `common_name` and writes it
// there when either file is missing; with NULL paths, generates one in memory only.
// Returns NULL and a message in `err` on failure.
cs_tls_server *cs_tls_server_new(const char *cert_path, const char *key_path,
                                 const char *common_name, char *err, size_t errlen);
void cs_tls_server_free(cs_tls_server *server);
// SHA-256 of the certificate (DER), as 64 lowercase hex digits plus NUL in `out`.
void cs_tls_server_fingerprint(cs_tls_server *server, char out[65]);

// The agent's certificate: loads the PEM certificate and key at the paths, or, when neither
// exists, generates a self-signed ECDSA P-256 certificate for `name` (an IP address becomes
// an IP SAN) and writes them there (the key with mode 0600), setting `*generated`. Writes the
// SHA-256 of the certificate's DER as 64 hex digits into `fingerprint`. Returns 1, or 0 and
// a message in `err`.
int cs_tls_certificate(const char *cert_path, const char *key_path, const char *name,
                       char fingerprint[65], int *generated, char *err, size_t errlen);

// Server handshake on a connected socket, giving up after `timeout_ms` in total.
// The socket's blocking mode is restored afterwards. Returns NULL and fills `err`.
// On failure, `sni_out` (if not NULL) still receives the SNI the client asked for, if any.
cs_tls_conn *cs_tls_accept(cs_tls_server *server, int fd, int timeout_ms,
                           char *sni_out, size_t sni_len, char *err, size_t errlen);
// The SNI host name the client sent, or NULL.
const char *cs_tls_servername(cs_tls_conn *conn);
// "TLSv1.3", "TLSv1.2".
const char *cs_tls_version(cs_tls_conn *conn);
// Bytes already decrypted and buffered (read them before polling the socket).
int cs_tls_pending(cs_tls_conn *conn);
// > 0 bytes read, 0 on clean close, < 0 on error or timeout.
long cs_tls_read(cs_tls_conn *conn, void *buf, int len);
// Writes all of `len` bytes; returns len, or < 0 on error or timeout.
long cs_tls_write(cs_tls_conn *conn, const void *buf, int len);
// A client session on a connected non-blocking socket, for measurements: the peer's
// certificate is not checked (what is measured is what the network does to the session,
// not who answers). `server_name` NULL sends no SNI. Gives up after `timeout_ms` in total.
// Returns NULL and fills `err`.
cs_tls_conn *cs_tls_connect(int fd, const char *server_name, int timeout_ms, char *err, size_t errlen);
// On a non-blocking socket: > 0 bytes read, 0 on clean close, -1 on error, -2 when it would
// block (then poll the socket for `*events`).
long cs_tls_read_some(cs_tls_conn *conn, void *buf, int len, short *events);
// Writes all of `len` bytes on a non-blocking socket within `timeout_ms`; len, or < 0.
long cs_tls_send(cs_tls_conn *conn, const void *buf, int len, int timeout_ms);
// Sends close_notify (best effort) and frees; does not close the socket.
void cs_tls_conn_free(cs_tls_conn *conn);
#endif
