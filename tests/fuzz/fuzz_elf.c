/*
 * libFuzzer target for the ELF validator and the "#!" parser.  The same
 * input is tried as a whole file, as the first bytes of a longer file,
 * and against a file shorter than the buffer.
 */
#include <stddef.h>
#include <stdint.h>

#include "elf.h"

#define USER_LIMIT 0x4000000000ull

static void check(const uint8_t *data, size_t size, uint64_t file_size)
{
	struct elf_image img;
	uint64_t bias;

	if (elf_parse(data, size, file_size, USER_LIMIT, &img) != 0)
		return;
	elf_load_bias(&img, 0x10000, USER_LIMIT, &bias);
	elf_load_bias(&img, UINT64_MAX - 0x1000, UINT64_MAX, &bias);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, size);
	check(data, size, (uint64_t)size << 12);
	check(data, size, size / 2);

	const char *interp, *arg;
	size_t interp_len, arg_len;
	if (shebang_parse((const char *)data, size, &interp, &interp_len,
			  &arg, &arg_len) == 0) {
		volatile char last = interp[interp_len - 1];
		if (arg && arg_len)
			last = arg[arg_len - 1];
		(void)last;
	}
	return 0;
}
