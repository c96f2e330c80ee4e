/* A ChaCha20-based CSPRNG (RFC 8439 block function). State: a 256-bit key. Each request
 * generates keystream blocks with a counter; the first 32 bytes of the next block become the
 * new key (fast key erasure), so earlier output cannot be recovered from the state.
 * Entropy is mixed in by hashing it into the key with ChaCha as the compression function. */
#include "kernel.h"
#include "random.h"
#include "string.h"
#include "spinlock.h"
#include "uaccess.h"
#include "time.h"
#include "syscall.h"
#include "uapi/random.h"
#include "asm/csr.h"

static uint32_t key[8];
static uint64_t counter;
static spinlock_t rng_lock = SPINLOCK_INIT("rng");
static bool seeded;

static inline uint32_t rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }
#define QR(a, b, c, d)                                                                   \
    do {                                                                                 \
        a += b; d ^= a; d = rotl(d, 16);                                                 \
        c += d; b ^= c; b = rotl(b, 12);                                                 \
        a += b; d ^= a; d = rotl(d, 8);                                                  \
        c += d; b ^= c; b = rotl(b, 7);                                                  \
    } while (0)

static void chacha_block(const uint32_t k[8], uint64_t ctr, uint64_t nonce, uint32_t out[16])
{
    uint32_t s[16] = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7],
        (uint32_t)ctr, (uint32_t)(ctr >> 32), (uint32_t)nonce, (uint32_t)(nonce >> 32),
    };
    uint32_t x[16];
    memcpy(x, s, sizeof x);
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        out[i] = x[i] + s[i];
}

void rng_add_entropy(const void *data, size_t len)
{
    const uint8_t *d = data;
    irqflags_t f = spin_lock_irqsave(&rng_lock);
    while (len) {
        uint32_t blk[16];
        uint64_t chunk[2] = { 0, 0 };
        size_t n = MIN(len, sizeof chunk);
        memcpy(chunk, d, n);
        chacha_block(key, chunk[0], chunk[1] ^ rdtime(), blk);
        for (int i = 0; i < 8; i++)
            key[i] ^= blk[i];
        d += n;
        len -= n;
    }
    spin_unlock_irqrestore(&rng_lock, f);
}

void get_random_bytes(void *buf, size_t len)
{
    uint8_t *b = buf;
    irqflags_t f = spin_lock_irqsave(&rng_lock);
    uint64_t nonce = rdtime();
    while (len) {
        uint32_t blk[16];
        chacha_block(key, counter++, nonce, blk);
        size_t n = MIN(len, sizeof blk);
        memcpy(b, blk, n);
        b += n;
        len -= n;
    }
    uint32_t next[16];
    chacha_block(key, counter++, nonce, next);
    memcpy(key, next, sizeof key);
    spin_unlock_irqrestore(&rng_lock, f);
}

uint64_t get_random_u64(void)
{
    uint64_t v;
    get_random_bytes(&v, sizeof v);
    return v;
}

/* Boot seeding: the low bits of the timer around short, variable work. QEMU's TCG timing is
 * not a strong source; virtio-rng should add entropy when present. */
void random_init(void)
{
    uint64_t samples[64];
    for (int i = 0; i < 64; i++) {
        uint64_t t0 = rdtime();
        volatile uint64_t x = t0;
        for (unsigned j = 0; j < (t0 & 0xff) + 16; j++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        samples[i] = rdtime() ^ (x << 17);
    }
    rng_add_entropy(samples, sizeof samples);
    seeded = true;
}

SYSCALL_DEFINE3(getrandom, uaddr_t, ubuf, size_t, len, unsigned, flags)
{
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
        return -EINVAL;
    if (len > 0x1ffffff)
        len = 0x1ffffff;
    uint8_t chunk[256];
    size_t done = 0;
    while (done < len) {
        size_t n = MIN(len - done, sizeof chunk);
        get_random_bytes(chunk, n);
        if (copy_to_user(ubuf + done, chunk, n)) {
            memset(chunk, 0, sizeof chunk);
            return done ? (long)done : -EFAULT;
        }
        done += n;
    }
    memset(chunk, 0, sizeof chunk);
    return (long)done;
}
