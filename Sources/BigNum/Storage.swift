internal import CGMP

/// Process-wide set-up of GMP, done once before the first GMP allocation.
package enum GMPRuntime {
    /// Installs the zeroising allocator (see `Sources/CGMP/shim.h`): every limb array
    /// GMP frees or moves is wiped first, including the temporaries GMP allocates inside
    /// `mpz_powm_sec`, division and gcd. Defends against secrets (keys, shares,
    /// plaintexts) surviving in freed heap memory.
    package static let ready: Bool = {
        fedstat_gmp_install_zeroising_allocator()
        return true
    }()

    /// Whether every GMP allocation, reallocation and free goes through the zeroising
    /// allocator (checked by the tests).
    package static var zeroisingAllocatorInstalled: Bool {
        precondition(ready)
        return fedstat_gmp_zeroising_allocator_installed() != 0
    }
}

/// Heap-allocated GMP integer owned by one `BigInt` value (or shared read-only
/// between copies of it).
///
/// `@unchecked Sendable`: the `mpz` is mutated only while its owner holds the sole
/// reference (copy-on-write in `BigInt`, checked with `isKnownUniquelyReferenced`), so a
/// storage object reachable from more than one value or thread is never written.
final class MPZ: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<__mpz_struct>
    /// Secret values are wiped before their memory is freed and are never printed.
    var isSecret: Bool

    init(secret: Bool) {
        precondition(GMPRuntime.ready)
        pointer = .allocate(capacity: 1)
        __gmpz_init(pointer)
        isSecret = secret
    }

    /// A fresh storage holding a copy of `other`.
    convenience init(copying other: MPZ, secret: Bool) {
        self.init(secret: secret)
        __gmpz_set(pointer, other.pointer)
    }

    deinit {
        if isSecret { fedstat_mpz_wipe(pointer) }
        __gmpz_clear(pointer)
        pointer.deallocate()
    }
}

/// Heap-allocated GMP rational; same ownership rules as `MPZ`.
final class MPQ: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<__mpq_struct>

    init() {
        precondition(GMPRuntime.ready)
        pointer = .allocate(capacity: 1)
        __gmpq_init(pointer)
    }

    deinit {
        __gmpq_clear(pointer)
        pointer.deallocate()
    }
}
