/*
 * libFuzzer target for the device tree parser: the platform parse plus a
 * walk that touches every node and property through the public API.
 */
#include <stddef.h>
#include <stdint.h>

#include "fdt.h"

/* Keeps the reads from being optimised away. */
static volatile uint64_t sink;

/* Visit the first MAX_NODES nodes; parent lookups are O(n) each. */
#define MAX_NODES 256

static void walk(const struct fdt *fdt)
{
	unsigned visited = 0;

	for (int node = fdt_next_node(fdt, -1, NULL);
	     node >= 0 && visited < MAX_NODES;
	     node = fdt_next_node(fdt, node, NULL), visited++) {
		size_t len;
		const char *name = fdt_node_name(fdt, node, &len);
		if (name && len)
			sink += (uint8_t)name[len - 1];

		for (int prop = fdt_first_prop(fdt, node); prop >= 0;
		     prop = fdt_next_prop(fdt, prop)) {
			const char *pname;
			const void *value;
			uint32_t vlen;
			if (fdt_prop_info(fdt, prop, &pname, &value, &vlen) == 0 &&
			    vlen > 0)
				sink += ((const uint8_t *)value)[vlen - 1];
		}

		uint64_t addr, size;
		for (unsigned i = 0; i < 4; i++)
			if (fdt_read_reg(fdt, node, i, &addr, &size) == 0)
				sink += addr + size;
		sink += (uint64_t)fdt_first_child(fdt, node);
		sink += (uint64_t)fdt_next_sibling(fdt, node);
		sink += fdt_node_is_compatible(fdt, node, "virtio,mmio");
	}
	sink += (uint64_t)fdt_path_offset(fdt, "/soc/serial");
	sink += (uint64_t)fdt_path_offset(fdt, "serial0/a");
	sink += (uint64_t)fdt_find_phandle(fdt, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdt_platform platform;
	fdt_parse_platform(data, size, &platform);

	struct fdt fdt;
	if (fdt_init(&fdt, data, size) == 0)
		walk(&fdt);
	return 0;
}
