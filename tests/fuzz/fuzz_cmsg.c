/*
 * libFuzzer target for control-message buffers (kernel/net/cmsg.c), the part of sendmsg and
 * recvmsg that parses user-supplied lengths: validate the input as sendmsg does; whatever
 * the verdict, walk it and touch the last byte of every message so ASan checks the bounds;
 * then append messages of input-chosen sizes to a small buffer as recvmsg does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmsg.h"

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exactly-sized, 8-byte aligned copy so ASan sees any overrun. */
	void *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	int valid = cmsg_validate(buf, size) == 0;
	unsigned steps = 0;
	for (struct cmsghdr *c = cmsg_first(buf, size); c; c = cmsg_next(buf, size, c)) {
		if (++steps > size / sizeof(struct cmsghdr) + 1)
			__builtin_trap();   /* every step must move forward */
		size_t off = (size_t)((char *)c - (char *)buf);
		if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > size - off)
			__builtin_trap();   /* the walk only yields whole messages */
		sink += ((uint8_t *)c)[c->cmsg_len - 1];
	}
	/* A validated buffer is walked to its last whole header. */
	if (valid && size >= sizeof(struct cmsghdr) && !cmsg_first(buf, size))
		__builtin_trap();

	/* Appending: sizes come from the input; the output buffer is small and exact. */
	size_t cap = size ? data[0] : 0;
	char *out = malloc(cap ? cap : 1);
	if (out) {
		size_t used = 0;
		for (size_t i = 1; i < size && i < 64; i++) {
			size_t len = data[i];
			size_t before = used;
			int r = cmsg_append(out, cap, &used, 1, 1, data, len <= size ? len : size);
			if (used > cap || (r && used != before))
				__builtin_trap();
		}
		free(out);
	}
	free(buf);
	return 0;
}
