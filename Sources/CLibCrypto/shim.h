// OpenSSL libcrypto for Swift: only the big-number parts Fedstat uses (vetted
// safe-prime generation and constant-time Montgomery arithmetic).
#ifndef FEDSTAT_CLIBCRYPTO_SHIM_H
#define FEDSTAT_CLIBCRYPTO_SHIM_H

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#endif
