// GMP for Swift. GMP's documented `mpz_*` names are preprocessor macros for the
// exported `__gmpz_*` symbols; Swift imports the latter. The function-like macros
// Swift cannot import are re-exposed here as static inline functions.
#ifndef FEDSTAT_CGMP_SHIM_H
#define FEDSTAT_CGMP_SHIM_H

#include <gmp.h>
#include <stddef.h>

static inline int fedstat_mpz_sgn(const __mpz_struct *z) { return mpz_sgn(z); }
static inline int fedstat_mpz_odd_p(const __mpz_struct *z) { return mpz_odd_p(z); }
static inline int fedstat_mpz_even_p(const __mpz_struct *z) { return mpz_even_p(z); }
static inline int fedstat_mpq_sgn(const __mpq_struct *q) { return mpq_sgn(q); }
static inline __mpz_struct *fedstat_mpq_numref(__mpq_struct *q) { return mpq_numref(q); }
static inline __mpz_struct *fedstat_mpq_denref(__mpq_struct *q) { return mpq_denref(q); }
static inline const __mpz_struct *fedstat_mpq_numref_const(const __mpq_struct *q) { return mpq_numref(q); }
static inline const __mpz_struct *fedstat_mpq_denref_const(const __mpq_struct *q) { return mpq_denref(q); }


// Zeroising allocator. GMP frees and reallocates limb arrays internally (in
// temporaries of powm, gcd, division, and whenever a value grows); with the default
// allocator those blocks would go back to the heap still holding whatever secret
// they held. These functions wipe every block before it is released, so a key,
// share or plaintext never survives in freed memory. explicit_bzero cannot be
// optimised away.
#include <stdlib.h>
#include <string.h>

static void *fedstat_gmp_alloc(size_t size) {
    void *p = malloc(size);
    if (p == NULL) abort();
    return p;
}

static void *fedstat_gmp_realloc(void *old, size_t old_size, size_t new_size) {
    void *p = malloc(new_size);
    if (p == NULL) abort();
    if (old != NULL) {
        memcpy(p, old, old_size < new_size ? old_size : new_size);
        explicit_bzero(old, old_size);
        free(old);
    }
    return p;
}

static void fedstat_gmp_free(void *p, size_t size) {
    if (p == NULL) return;
    explicit_bzero(p, size);
    free(p);
}

/// Installs the zeroising allocator. Must run before the first GMP allocation
/// whose memory should be wiped; blocks allocated earlier by GMP's default
/// (malloc) are still released correctly by these functions.
static inline void fedstat_gmp_install_zeroising_allocator(void) {
    mp_set_memory_functions(fedstat_gmp_alloc, fedstat_gmp_realloc, fedstat_gmp_free);
}

/// Whether GMP currently uses the zeroising allocator.
static inline int fedstat_gmp_zeroising_allocator_installed(void) {
    void *(*a)(size_t);
    void *(*r)(void *, size_t, size_t);
    void (*f)(void *, size_t);
    mp_get_memory_functions(&a, &r, &f);
    return a == fedstat_gmp_alloc && r == fedstat_gmp_realloc && f == fedstat_gmp_free;
}

/// Wipes `count` limbs of temporary storage.
static inline void fedstat_wipe_limbs(mp_limb_t *limbs, size_t count) {
    explicit_bzero(limbs, count * sizeof(mp_limb_t));
}

/// Wipes the limbs of `z` in place (the value becomes garbage; clear it next).
static inline void fedstat_mpz_wipe(__mpz_struct *z) {
    if (z->_mp_d != NULL && z->_mp_alloc > 0) {
        explicit_bzero(z->_mp_d, (size_t)z->_mp_alloc * sizeof(mp_limb_t));
    }
    z->_mp_size = 0;
}

#endif
