/*
 * Unit tests for the block layer (kernel/block/{blkdev,partition,bcache}.c) on a RAM disk:
 * registration and GPT partitions, lookups, sector I/O (bounds, read-only, splitting), and the
 * buffer cache (sharing, write-back ordering before FLUSH, errors, eviction).
 *
 * The RAM disk can complete requests at once or only when polled (as virtio-blk does before
 * interrupts are up), fail chosen sectors, and records every request it sees.
 */
#include "test_util.h"

#include "blkdev.h"
#include "errno.h"
#include "kstubs.h"

/* -Ikernel/include makes <string.h> the kernel's, which has no strstr. */
char *strstr(const char *haystack, const char *needle);

#define MAX_LOG 4096

struct ramdisk {
	struct block_device disk;
	uint8_t *data;
	bool deferred;			/* complete only from poll() */
	struct blk_request *pending[64];
	unsigned npending;
	int64_t fail_sector;		/* requests touching it fail with -EIO */
	enum blk_op fail_op;
	struct { enum blk_op op; uint64_t sector; size_t len; } log[MAX_LOG];
	unsigned nlog;
};

static void ram_do(struct ramdisk *r, struct blk_request *rq)
{
	int status = 0;
	uint64_t nsect = rq->len / 512;
	if (r->fail_sector >= 0 && rq->op == r->fail_op &&
	    (rq->op == BLK_OP_FLUSH ||
	     ((uint64_t)r->fail_sector >= rq->sector &&
	      (uint64_t)r->fail_sector < rq->sector + nsect)))
		status = -EIO;
	else if (rq->op == BLK_OP_READ)
		memcpy(rq->buf, r->data + rq->sector * 512, rq->len);
	else if (rq->op == BLK_OP_WRITE)
		memcpy(r->data + rq->sector * 512, rq->buf, rq->len);
	blk_complete(rq, status);
}

static int ram_submit(struct block_device *disk, struct blk_request *rq)
{
	struct ramdisk *r = disk->driver_data;
	/* The block layer promised these. */
	assert_true(rq->len <= disk->max_transfer);
	assert_int_equal(rq->len % disk->logical_block_size, 0);
	assert_true(rq->sector + rq->len / 512 <= disk->nr_sectors);
	assert_true(r->nlog < MAX_LOG);
	r->log[r->nlog].op = rq->op;
	r->log[r->nlog].sector = rq->sector;
	r->log[r->nlog].len = rq->len;
	r->nlog++;
	if (r->deferred) {
		assert_true(r->npending < 64);
		r->pending[r->npending++] = rq;
	} else {
		ram_do(r, rq);
	}
	return 0;
}

static void ram_poll(struct block_device *disk)
{
	struct ramdisk *r = disk->driver_data;
	while (r->npending)
		ram_do(r, r->pending[--r->npending]);
}

static const struct blkdev_ops ram_ops = { .submit = ram_submit, .poll = ram_poll };

static unsigned disk_counter;

/* A RAM disk holding a copy of fixture `name` (NULL: zeros of `bytes`), registered with a
 * fresh name and major 254 numbers. */
static struct ramdisk *ram_new(const char *name, size_t bytes, uint32_t lbs, size_t max_xfer)
{
	struct ramdisk *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	size_t len = bytes;
	r->data = name ? read_fixture(name, &len) : calloc(1, bytes);
	unsigned idx = disk_counter++;
	snprintf(r->disk.name, sizeof r->disk.name, "vd%c", 'a' + idx);
	r->disk.devt = MKDEV(VIRTBLK_MAJOR, idx << BLK_PART_SHIFT);
	r->disk.nr_sectors = len / 512;
	r->disk.logical_block_size = lbs;
	r->disk.volatile_cache = true;
	r->disk.max_transfer = (uint32_t)max_xfer;
	r->disk.ops = &ram_ops;
	r->disk.driver_data = r;
	r->disk.disk_index = idx;
	r->fail_sector = -1;
	return r;
}

static unsigned count_ops(struct ramdisk *r, enum blk_op op)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->nlog; i++)
		n += r->log[i].op == op;
	return n;
}

/* ---- Registration, partitions, lookups -------------------------------------- */

static struct ramdisk *small;	/* gpt-small.img, registered once, shared by tests */

static int setup_small(void **state)
{
	(void)state;
	if (!small) {
		host_log_clear();
		small = ram_new("gpt-small.img", 0, 512, 65536);
		assert_int_equal(blkdev_register_disk(&small->disk), 0);
	}
	return 0;
}

static void test_register_gpt(void **state)
{
	(void)state;
	assert_non_null(strstr(host_log, "vda: GPT: 3 partitions"));
	struct block_device *p2 = blkdev_lookup_by_name("vda2");
	assert_non_null(p2);
	assert_ptr_equal(blkdev_lookup_by_name("/dev/vda2"), p2);
	assert_ptr_equal(p2->disk, &small->disk);
	assert_int_equal(p2->start_sect, 4096);
	assert_int_equal(p2->nr_sectors, 2048);
	assert_int_equal(p2->partno, 2);
	assert_int_equal(MAJOR(p2->devt), 254);
	assert_int_equal(MINOR(p2->devt), 2);
	assert_string_equal(p2->label, "root");
	assert_ptr_equal(blkdev_lookup_by_partuuid("6f70656e-7600-4000-8000-0000000000a2"), p2);
	assert_ptr_equal(blkdev_lookup_by_partuuid("6F70656E-7600-4000-8000-0000000000A2"), p2);
	assert_ptr_equal(blkdev_resolve("PARTUUID=6f70656e-7600-4000-8000-0000000000a2"), p2);
	assert_ptr_equal(blkdev_resolve("PARTLABEL=root"), p2);
	assert_ptr_equal(blkdev_resolve("254:2"), p2);
	assert_ptr_equal(blkdev_resolve("/dev/vda2"), p2);
	assert_ptr_equal(blkdev_resolve("vda"), &small->disk);
	assert_null(blkdev_lookup_by_partuuid("6f70656e-7600-4000-8000-0000000000ff"));
	assert_null(blkdev_lookup_by_partuuid("not-a-uuid"));
	assert_null(blkdev_resolve("254:"));
	assert_null(blkdev_resolve("vdz"));
	assert_non_null(blkdev_lookup_by_name("vda3"));
	assert_null(blkdev_lookup_by_name("vda4"));

	/* Iteration: the disk, then its partitions. */
	struct block_device *b = blkdev_next(NULL);
	assert_ptr_equal(b, &small->disk);
	assert_string_equal(blkdev_next(b)->name, "vda1");

	/* /proc/partitions, in Linux's format; the length is the full one even when cut. */
	char text[512];
	int len = blkdev_partitions_show(text, sizeof text);
	assert_int_equal(len, (int)strlen(text));
	const char *head = "major minor  #blocks  name\n\n 254        0       4096 vda\n";
	assert_memory_equal(text, head, strlen(head));
	assert_non_null(strstr(text, " 254        2       1024 vda2\n"));
	char tiny[8];
	assert_int_equal(blkdev_partitions_show(tiny, sizeof tiny), len);
	assert_string_equal(tiny, "major m");

	/* Same name again. */
	struct ramdisk dup = *small;
	assert_int_equal(blkdev_register_disk(&dup.disk), -EEXIST);
}

static void test_corrupt_gpt_no_partitions(void **state)
{
	(void)state;
	host_log_clear();
	struct ramdisk *r = ram_new("gpt-small.img", 0, 512, 65536);
	r->data[512 + 60] ^= 1;			/* primary header */
	r->data[(r->disk.nr_sectors - 1) * 512 + 60] ^= 1;	/* backup header */
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	assert_non_null(strstr(host_log, "both invalid"));
	char name[16];
	snprintf(name, sizeof name, "%s1", r->disk.name);
	assert_null(blkdev_lookup_by_name(name));
	assert_ptr_equal(blkdev_lookup_by_name(r->disk.name), &r->disk);
}

static void test_backup_gpt_used(void **state)
{
	(void)state;
	host_log_clear();
	struct ramdisk *r = ram_new("gpt-small.img", 0, 512, 65536);
	memset(r->data + 1024, 0xff, 512);	/* primary array's first sector */
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	assert_non_null(strstr(host_log, "using the backup"));
	char name[16];
	snprintf(name, sizeof name, "%s3", r->disk.name);
	assert_non_null(blkdev_lookup_by_name(name));
}

static void test_unpartitioned_and_many(void **state)
{
	(void)state;
	host_log_clear();
	struct ramdisk *r = ram_new(NULL, 1 << 20, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	assert_non_null(strstr(host_log, "no partition table"));

	/* 20 partitions: 1..15 get devices, the rest are reported. */
	host_log_clear();
	r = ram_new("gpt-many.img", 0, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	assert_non_null(strstr(host_log, "partition 16 ignored"));
	char name[16];
	snprintf(name, sizeof name, "%s15", r->disk.name);
	struct block_device *p15 = blkdev_lookup_by_name(name);
	assert_non_null(p15);
	assert_int_equal(MINOR(p15->devt) & 15, 15);
	snprintf(name, sizeof name, "%s16", r->disk.name);
	assert_null(blkdev_lookup_by_name(name));
}

static void test_register_invalid(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new(NULL, 1 << 20, 768, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), -EINVAL);
	r->disk.logical_block_size = 4096;
	r->disk.nr_sectors = 9;			/* not whole 4 KiB blocks */
	assert_int_equal(blkdev_register_disk(&r->disk), -EINVAL);
	free(r->data);
	free(r);
}

/* ---- Sector I/O --------------------------------------------------------------- */

static void test_sector_io(void **state)
{
	(void)state;
	struct block_device *p2 = blkdev_lookup_by_name("vda2");
	uint8_t buf[4096];
	memset(buf, 0x5a, sizeof buf);
	assert_int_equal(blkdev_write(p2, 10, buf, 1024), 0);
	/* Partition sector 10 is disk sector 4106. */
	assert_int_equal(small->data[4106 * 512], 0x5a);
	assert_int_equal(small->data[4106 * 512 + 1023], 0x5a);
	assert_int_equal(small->data[4106 * 512 + 1024], 0);
	uint8_t back[1024];
	assert_int_equal(blkdev_read(&small->disk, 4106, back, 1024), 0);
	assert_memory_equal(back, buf, 1024);

	/* Bounds: the partition's last sector is fine, one more is not. */
	assert_int_equal(blkdev_read(p2, 2047, back, 512), 0);
	assert_int_equal(blkdev_read(p2, 2047, back, 1024), -EINVAL);
	assert_int_equal(blkdev_read(p2, UINT64_MAX, back, 512), -EINVAL);
	assert_int_equal(blkdev_read(p2, 0, back, 100), -EINVAL);

	/* Flush reaches the disk. */
	unsigned before = count_ops(small, BLK_OP_FLUSH);
	assert_int_equal(blkdev_flush(p2), 0);
	assert_int_equal(count_ops(small, BLK_OP_FLUSH), before + 1);
}

static void test_split_and_polled(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new(NULL, 1 << 20, 512, 4096);
	r->deferred = true;	/* completes only when polled */
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	unsigned before = r->nlog;
	uint8_t *buf = malloc(65536);
	memset(buf, 7, 65536);
	assert_int_equal(blkdev_write(&r->disk, 8, buf, 65536), 0);
	assert_int_equal(r->nlog - before, 16);
	assert_int_equal(r->log[before + 15].sector, 8 + 15 * 8);
	assert_int_equal(r->data[8 * 512 + 65535], 7);
	free(buf);
}

static void test_read_only_and_lbs(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new(NULL, 1 << 20, 4096, 65536);
	r->disk.read_only = true;
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	uint8_t buf[8192] = { 0 };
	assert_int_equal(blkdev_write(&r->disk, 0, buf, 4096), -EROFS);
	assert_int_equal(blkdev_read(&r->disk, 8, buf, 4096), 0);
	assert_int_equal(blkdev_read(&r->disk, 4, buf, 4096), -EINVAL);	/* misaligned */
	assert_int_equal(blkdev_read(&r->disk, 8, buf, 512), -EINVAL);	/* partial block */
	assert_null(bread(&r->disk, 0, 1024));		/* smaller than a logical block */
	struct buffer_head *bh = bread(&r->disk, 1, 4096);
	assert_non_null(bh);
	brelse(bh);
	/* Read-only: nothing to flush. */
	unsigned before = count_ops(r, BLK_OP_FLUSH);
	assert_int_equal(sync_dev(&r->disk), 0);
	assert_int_equal(count_ops(r, BLK_OP_FLUSH), before);
}

static void test_io_errors(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new(NULL, 1 << 20, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	uint8_t buf[1024];
	r->fail_sector = 3;
	r->fail_op = BLK_OP_READ;
	assert_int_equal(blkdev_read(&r->disk, 2, buf, 1024), -EIO);
	assert_null(bread(&r->disk, 1, 1024));
	/* Not cached as valid: a retry reads again. */
	r->fail_sector = -1;
	struct buffer_head *bh = bread(&r->disk, 1, 1024);
	assert_non_null(bh);
	brelse(bh);
}

/* ---- Buffer cache -------------------------------------------------------------- */

static void test_bread_shared_and_cached(void **state)
{
	(void)state;
	struct block_device *p2 = blkdev_lookup_by_name("vda2");
	small->data[(4096 + 16) * 512] = 0x11;
	unsigned before = count_ops(small, BLK_OP_READ);
	struct buffer_head *a = bread(p2, 2, 4096);
	assert_non_null(a);
	assert_int_equal(((uint8_t *)a->data)[0], 0x11);
	assert_int_equal(a->size, 4096);
	/* The same bytes through the whole disk: the same buffer, no new read. */
	struct buffer_head *b = bread(&small->disk, (4096 + 16) / 8, 4096);
	assert_ptr_equal(a, b);
	assert_int_equal(count_ops(small, BLK_OP_READ), before + 1);
	brelse(b);
	brelse(a);
	a = bread(p2, 2, 4096);
	assert_int_equal(count_ops(small, BLK_OP_READ), before + 1);
	brelse(a);
	brelse(NULL);

	/* Past the end, bad sizes. */
	assert_null(bread(p2, 256, 4096));
	assert_non_null((a = bread(p2, 255, 4096)));
	brelse(a);
	assert_null(bread(p2, 0, 3000));
	assert_null(bread(p2, 0, 256));
	assert_null(getblk(p2, 0, 1u << 17));
}

/* sync_dev: every dirty buffer written, then one FLUSH after the last write. */
static void test_sync_dev_order(void **state)
{
	(void)state;
	struct block_device *p1 = blkdev_lookup_by_name("vda1");
	struct block_device *p3 = blkdev_lookup_by_name("vda3");
	struct buffer_head *a = bread(p1, 0, 1024);
	struct buffer_head *b = getblk(p3, 3, 1024);
	assert_non_null(a);
	assert_non_null(b);
	memset(a->data, 0xaa, 1024);
	mark_buffer_dirty(a);
	memset(b->data, 0xbb, 1024);
	set_buffer_uptodate(b);
	mark_buffer_dirty(b);
	brelse(b);	/* released dirty: still written by sync_dev */

	small->nlog = 0;
	assert_int_equal(sync_dev(p1), 0);	/* a partition syncs its whole disk */
	assert_int_equal(count_ops(small, BLK_OP_WRITE), 2);
	assert_int_equal(small->log[small->nlog - 1].op, BLK_OP_FLUSH);
	assert_int_equal(count_ops(small, BLK_OP_FLUSH), 1);
	assert_int_equal(small->data[2048 * 512], 0xaa);
	assert_int_equal(small->data[(6144 + 6) * 512 + 1023], 0xbb);

	/* Clean now: a second sync writes nothing (but still flushes). */
	small->nlog = 0;
	assert_int_equal(sync_dev(&small->disk), 0);
	assert_int_equal(count_ops(small, BLK_OP_WRITE), 0);
	assert_int_equal(count_ops(small, BLK_OP_FLUSH), 1);

	/* sync_dirty_buffer writes one buffer, no flush. */
	((uint8_t *)a->data)[0] = 0xac;
	mark_buffer_dirty(a);
	small->nlog = 0;
	assert_int_equal(sync_dirty_buffer(a), 0);
	assert_int_equal(small->nlog, 1);
	assert_int_equal(small->data[2048 * 512], 0xac);
	brelse(a);

	struct bcache_stats st;
	bcache_get_stats(&st);
	assert_int_equal(st.dirty, 0);
	assert_true(st.hits > 0);
}

static void test_sync_errors(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new(NULL, 1 << 20, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	struct buffer_head *bh = bread(&r->disk, 4, 1024);
	memset(bh->data, 0x42, 1024);
	mark_buffer_dirty(bh);
	brelse(bh);
	r->fail_sector = 9;
	r->fail_op = BLK_OP_WRITE;
	assert_int_equal(sync_dev(&r->disk), -EIO);
	assert_int_equal(r->data[8 * 512], 0);
	/* Still dirty: the next sync writes it. */
	r->fail_sector = -1;
	assert_int_equal(sync_dev(&r->disk), 0);
	assert_int_equal(r->data[8 * 512], 0x42);
	/* A failing FLUSH fails the sync. */
	r->fail_sector = 0;
	r->fail_op = BLK_OP_FLUSH;
	assert_int_equal(sync_dev(&r->disk), -EIO);
	r->fail_sector = -1;
	assert_int_equal(sync_dev(&r->disk), 0);
}

static void test_eviction(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new(NULL, 1 << 20, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	assert_int_equal(sync_all_block_devices(), 0);
	for (struct block_device *b = blkdev_next(NULL); b; b = blkdev_next(b))
		if (b->disk == b)
			assert_int_equal(invalidate_bdev(b), 0);
	bcache_set_limit(8 * 1024);

	/* Streaming clean reads evict clean buffers, least recently used first. */
	for (unsigned i = 1; i <= 32; i++) {
		struct buffer_head *c = bread(&r->disk, i, 1024);
		assert_non_null(c);
		brelse(c);
	}
	struct bcache_stats st;
	bcache_get_stats(&st);
	assert_true(st.bytes <= 8 * 1024);
	assert_true(st.evictions >= 24);

	/* When only dirty buffers are left to evict, they are written back first, not lost. */
	struct buffer_head *bh;
	for (unsigned i = 40; i < 56; i++) {
		bh = bread(&r->disk, i, 1024);
		memset(bh->data, (int)i, 1024);
		mark_buffer_dirty(bh);
		brelse(bh);
	}
	bcache_get_stats(&st);
	assert_true(st.bytes <= 8 * 1024);
	assert_int_equal(r->data[40 * 1024], 40);
	assert_int_equal(r->data[47 * 1024], 47);
	assert_int_equal(sync_dev(&r->disk), 0);
	assert_int_equal(r->data[55 * 1024], 55);

	/* Held buffers are never evicted: the cache grows past the limit. */
	struct buffer_head *held[16];
	for (unsigned i = 0; i < 16; i++) {
		held[i] = bread(&r->disk, 100 + i, 1024);
		assert_non_null(held[i]);
	}
	bcache_get_stats(&st);
	assert_true(st.bytes >= 16 * 1024);
	for (unsigned i = 0; i < 16; i++)
		brelse(held[i]);
	bcache_get_stats(&st);
	assert_true(st.bytes <= 8 * 1024);

	/* A failed eviction write-back is reported by the next sync_dev, once, and the failing
	 * buffer (kept dirty) does not stop the others from being written back and evicted. */
	r->fail_sector = 400;
	r->fail_op = BLK_OP_WRITE;
	for (unsigned i = 200; i < 220; i++) {
		bh = bread(&r->disk, i, 1024);
		memset(bh->data, 1, 1024);
		mark_buffer_dirty(bh);
		brelse(bh);
	}
	bcache_get_stats(&st);
	assert_true(st.bytes <= 9 * 1024);
	assert_int_equal(r->data[201 * 1024], 1);
	r->fail_sector = -1;
	assert_int_equal(sync_dev(&r->disk), -EIO);
	assert_int_equal(r->data[200 * 1024], 1);	/* still dirty, written by that sync */
	assert_int_equal(sync_dev(&r->disk), 0);
	bcache_set_limit(4u << 20);
}

static void test_direct_io_coherence(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new(NULL, 1 << 20, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	struct buffer_head *bh = bread(&r->disk, 2, 1024);
	memset(bh->data, 9, 1024);
	mark_buffer_dirty(bh);
	/* Before a direct read of those sectors, the dirty buffer goes out. */
	assert_int_equal(bcache_writeback_range(&r->disk, 5, 1), 0);
	assert_int_equal(r->data[5 * 512], 9);
	brelse(bh);
	/* After a direct write, a cached clean copy is dropped and re-read. */
	bh = bread(&r->disk, 2, 1024);
	brelse(bh);
	memset(r->data + 4 * 512, 3, 1024);
	bcache_invalidate_range(&r->disk, 4, 2);
	bh = bread(&r->disk, 2, 1024);
	assert_int_equal(((uint8_t *)bh->data)[0], 3);
	/* Held: marked stale instead, so a later bread re-reads. */
	memset(r->data + 4 * 512, 4, 1024);
	bcache_invalidate_range(&r->disk, 4, 2);
	struct buffer_head *again = bread(&r->disk, 2, 1024);
	assert_ptr_equal(again, bh);
	assert_int_equal(((uint8_t *)bh->data)[0], 4);
	brelse(again);
	brelse(bh);
}

static void test_rescan(void **state)
{
	(void)state;
	host_log_clear();
	struct ramdisk *r = ram_new("gpt-small.img", 0, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	char name[16];
	snprintf(name, sizeof name, "%s3", r->disk.name);
	struct block_device *p3 = blkdev_lookup_by_name(name);
	assert_non_null(p3);
	/* Busy while a buffer is held. */
	struct buffer_head *bh = bread(&r->disk, 0, 512);
	assert_int_equal(blkdev_rescan(&r->disk), -EBUSY);
	brelse(bh);
	/* Wipe the table: the partitions stay registered but become empty. */
	memset(r->data + 512, 0, 33 * 512);
	memset(r->data + (r->disk.nr_sectors - 33) * 512, 0, 33 * 512);
	assert_int_equal(blkdev_rescan(&r->disk), 0);
	assert_int_equal(p3->nr_sectors, 0);
	uint8_t buf[512];
	assert_int_equal(blkdev_read(p3, 0, buf, 512), -EINVAL);
}

/* Exclusive claims (blkdev.h): dm-verity's over two partitions, a mount's, O_EXCL opens. */
static void test_claims(void **state)
{
	(void)state;
	struct ramdisk *r = ram_new("gpt-small.img", 0, 512, 65536);
	assert_int_equal(blkdev_register_disk(&r->disk), 0);
	char name[16];
	snprintf(name, sizeof name, "%s1", r->disk.name);
	struct block_device *p1 = blkdev_lookup_by_name(name);
	snprintf(name, sizeof name, "%s2", r->disk.name);
	struct block_device *p2 = blkdev_lookup_by_name(name);
	snprintf(name, sizeof name, "%s3", r->disk.name);
	struct block_device *p3 = blkdev_lookup_by_name(name);
	assert_non_null(p1);
	assert_non_null(p2);
	assert_non_null(p3);
	int dm, ext2, file1, file2;
	/* A writer keeps a writes-blocking claim off; a plain exclusive claim is fine. */
	assert_int_equal(blkdev_claim(p2, NULL, BLK_CLAIM_WRITE), 0);
	assert_int_equal(blkdev_claim(p2, &dm, BLK_CLAIM_BLOCK_WRITES), -EBUSY);
	assert_false(blkdev_claimed(p2, NULL));
	assert_false(blkdev_claimed(&r->disk, NULL));
	blkdev_unclaim(p2, NULL, BLK_CLAIM_WRITE);
	/* dm-verity holds 2 (data) and 3 (hash); the same holder may claim twice. */
	assert_int_equal(blkdev_claim(p2, &dm, BLK_CLAIM_BLOCK_WRITES), 0);
	assert_int_equal(blkdev_claim(p3, &dm, BLK_CLAIM_BLOCK_WRITES), 0);
	assert_int_equal(blkdev_claim(p3, &dm, BLK_CLAIM_BLOCK_WRITES), 0);
	assert_true(blkdev_claimed(p2, NULL));
	assert_false(blkdev_claimed(p2, &dm));
	/* Held: no mount, no O_EXCL open (read-only or not), no write open; reads are fine. */
	assert_int_equal(blkdev_claim(p2, &ext2, 0), -EBUSY);
	assert_int_equal(blkdev_claim(p3, &file1, 0), -EBUSY);
	assert_int_equal(blkdev_claim(p2, NULL, BLK_CLAIM_WRITE), -EBUSY);
	assert_int_equal(blkdev_claim(p3, NULL, BLK_CLAIM_WRITE), -EBUSY);
	assert_int_equal(blkdev_claim(p2, NULL, 0), 0);
	blkdev_unclaim(p2, NULL, 0);
	/* The whole disk is held through its partitions: no claim, no partition rescan; a write
	 * open of the disk (not claimed itself) and claims of other partitions stay allowed. */
	assert_true(blkdev_claimed(&r->disk, NULL));
	assert_int_equal(blkdev_claim(&r->disk, &ext2, 0), -EBUSY);
	assert_int_equal(blkdev_rescan(&r->disk), -EBUSY);
	assert_int_equal(blkdev_claim(&r->disk, NULL, BLK_CLAIM_WRITE), 0);
	blkdev_unclaim(&r->disk, NULL, BLK_CLAIM_WRITE);
	assert_int_equal(blkdev_claim(p1, &ext2, 0), 0);
	assert_int_equal(blkdev_claim(p1, &ext2, 0), 0);         /* a second mount, same type */
	assert_int_equal(blkdev_claim(p1, &file1, 0), -EBUSY);   /* O_EXCL of a mounted device */
	assert_int_equal(blkdev_claim(p1, NULL, BLK_CLAIM_WRITE), 0);   /* mounts allow writers */
	blkdev_unclaim(p1, NULL, BLK_CLAIM_WRITE);
	blkdev_unclaim(p1, &ext2, 0);
	blkdev_unclaim(p1, &ext2, 0);
	assert_false(blkdev_claimed(p1, NULL));
	/* Released one claim at a time: 3 is still held after one unclaim. */
	blkdev_unclaim(p3, &dm, BLK_CLAIM_BLOCK_WRITES);
	assert_true(blkdev_claimed(p3, NULL));
	blkdev_unclaim(p3, &dm, BLK_CLAIM_BLOCK_WRITES);
	blkdev_unclaim(p2, &dm, BLK_CLAIM_BLOCK_WRITES);
	assert_false(blkdev_claimed(p2, NULL));
	assert_false(blkdev_claimed(p3, NULL));
	assert_false(blkdev_claimed(&r->disk, NULL));
	assert_int_equal(blkdev_claim(p2, NULL, BLK_CLAIM_WRITE), 0);
	blkdev_unclaim(p2, NULL, BLK_CLAIM_WRITE);
	/* A claimed whole disk (O_EXCL) keeps its partitions from being claimed; two O_EXCL
	 * opens exclude each other; an unclaim by someone else changes nothing. */
	assert_int_equal(blkdev_claim(&r->disk, &file1, 0), 0);
	assert_int_equal(blkdev_claim(&r->disk, &file2, 0), -EBUSY);
	assert_int_equal(blkdev_claim(p2, &dm, BLK_CLAIM_BLOCK_WRITES), -EBUSY);
	blkdev_unclaim(&r->disk, &file2, 0);
	assert_true(blkdev_claimed(&r->disk, NULL));
	assert_int_equal(blkdev_rescan(&r->disk), 0);            /* only held partitions block it */
	blkdev_unclaim(&r->disk, &file1, 0);
	assert_int_equal(blkdev_claim(p2, &dm, BLK_CLAIM_BLOCK_WRITES), 0);
	blkdev_unclaim(p2, &dm, BLK_CLAIM_BLOCK_WRITES);
	assert_false(blkdev_claimed(&r->disk, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_gpt, setup_small),
		cmocka_unit_test(test_corrupt_gpt_no_partitions),
		cmocka_unit_test(test_backup_gpt_used),
		cmocka_unit_test(test_unpartitioned_and_many),
		cmocka_unit_test(test_register_invalid),
		cmocka_unit_test_setup(test_sector_io, setup_small),
		cmocka_unit_test(test_split_and_polled),
		cmocka_unit_test(test_read_only_and_lbs),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test_setup(test_bread_shared_and_cached, setup_small),
		cmocka_unit_test_setup(test_sync_dev_order, setup_small),
		cmocka_unit_test(test_sync_errors),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_direct_io_coherence),
		cmocka_unit_test(test_rescan),
		cmocka_unit_test(test_claims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
