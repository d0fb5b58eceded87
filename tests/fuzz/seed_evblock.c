/* seed_evblock.c - write fuzz_evblock inputs (see fuzz_evblock.c for the
 * layout) from the EVENTS blocks of real logs: used by make_seeds.sh.
 *   seed_evblock OUTDIR LOG...   */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blocklog.h"
#include "bytes.h"

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 2; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        struct blog_scan s;
        struct fb_error err;
        struct buf pl = {0};
        if (fd < 0 || blog_scan_fd(fd, argv[i], &s, &err) != 0) {
            fprintf(stderr, "%s: cannot scan\n", argv[i]);
            return 1;
        }
        for (size_t b = 0; b < s.nblocks; b++) {
            const struct blog_block *blk = &s.blocks[b];
            if (blk->h.type != BLOG_T_EVENTS || blog_read_payload(fd, argv[i], blk, &pl, &err) != 0)
                continue;
            for (int variant = 0; variant < 2; variant++) {
                unsigned char h[1 + 1 + 4 + 8 + 8 + 4 * BLOG_D_COUNT];
                h[0] = variant ? 0x0f : 0xff;    /* all columns; time..channel only */
                h[1] = 0;
                wr_u32(h + 2, blk->h.count);
                wr_u64(h + 6, (uint64_t)blk->h.a);
                wr_u64(h + 14, (uint64_t)blk->h.b);
                for (int k = 0; k < BLOG_D_COUNT; k++)
                    wr_u32(h + 22 + 4 * k, s.dict_sizes[k]);
                char path[4096];
                snprintf(path, sizeof path, "%s/seed-%03d", argv[1], n++);
                FILE *f = fopen(path, "wb");
                if (!f || fwrite(h, 1, sizeof h, f) != sizeof h ||
                    fwrite(pl.p, 1, pl.len, f) != pl.len || fclose(f) != 0) {
                    perror(path);
                    return 1;
                }
            }
        }
        buf_free(&pl);
        blog_scan_free(&s);
        close(fd);
    }
    printf("%d evblock seeds\n", n);
    return 0;
}
