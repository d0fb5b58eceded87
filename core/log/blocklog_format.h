/* blocklog_format.h - constants of the log file format, version 1.
 * docs/FORMAT.md is normative; every number here cites its section.
 * All integers are little-endian; CRCs are zlib's crc32 (ISO-HDLC).
 */
#ifndef FUNNEL_BLOCKLOG_FORMAT_H
#define FUNNEL_BLOCKLOG_FORMAT_H

/* FORMAT.md §2 File header: magic, u16 major, u16 minor, u32 crc32(0..11). */
#define BLOG_MAGIC "\x89" "FNL\r\n\x1a\n"
#define BLOG_MAGIC_LEN 8
#define BLOG_FILE_HEADER_LEN 16
#define BLOG_VERSION_MAJOR 1
#define BLOG_VERSION_MINOR 0

/* FORMAT.md §3 Block header (40 bytes). */
#define BLOG_BLOCK_MAGIC 0x4B4C4246u /* "FBLK" */
#define BLOG_BLOCK_HEADER_LEN 40
#define BLOG_FLAG_SKIPPABLE 0x01     /* unknown type may be skipped */
/* A payload is bounded so a damaged length can never make a reader allocate
 * without limit (64 MiB is far above any block this writer makes). */
#define BLOG_MAX_PAYLOAD (64u << 20)

/* FORMAT.md §4 Block types. */
enum blog_type {
    BLOG_T_DICT = 1,
    BLOG_T_EVENTS = 2,
    BLOG_T_COMMIT = 3
};

/* FORMAT.md §5 Dictionaries: one id space per kind; id 0 is "". */
enum blog_dict_kind {
    BLOG_D_ENTITY = 0,
    BLOG_D_STAGE = 1,
    BLOG_D_CHANNEL = 2,
    BLOG_D_TOUCH = 3,
    BLOG_D_OUTCOME = 4,
    BLOG_D_AMOUNT = 5,
    BLOG_D_ATTR_NAME = 6,
    BLOG_D_ATTR_VALUE = 7,
    BLOG_D_COUNT = 8
};
#define BLOG_DICT_MAX_ENTRIES 65536u  /* per DICT block */
#define BLOG_MAX_STRING 65535u        /* bytes in one dictionary string */

/* FORMAT.md §6 Events block: column kinds and encodings. */
enum blog_col_kind {
    BLOG_C_TIME = 0,
    BLOG_C_ENTITY = 1,
    BLOG_C_STAGE = 2,
    BLOG_C_CHANNEL = 3,
    BLOG_C_TOUCH = 4,
    BLOG_C_OUTCOME = 5,
    BLOG_C_AMOUNT = 6,
    BLOG_C_ATTR = 7,
    BLOG_C_FIXED = 7 /* number of fixed (non-attribute) column kinds */
};
enum blog_col_enc {
    BLOG_E_VARINT = 0,      /* unsigned LEB128 ids (read, no longer written) */
    BLOG_E_TIME_DELTA = 1,  /* zigzag LEB128 deltas, first from block min */
    BLOG_E_PLANES = 2       /* u8 width W (1..4), then W byte planes of ids */
};
#define BLOG_COL_DESC_LEN 16
#define BLOG_EVENTS_PER_BLOCK 65536u
#define BLOG_MAX_COLUMNS 255u

/* FORMAT.md §7 Commit block payload. */
#define BLOG_COMMIT_PAYLOAD_LEN (8 + 8 + 16 + 4 + 4 * BLOG_D_COUNT + 4)
#define BLOG_COMMIT_F_ALLOW_DUP 0x01

#endif
