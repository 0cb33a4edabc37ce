/* hk-vm-seed: credit the guest's entropy pool with the seed the host put
 * on the kernel command line (test/vm/init runs it first thing).
 *
 * Why: under qemu's TCG an old kernel (before 5.4's jitter entropy, or
 * without a CPU RNG it trusts) can block getrandom(2) for ever, and
 * hakmem reads its secret with getrandom at load.  virtio-rng is a module
 * in most distribution kernels, which a busybox initramfs does not load;
 * RNDADDENTROPY (random(4)) needs only root, which init is.
 *
 * Usage: hk-vm-seed HEX  (at most 256 bytes); exit 0 when credited. */
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	/* A rand_pool_info whose flexible buf holds up to 256 bytes. */
	static union {
		struct rand_pool_info info;
		unsigned char raw[sizeof(struct rand_pool_info) + 256];
	} seed;
	unsigned char *buf = (unsigned char *)seed.info.buf;
	size_t n = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: hk-vm-seed HEX\n");
		return 2;
	}
	for (const char *p = argv[1]; p[0] && p[1] && n < 256; p += 2) {
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			break;
		buf[n++] = (unsigned char)(hi << 4 | lo);
	}
	if (n == 0) {
		fprintf(stderr, "hk-vm-seed: no hex digits in the seed\n");
		return 2;
	}
	seed.info.entropy_count = (int)(n * 8);
	seed.info.buf_size = (int)n;
	fd = open("/dev/urandom", O_WRONLY);
	if (fd < 0 || ioctl(fd, RNDADDENTROPY, &seed) != 0) {
		perror("hk-vm-seed: RNDADDENTROPY");
		return 1;
	}
	close(fd);
	return 0;
}
