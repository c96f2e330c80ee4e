/* OFS core: the space map (one bit per block), the allocator, and space reservation.
 *
 * Two maps live in memory: `work` (the transaction) and `commit` (the last durable commit).
 * Freeing clears a bit in `work` only; allocating needs the bit clear in both. So a block
 * the last commit still references can never be handed out and overwritten before a newer
 * commit is durable: this is what makes a crash at any instant land on the last commit.
 *
 * On disk the map is OFS_BITS_PER_CHUNK-bit bitmap blocks listed (with their checksums) in
 * one index block; both are copied on write like tree nodes. */
#include "ofs.h"
#include "crc32.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"

#define CHUNK_DIRTY 1u      /* differs from the committed copy */
#define CHUNK_MOVED 2u      /* got its new block in the commit being written */

static void set_bit_(uint8_t *m, uint64_t b) { m[b >> 3] |= (uint8_t)(1u << (b & 7)); }
static void clear_bit_(uint8_t *m, uint64_t b) { m[b >> 3] &= (uint8_t)~(1u << (b & 7)); }

static size_t map_bytes(struct ofs_fs *fs) { return (size_t)fs->sb.bmap_chunks * OFS_BLOCK_SIZE; }

int ofs_space_init(struct ofs_fs *fs, uint64_t total)
{
    uint32_t chunks = (uint32_t)((total + OFS_BITS_PER_CHUNK - 1) / OFS_BITS_PER_CHUNK);
    fs->sb.bmap_chunks = chunks;
    size_t bytes = (size_t)chunks * OFS_BLOCK_SIZE;
    fs->bm_work = kzalloc(bytes);
    fs->bm_commit = kzalloc(bytes);
    fs->chunk_blk = kzalloc(sizeof(uint64_t) * chunks);
    fs->chunk_crc = kzalloc(sizeof(uint32_t) * chunks);
    fs->chunk_state = kzalloc(chunks);
    if (!fs->bm_work || !fs->bm_commit || !fs->chunk_blk || !fs->chunk_crc || !fs->chunk_state)
        return -ENOMEM;
    return 0;
}

void ofs_space_free(struct ofs_fs *fs)
{
    kfree(fs->bm_work);
    kfree(fs->bm_commit);
    kfree(fs->chunk_blk);
    kfree(fs->chunk_crc);
    kfree(fs->chunk_state);
    fs->bm_work = fs->bm_commit = NULL;
    fs->chunk_blk = NULL;
    fs->chunk_crc = NULL;
    fs->chunk_state = NULL;
}

static uint64_t count_free(const uint8_t *m, size_t bytes)
{
    uint64_t n = 0;
    /* No __builtin_popcount: without Zbb it becomes a libgcc call the kernel lacks. */
    for (size_t i = 0; i < bytes; i++)
        for (uint8_t v = (uint8_t)~m[i]; v; v &= (uint8_t)(v - 1))
            n++;
    return n;
}

int ofs_space_load(struct ofs_fs *fs)
{
    uint8_t *b = fs->blockbuf;
    uint64_t ib = fs->sb.bmap.blk;
    int r = fs->io.read(fs->io.ctx, ib, b);
    if (r < 0)
        return ofs_error(fs, 0, r, "I/O error reading the space map index");
    if (!ofs_crc_ok(fs->sb.bmap.crc, b, OFS_BLOCK_SIZE))
        return ofs_error(fs, 0, -EUCLEAN, "space map index checksum mismatch");
    if (memcmp(b, OFS_BMAP_MAGIC, 8) != 0 || ofs_get32(b + 8) != fs->sb.bmap_chunks ||
        ofs_get32(b + 12) != 0 || ofs_get64(b + 16) != ib)
        return ofs_error(fs, 0, -EUCLEAN, "space map index header invalid");
    uint32_t chunks = fs->sb.bmap_chunks;
    for (uint32_t c = 0; c < chunks; c++) {
        const uint8_t *e = b + OFS_BMAP_HDR + (size_t)c * OFS_BMAP_ENTRY;
        fs->chunk_blk[c] = ofs_get64(e);
        fs->chunk_crc[c] = ofs_get32(e + 8);
        if (fs->chunk_blk[c] < OFS_SB_SLOTS || fs->chunk_blk[c] >= fs->sb.total_blocks ||
            ofs_get32(e + 12) != 0)
            return ofs_error(fs, 0, -EUCLEAN, "space map index entry invalid");
    }
    for (size_t i = OFS_BMAP_HDR + (size_t)chunks * OFS_BMAP_ENTRY; i < OFS_BLOCK_SIZE; i++)
        if (b[i])
            return ofs_error(fs, 0, -EUCLEAN, "space map index padding not zero");
    for (uint32_t c = 0; c < chunks; c++) {
        uint8_t *m = fs->bm_commit + (size_t)c * OFS_BLOCK_SIZE;
        r = fs->io.read(fs->io.ctx, fs->chunk_blk[c], m);
        if (r < 0)
            return ofs_error(fs, 0, r, "I/O error reading the space map");
        if (!ofs_crc_ok(fs->chunk_crc[c], m, OFS_BLOCK_SIZE))
            return ofs_error(fs, 0, -EUCLEAN, "space map block checksum mismatch");
    }
    uint64_t total = fs->sb.total_blocks;
    for (uint64_t x = total; x < (uint64_t)chunks * OFS_BITS_PER_CHUNK; x++)
        if (!ofs_bit(fs->bm_commit, x))
            return ofs_error(fs, 0, -EUCLEAN, "space map marks blocks past the end free");
    if (!ofs_bit(fs->bm_commit, 0) || !ofs_bit(fs->bm_commit, 1) ||
        !ofs_bit(fs->bm_commit, ib))
        return ofs_error(fs, 0, -EUCLEAN, "space map marks its own blocks free");
    uint64_t nfree = count_free(fs->bm_commit, map_bytes(fs));
    if (nfree != fs->sb.free_blocks)
        return ofs_error(fs, 0, -EUCLEAN, "free block count does not match the space map");
    memcpy(fs->bm_work, fs->bm_commit, map_bytes(fs));
    fs->free_work = fs->avail = nfree;
    return 0;
}

static void mark_chunk(struct ofs_fs *fs, uint64_t blk)
{
    fs->chunk_state[blk / OFS_BITS_PER_CHUNK] |= CHUNK_DIRTY;
    fs->dirty = true;
}

bool ofs_block_committed(struct ofs_fs *fs, uint64_t blk)
{
    return blk < fs->sb.total_blocks && ofs_bit(fs->bm_commit, blk);
}

int ofs_alloc_block(struct ofs_fs *fs, uint64_t goal, uint64_t *out)
{
    uint64_t total = fs->sb.total_blocks;
    if (fs->avail == 0)
        return -ENOSPC;
    if (goal < OFS_SB_SLOTS || goal >= total)
        goal = OFS_SB_SLOTS;
    uint64_t b = goal;
    /* At most two passes over the map; whole used bytes are skipped. */
    for (uint64_t steps = 0; steps < 2 * total + 16; steps++) {
        if (b >= total)
            b = OFS_SB_SLOTS;
        if ((b & 7) == 0 && b + 8 <= total &&
            (fs->bm_work[b >> 3] | fs->bm_commit[b >> 3]) == 0xff) {
            b += 8;
            continue;
        }
        if (!ofs_bit(fs->bm_work, b) && !ofs_bit(fs->bm_commit, b)) {
            set_bit_(fs->bm_work, b);
            fs->free_work--;
            fs->avail--;
            mark_chunk(fs, b);
            *out = b;
            return 0;
        }
        b++;
    }
    return ofs_error(fs, 0, -EUCLEAN, "free block count wrong: no free block found");
}

void ofs_free_block(struct ofs_fs *fs, uint64_t blk)
{
    if (blk < OFS_SB_SLOTS || blk >= fs->sb.total_blocks || !ofs_bit(fs->bm_work, blk)) {
        ofs_error(fs, 0, -EUCLEAN, "freeing a block that is not in use");
        return;
    }
    clear_bit_(fs->bm_work, blk);
    fs->free_work++;
    if (!ofs_bit(fs->bm_commit, blk))
        fs->avail++;
    mark_chunk(fs, blk);
}

int ofs_begin(struct ofs_fs *fs, uint64_t data, unsigned tree_ops)
{
    if (fs->readonly)
        return -EROFS;
    if (fs->dirty_nodes > fs->dirty_limit) {
        int r = ofs_commit(fs);
        if (r < 0)
            return r;
    }
    for (int round = 0; round < 2; round++) {
        /* Worst case per tree change: the path becomes dirty and every level splits, plus a
         * new root. The commit itself needs a block per dirty node, every bitmap block and
         * the index. */
        uint64_t per_op = 2ull * (fs->height + 1) + 1;
        uint64_t need = data + tree_ops * per_op + fs->dirty_nodes + fs->sb.bmap_chunks + 2;
        if (fs->avail >= need)
            return 0;
        /* Blocks freed in this transaction become usable once it is committed. */
        if (round == 0 && fs->free_work > fs->avail) {
            int r = ofs_commit(fs);
            if (r < 0)
                return r;
            continue;
        }
        break;
    }
    return -ENOSPC;
}

int ofs_space_write(struct ofs_fs *fs, struct ofs_ptr *bmap_out)
{
    uint32_t chunks = fs->sb.bmap_chunks;
    uint64_t index_blk;
    int r = ofs_alloc_block(fs, fs->alloc_cursor, &index_blk);
    if (r < 0)
        return r;
    if (fs->sb.bmap.blk)
        ofs_free_block(fs, fs->sb.bmap.blk);
    /* Moving a bitmap block changes bits, possibly in other bitmap blocks: repeat until
     * every changed block has moved (at most `chunks` rounds). */
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t c = 0; c < chunks; c++) {
            if ((fs->chunk_state[c] & (CHUNK_DIRTY | CHUNK_MOVED)) != CHUNK_DIRTY)
                continue;
            uint64_t nb;
            r = ofs_alloc_block(fs, index_blk + 1, &nb);
            if (r < 0)
                return r;
            if (fs->chunk_blk[c])
                ofs_free_block(fs, fs->chunk_blk[c]);
            fs->chunk_blk[c] = nb;
            fs->chunk_state[c] |= CHUNK_MOVED;
            changed = true;
        }
    }
    if (fs->errors)
        return -EIO;
    for (uint32_t c = 0; c < chunks; c++) {
        if (!(fs->chunk_state[c] & CHUNK_MOVED))
            continue;
        const uint8_t *m = fs->bm_work + (size_t)c * OFS_BLOCK_SIZE;
        fs->chunk_crc[c] = crc32c(0, m, OFS_BLOCK_SIZE);
        r = fs->io.write(fs->io.ctx, fs->chunk_blk[c], m);
        if (r < 0)
            return r;
    }
    uint8_t *b = fs->blockbuf;
    memset(b, 0, OFS_BLOCK_SIZE);
    memcpy(b, OFS_BMAP_MAGIC, 8);
    ofs_put32(b + 8, chunks);
    ofs_put64(b + 16, index_blk);
    for (uint32_t c = 0; c < chunks; c++) {
        uint8_t *e = b + OFS_BMAP_HDR + (size_t)c * OFS_BMAP_ENTRY;
        ofs_put64(e, fs->chunk_blk[c]);
        ofs_put32(e + 8, fs->chunk_crc[c]);
    }
    bmap_out->blk = index_blk;
    bmap_out->crc = crc32c(0, b, OFS_BLOCK_SIZE);
    return fs->io.write(fs->io.ctx, index_blk, b);
}

void ofs_space_committed(struct ofs_fs *fs)
{
    memcpy(fs->bm_commit, fs->bm_work, map_bytes(fs));
    fs->avail = fs->free_work;
    memset(fs->chunk_state, 0, fs->sb.bmap_chunks);
}
