/* Host tests of the label probe behind /dev/disk/by-label (kernel/fs/bylabel/fslabel.c) on
 * volumes the real tools make at test time: mke2fs -L, genisoimage -V, mkfs.vfat -n,
 * cloud-localds (iso9660 and -f vfat), an unlabelled volume and plain zeros; and udev's
 * escaping of label characters. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "workdir.h"
#include "errno.h"
#include "../../../kernel/fs/bylabel/fslabel.h"
#include "../rofs/memdev_host.h"

static void probe(const char *name, struct fslabel *out)
{
    struct memdev md = { 0 };
    md.data = slurp(wpath(name), &md.size);
    struct byte_io io = memdev_io(&md);
    assert_int_equal(fslabel_probe(&io, out), 0);
    free(md.data);
}

static void expect(const char *img, const char *type, const char *label)
{
    struct fslabel fl;
    probe(img, &fl);
    if (!type) {
        assert_null(fl.type);
        return;
    }
    assert_non_null(fl.type);
    assert_string_equal(fl.type, type);
    assert_string_equal(fl.label, label);
}

static void test_probe(void **state)
{
    (void)state;
    expect("ext2.img", "ext2", "rootfs");
    expect("ext2-nolabel.img", "ext2", "");
    expect("iso.iso", "iso9660", "config-2");
    expect("seed.iso", "iso9660", "cidata");
    expect("seed-vfat.img", "vfat", "cidata");
    expect("fat32.img", "vfat", "BIG");
    expect("zeros.img", NULL, NULL);
}

static void test_devname(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(fslabel_devname("cidata", out, sizeof out), 6);
    assert_string_equal(out, "cidata");
    assert_int_equal(fslabel_devname("config-2", out, sizeof out), 8);
    fslabel_devname("my disk/x", out, sizeof out);
    assert_string_equal(out, "my\\x20disk\\x2fx");
    assert_int_equal(fslabel_devname("", out, sizeof out), 0);
    assert_int_equal(fslabel_devname("..", out, sizeof out), 0);
    assert_int_equal(fslabel_devname("abcdef", out, 4), 0);
}

static int setup(void **state)
{
    (void)state;
    if (workdir_make("fslabel-test"))
        return -1;
    const char *w = workdir;
    sh("truncate -s 4M %s/ext2.img && mke2fs -q -F -t ext2 -L rootfs %s/ext2.img", w, w);
    sh("truncate -s 4M %s/ext2-nolabel.img && mke2fs -q -F -t ext2 %s/ext2-nolabel.img", w, w);
    sh("mkdir -p %s/t && echo x > %s/t/f && genisoimage -quiet -V config-2 -J -R -o %s/iso.iso %s/t", w, w, w, w);
    sh("printf '#cloud-config\\n' > %s/ud && printf 'instance-id: i\\n' > %s/md", w, w);
    sh("cloud-localds %s/seed.iso %s/ud %s/md", w, w, w);
    sh("cloud-localds -f vfat %s/seed-vfat.img %s/ud %s/md", w, w, w);
    sh("mkfs.vfat -C -F 32 -s 1 -n BIG %s/fat32.img 40000 >/dev/null", w);
    sh("truncate -s 1M %s/zeros.img", w);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    workdir_remove(NULL);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_devname),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
