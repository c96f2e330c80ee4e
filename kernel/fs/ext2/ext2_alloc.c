/* ext2 core: block and inode allocation with the per-group bitmaps. The group descriptors'
 * and the superblock's free counts (and used_dirs) change with every bit, so e2fsck finds them
 * exact. Shape after Linux's fs/ext2/balloc.c and ialloc.c (without reservation windows). */
#include "ext2.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"

static bool test_bit(const uint8_t *map, uint32_t i) { return (map[i >> 3] >> (i & 7)) & 1; }
static void set_bit(uint8_t *map, uint32_t i) { map[i >> 3] = (uint8_t)(map[i >> 3] | (1u << (i & 7))); }
static void clear_bit(uint8_t *map, uint32_t i) { map[i >> 3] = (uint8_t)(map[i >> 3] & ~(1u << (i & 7))); }

/* First clear bit in [from, n), then [0, from); n if none. */
static uint32_t find_zero(const uint8_t *map, uint32_t n, uint32_t from)
{
    if (from >= n)
        from = 0;
    for (uint32_t i = from; i < n; i++) {
        if (map[i >> 3] == 0xff && (i & 7) == 0 && i + 8 <= n) {
            i += 7;
            continue;
        }
        if (!test_bit(map, i))
            return i;
    }
    for (uint32_t i = 0; i < from; i++)
        if (!test_bit(map, i))
            return i;
    return n;
}

static uint32_t blocks_in_group(struct ext2_fs *fs, uint32_t g)
{
    uint32_t first = fs->first_data_block + g * fs->blocks_per_group;
    uint64_t end = (uint64_t)first + fs->blocks_per_group;
    if (end > fs->sb.s_blocks_count)
        end = fs->sb.s_blocks_count;
    return (uint32_t)(end - first);
}

/* ---- Blocks ---- */

static int alloc_in_group(struct ext2_fs *fs, uint32_t g, uint32_t from, uint8_t *map,
                          uint32_t *out)
{
    struct ext2_group_desc *d = &fs->gd[g];
    int err = ext2_read_block(fs, d->bg_block_bitmap, map);
    if (err < 0)
        return err;
    uint32_t n = blocks_in_group(fs, g);
    uint32_t bit = find_zero(map, n, from);
    if (bit == n)
        return ext2_error(fs, 0, "group %u: free block count %u but the bitmap is full",
                          (unsigned)g, (unsigned)d->bg_free_blocks_count);
    uint32_t blk = fs->first_data_block + g * fs->blocks_per_group + bit;
    if (!ext2_data_block_ok(fs, blk))
        return ext2_error(fs, 0, "group %u: block bitmap marks metadata block %u free",
                          (unsigned)g, (unsigned)blk);
    set_bit(map, bit);
    if ((err = ext2_write_block(fs, d->bg_block_bitmap, map)) < 0)
        return err;
    d->bg_free_blocks_count--;
    fs->sb.s_free_blocks_count--;
    fs->gd_dirty = fs->sb_dirty = true;
    *out = blk;
    return 0;
}

int ext2_new_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (fs->sb.s_free_blocks_count == 0)
        return -ENOSPC;
    /* Reserved blocks are for root; the VFS does not pass credentials down, and the root
     * filesystem is mounted read-only, so they are simply left alone for everyone. */
    if (fs->sb.s_free_blocks_count <= fs->sb.s_r_blocks_count)
        return -ENOSPC;
    if (goal < fs->first_data_block || goal >= fs->sb.s_blocks_count)
        goal = fs->first_data_block;
    uint32_t g0 = (goal - fs->first_data_block) / fs->blocks_per_group;
    uint32_t from = (goal - fs->first_data_block) % fs->blocks_per_group;
    uint8_t *map = ext2_blk_alloc(fs);
    if (!map)
        return -ENOMEM;
    err = -ENOSPC;
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (g0 + i) % fs->groups;
        if (fs->gd[g].bg_free_blocks_count == 0)
            continue;
        err = alloc_in_group(fs, g, i == 0 ? from : 0, map, out);
        break;
    }
    kfree(map);
    return err;
}

int ext2_free_block(struct ext2_fs *fs, uint32_t ino, uint32_t blk)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (!ext2_data_block_ok(fs, blk))
        return ext2_error(fs, ino, "freeing invalid block %u", (unsigned)blk);
    uint32_t g = (blk - fs->first_data_block) / fs->blocks_per_group;
    uint32_t bit = (blk - fs->first_data_block) % fs->blocks_per_group;
    struct ext2_group_desc *d = &fs->gd[g];
    uint8_t *map = ext2_blk_alloc(fs);
    if (!map)
        return -ENOMEM;
    err = ext2_read_block(fs, d->bg_block_bitmap, map);
    if (err == 0 && !test_bit(map, bit))
        err = ext2_error(fs, ino, "freeing block %u, which is already free", (unsigned)blk);
    if (err == 0) {
        clear_bit(map, bit);
        err = ext2_write_block(fs, d->bg_block_bitmap, map);
    }
    if (err == 0) {
        d->bg_free_blocks_count++;
        fs->sb.s_free_blocks_count++;
        fs->gd_dirty = fs->sb_dirty = true;
    }
    kfree(map);
    return err;
}

/* ---- Inodes ---- */

/* Directories spread out (the group with the most free inodes among those with free
 * blocks, like Linux's old find_group_dir); files stay near their parent. */
static uint32_t pick_group(struct ext2_fs *fs, uint32_t parent, bool dir)
{
    uint32_t pg = parent ? (parent - 1) / fs->inodes_per_group : 0;
    if (pg >= fs->groups)
        pg = 0;
    if (dir) {
        uint32_t best = fs->groups;
        for (uint32_t g = 0; g < fs->groups; g++) {
            const struct ext2_group_desc *d = &fs->gd[g];
            if (!d->bg_free_inodes_count)
                continue;
            if (best == fs->groups ||
                (d->bg_free_blocks_count && (!fs->gd[best].bg_free_blocks_count ||
                 d->bg_free_inodes_count > fs->gd[best].bg_free_inodes_count)))
                best = g;
        }
        return best;
    }
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (pg + i) % fs->groups;
        if (fs->gd[g].bg_free_inodes_count && fs->gd[g].bg_free_blocks_count)
            return g;
    }
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (pg + i) % fs->groups;
        if (fs->gd[g].bg_free_inodes_count)
            return g;
    }
    return fs->groups;
}

int ext2_new_inode_nr(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *out)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (fs->sb.s_free_inodes_count == 0)
        return -ENOSPC;
    uint32_t g = pick_group(fs, parent, dir);
    if (g >= fs->groups)
        return -ENOSPC;
    struct ext2_group_desc *d = &fs->gd[g];
    uint8_t *map = ext2_blk_alloc(fs);
    if (!map)
        return -ENOMEM;
    err = ext2_read_block(fs, d->bg_inode_bitmap, map);
    if (err < 0)
        goto out;
    /* The reserved inodes (below s_first_ino) are never handed out, whatever the bitmap says. */
    uint32_t from = 0;
    if (g == 0)
        from = fs->first_ino - 1;
    uint32_t bit = fs->inodes_per_group;
    for (uint32_t i = from; i < fs->inodes_per_group; i++)
        if (!test_bit(map, i)) {
            bit = i;
            break;
        }
    if (bit == fs->inodes_per_group) {
        err = ext2_error(fs, 0, "group %u: free inode count %u but the bitmap is full",
                         (unsigned)g, (unsigned)d->bg_free_inodes_count);
        goto out;
    }
    set_bit(map, bit);
    if ((err = ext2_write_block(fs, d->bg_inode_bitmap, map)) < 0)
        goto out;
    d->bg_free_inodes_count--;
    fs->sb.s_free_inodes_count--;
    if (dir)
        d->bg_used_dirs_count++;
    fs->gd_dirty = fs->sb_dirty = true;
    *out = g * fs->inodes_per_group + bit + 1;
out:
    kfree(map);
    return err;
}

int ext2_free_inode_nr(struct ext2_fs *fs, uint32_t ino, bool dir)
{
    int err = ext2_check_writable(fs);
    if (err)
        return err;
    if (ino < fs->first_ino || ino > fs->sb.s_inodes_count)
        return ext2_error(fs, ino, "freeing a reserved or nonexistent inode");
    uint32_t g = (ino - 1) / fs->inodes_per_group, bit = (ino - 1) % fs->inodes_per_group;
    struct ext2_group_desc *d = &fs->gd[g];
    uint8_t *map = ext2_blk_alloc(fs);
    if (!map)
        return -ENOMEM;
    err = ext2_read_block(fs, d->bg_inode_bitmap, map);
    if (err == 0 && !test_bit(map, bit))
        err = ext2_error(fs, ino, "freeing an inode that is already free");
    if (err == 0) {
        clear_bit(map, bit);
        err = ext2_write_block(fs, d->bg_inode_bitmap, map);
    }
    if (err == 0) {
        d->bg_free_inodes_count++;
        fs->sb.s_free_inodes_count++;
        if (dir && d->bg_used_dirs_count)
            d->bg_used_dirs_count--;
        fs->gd_dirty = fs->sb_dirty = true;
    }
    kfree(map);
    return err;
}
