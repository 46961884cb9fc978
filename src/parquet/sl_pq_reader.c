/*
 * sl_pq_reader.c - the Parquet reader (see sl_pq_reader.h).
 *
 * Structure: open maps the file and parses the footer (sl_pq_meta); select
 * maps each chosen column to an sl_type and a conversion; next walks the row
 * groups, skipping those a filter excludes, and for each selected column
 * pulls rows from its current page: definition levels -> validity, values
 * (plain, dictionary indices gathered from the dictionary, delta, ...) ->
 * physical values -> converted into the batch vector. Pages are read one at
 * a time from the memory-mapped chunk; a page's values are decoded a batch at
 * a time, so no allocation depends on an untrusted count. The type mapping
 * and value conversion are in sl_pq_reader_types.c, statistics and the
 * filter in sl_pq_reader_stats.c.
 */
#include "sl_pq_reader_int.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_crc32.h"
#include "sl_decompress.h"
#include "sl_pq_decode.h"
#include "sl_pq_format.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- open ---- */

static sl_pq_reader *sl_reader_init(sl_pq_reader *r, sl_err *err)
{
    const uint8_t *d = r->data;
    size_t n = r->size;
    if (n >= 4 && !memcmp(d, SL_PQ_MAGIC_ENCRYPTED, 4))
        goto encrypted;
    if (n < 12) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: only %zu bytes", n);
        goto fail;
    }
    if (!memcmp(d + n - 4, SL_PQ_MAGIC_ENCRYPTED, 4)) goto encrypted;
    if (memcmp(d, SL_PQ_MAGIC, 4) || memcmp(d + n - 4, SL_PQ_MAGIC, 4)) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: the PAR1 magic is missing at its %s",
                   memcmp(d, SL_PQ_MAGIC, 4) ? "start" : "end");
        goto fail;
    }
    uint32_t flen = (uint32_t)d[n - 8] | (uint32_t)d[n - 7] << 8 | (uint32_t)d[n - 6] << 16 | (uint32_t)d[n - 5] << 24;
    if (flen > n - 12) {
        sl_err_set(err, SL_EFORMAT, "corrupt footer: its length %u exceeds the file size %zu", flen, n);
        goto fail;
    }
    r->footer_start = n - 8 - flen;
    r->footer_crc = sl_crc32(0, d + r->footer_start, (size_t)flen + 8);
    sl_arena_init(&r->arena, 64 * 1024);
    if (sl_pq_meta_parse(d + r->footer_start, flen, r->footer_start, &r->arena, &r->meta, err) < 0) {
        sl_arena_destroy(&r->arena);
        goto fail;
    }
    r->rg = -1;
    r->rg_end = r->meta.nrow_groups;
    return r;
encrypted:
    sl_err_set(err, SL_ETYPE, "encrypted Parquet files are not supported; decrypt the file first");
fail:
    sl_err_prefix(err, "%s", r->name);
    if (r->mapped && r->size) munmap((void *)r->data, r->size);
    sl_free(r->name);
    sl_free(r);
    return NULL;
}

sl_pq_reader *sl_pq_reader_open(const char *path, sl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_err_set(err, SL_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sl_err_set(err, SL_EIO, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    sl_pq_reader *r = sl_calloc(1, sizeof *r);
    r->name = sl_strdup(path);
    r->size = (size_t)st.st_size;
    r->mapped = true;
    if (r->size) {
        void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            sl_err_set(err, SL_EIO, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            sl_free(r->name);
            sl_free(r);
            return NULL;
        }
        r->data = m;
    }
    close(fd);
    return sl_reader_init(r, err);
}

sl_pq_reader *sl_pq_reader_open_mem(const void *data, size_t len, const char *name, sl_err *err)
{
    sl_pq_reader *r = sl_calloc(1, sizeof *r);
    r->name = sl_strdup(name ? name : "(memory)");
    r->data = data;
    r->size = len;
    return sl_reader_init(r, err);
}

/* The footer of a ranged input: its last 64 KiB, then the rest of a larger
 * footer; the start magic is not fetched (one request less). */
sl_pq_reader *sl_pq_reader_open_input(const sl_pq_input *in, const char *name, sl_err *err)
{
    sl_pq_reader *r = sl_calloc(1, sizeof *r);
    r->name = sl_strdup(name ? name : "(input)");
    r->ranged = true;
    r->in = *in;
    r->size = (size_t)in->size;
    sl_buf tail = { 0 };
    uint64_t n = in->size, want = n < 65536 ? n : 65536;
    if (n < 12) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: only %llu bytes", (unsigned long long)n);
        goto fail;
    }
    if (in->read_at(in->ctx, n - want, (size_t)want, &tail, err) < 0) goto fail;
    if (tail.len != want) {
        sl_err_set(err, SL_EIO, "read %zu bytes of the footer, wanted %llu", tail.len, (unsigned long long)want);
        goto fail;
    }
    const uint8_t *e = tail.data + tail.len;
    if (!memcmp(e - 4, SL_PQ_MAGIC_ENCRYPTED, 4)) {
        sl_err_set(err, SL_ETYPE, "encrypted Parquet files are not supported; decrypt the file first");
        goto fail;
    }
    if (memcmp(e - 4, SL_PQ_MAGIC, 4)) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: the PAR1 magic is missing at its end");
        goto fail;
    }
    uint32_t flen = (uint32_t)e[-8] | (uint32_t)e[-7] << 8 | (uint32_t)e[-6] << 16 | (uint32_t)e[-5] << 24;
    if (flen > n - 12) {
        sl_err_set(err, SL_EFORMAT, "corrupt footer: its length %u exceeds the file size %llu", flen,
                   (unsigned long long)n);
        goto fail;
    }
    r->footer_start = n - 8 - flen;
    if ((uint64_t)flen + 8 > want) {
        sl_buf_clear(&tail);
        if (in->read_at(in->ctx, r->footer_start, (size_t)flen + 8, &tail, err) < 0) goto fail;
        if (tail.len != (size_t)flen + 8) {
            sl_err_set(err, SL_EIO, "read %zu bytes of the footer, wanted %u", tail.len, flen + 8);
            goto fail;
        }
    }
    const uint8_t *footer = tail.data + tail.len - 8 - flen;
    r->footer_crc = sl_crc32(0, footer, (size_t)flen + 8);
    sl_arena_init(&r->arena, 64 * 1024);
    if (sl_pq_meta_parse(footer, flen, r->footer_start, &r->arena, &r->meta, err) < 0) {
        sl_arena_destroy(&r->arena);
        goto fail;
    }
    sl_buf_free(&tail);
    r->rg = -1;
    r->rg_end = r->meta.nrow_groups;
    return r;
fail:
    sl_buf_free(&tail);
    sl_err_prefix(err, "%s", r->name);
    if (in->close) in->close(in->ctx);
    sl_free(r->name);
    sl_free(r);
    return NULL;
}

static void sl_col_free(sl_pq_col *c)
{
    sl_buf_free(&c->chunk);
    sl_free(c->pl_rep);
    sl_free(c->pl_def);
    sl_buf_free(&c->dict_page);
    sl_free(c->dict_bv);
    sl_free(c->dict_fixed);
    sl_buf_free(&c->page);
    if (c->vdec_live) sl_pq_vdec_free(&c->vdec);
    sl_free(c->lv);
    sl_free(c->idx);
    sl_free(c->valid);
    sl_free(c->fixed);
    sl_free(c->bv);
    sl_buf_free(&c->heap);
}

static void sl_reader_clear_selection(sl_pq_reader *r)
{
    for (int i = 0; i < r->ncols; i++) sl_col_free(&r->cols[i]);
    sl_free(r->cols);
    r->cols = NULL;
    r->ncols = 0;
    sl_schema_free(r->schema);
    r->schema = NULL;
    sl_free(r->filter_value.owned);
    r->filter_value.owned = NULL;
    r->has_filter = false;
}

void sl_pq_reader_close(sl_pq_reader *r)
{
    if (!r) return;
    sl_reader_clear_selection(r);
    sl_arena_destroy(&r->arena);
    if (r->mapped && r->size) munmap((void *)r->data, r->size);
    if (r->ranged && r->in.close) r->in.close(r->in.ctx);
    sl_free(r->name);
    sl_free(r);
}

const char *sl_pq_reader_name(const sl_pq_reader *r) { return r->name; }
const sl_pq_file_meta *sl_pq_reader_meta(const sl_pq_reader *r) { return &r->meta; }
uint32_t sl_pq_reader_footer_crc(const sl_pq_reader *r) { return r->footer_crc; }

uint64_t sl_pq_reader_file_size(const sl_pq_reader *r) { return r->size; }
int sl_pq_reader_skipped_row_groups(const sl_pq_reader *r) { return r->skipped; }

/* ---- selection ---- */

void sl_pqr_col_init(sl_pq_reader *r, sl_pq_col *c, int leaf, sl_type t, int conv)
{
    memset(c, 0, sizeof *c);
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    c->leaf = leaf;
    c->se = &r->meta.schema[l->schema_idx];
    c->name = c->se->name;
    c->ptype = c->se->type;
    c->flba_len = c->se->type_length;
    c->pwidth = sl_pq_physical_width(c->ptype, c->flba_len);
    c->bytes_shape = c->ptype == SL_PQ_BYTE_ARRAY || c->ptype == SL_PQ_FIXED_LEN_BYTE_ARRAY;
    c->max_def = l->max_def;
    c->type = t;
    c->conv = conv;
    c->file = r->data;
}

int sl_pq_reader_select(sl_pq_reader *r, const char *const *names, int n, sl_err *err)
{
    sl_reader_clear_selection(r);
    const sl_pq_schema_elem *root = &r->meta.schema[0];
    int ntop = root->num_children;
    /* Top-level fields, in order: their schema index and first leaf. */
    int *top_schema = sl_malloc((size_t)(ntop > 0 ? ntop : 1) * sizeof *top_schema);
    int *top_leaf = sl_malloc((size_t)(ntop > 0 ? ntop : 1) * sizeof *top_leaf);
    int k = 0;
    for (int l = 0; l < r->meta.nleaves; l++) {
        int ti = r->meta.leaves[l].top_idx;
        if (k == 0 || top_schema[k - 1] != ti) {
            top_schema[k] = ti;
            top_leaf[k] = l;
            k++;
        }
    }
    int nsel = n > 0 ? n : k;
    sl_pq_col *cols = sl_calloc((size_t)(nsel > 0 ? nsel : 1), sizeof *cols);
    sl_schema *schema = sl_schema_new(nsel);
    int rc = 0;
    for (int i = 0; i < nsel && rc == 0; i++) {
        int which = i;
        if (n > 0) {
            which = -1;
            for (int j = 0; j < k; j++)
                if (!strcmp(r->meta.schema[top_schema[j]].name, names[i])) { which = j; break; }
            if (which < 0) {
                rc = sl_err_set(err, SL_EUSAGE, "%s: no column named %s", r->name, names[i]);
                break;
            }
        }
        int leaf = top_leaf[which];
        sl_type t;
        int conv = 0;
        int d_list = 0, d_rep = 0;
        bool list = r->meta.leaves[leaf].nested && sl_pqr_list_shape(r, leaf, &d_list, &d_rep);
        if (list) {
            if (sl_pqr_map_elem(&r->meta.schema[r->meta.leaves[leaf].schema_idx], &t, &conv, err) < 0) rc = -1;
        } else if (r->meta.leaves[leaf].nested) {
            rc = sl_pq_reader_leaf_type(r, leaf, &t, err);
        } else if (sl_pqr_map_elem(&r->meta.schema[r->meta.leaves[leaf].schema_idx], &t, &conv, err) < 0) {
            rc = -1;
        }
        if (rc < 0) {
            sl_err_prefix(err, "%s", r->name);
            break;
        }
        sl_pqr_col_init(r, &cols[i], leaf, t, conv);
        if (list) {
            cols[i].list = true;
            cols[i].max_rep = 1;
            cols[i].d_list = d_list;
            cols[i].d_rep = d_rep;
            sl_schema_set(schema, i, r->meta.schema[top_schema[which]].name, sl_type_list_of(t), d_list > 0);
        } else {
            sl_schema_set(schema, i, r->meta.schema[top_schema[which]].name, t, r->meta.leaves[leaf].max_def > 0);
        }
    }
    sl_free(top_schema);
    sl_free(top_leaf);
    if (rc < 0) {
        for (int i = 0; i < nsel; i++) sl_col_free(&cols[i]);
        sl_free(cols);
        sl_schema_free(schema);
        return -1;
    }
    r->cols = cols;
    r->ncols = nsel;
    r->schema = schema;
    r->rg = r->rg_first - 1;
    r->rg_rows_left = 0;
    r->done = false;
    return 0;
}

const sl_schema *sl_pq_reader_schema(sl_pq_reader *r, sl_err *err)
{
    if (!r->schema && sl_pq_reader_select(r, NULL, 0, err) < 0) return NULL;
    return r->schema;
}

/* ---- pages ---- */

static void sl_col_scratch(sl_pq_col *c, size_t n)
{
    if (n <= c->cap) return;
    c->lv = sl_realloc(c->lv, n * sizeof *c->lv);
    c->idx = sl_realloc(c->idx, n * sizeof *c->idx);
    c->valid = sl_realloc(c->valid, n);
    c->fixed = sl_realloc(c->fixed, n * (size_t)(c->pwidth > 0 ? c->pwidth : 1));
    c->bv = sl_realloc(c->bv, n * sizeof *c->bv);
    c->cap = n;
}

static int sl_col_read_dict(sl_pq_col *c, const sl_pq_page_header *h, const uint8_t *payload, sl_err *err)
{
    if (c->has_dict) return sl_err_set(err, SL_EFORMAT, "a second dictionary page");
    if (c->values_seen > 0) return sl_err_set(err, SL_EFORMAT, "a dictionary page after data pages");
    if (!h->has_dict_header) return sl_err_set(err, SL_EFORMAT, "dictionary page without its header");
    if (h->num_values < 0) return sl_err_set(err, SL_EFORMAT, "dictionary page with a negative value count %d", h->num_values);
    if (h->encoding != SL_PQ_ENC_PLAIN && h->encoding != SL_PQ_ENC_PLAIN_DICTIONARY)
        return sl_err_set(err, SL_EFORMAT, "dictionary page in encoding %s, expected PLAIN", sl_pq_encoding_name(h->encoding));
    if (sl_decompress_buf(c->codec, payload, (size_t)h->compressed_size, &c->dict_page, (size_t)h->uncompressed_size, err) < 0)
        return -1;
    size_t n = (size_t)h->num_values, len = c->dict_page.len;
    const uint8_t *p = c->dict_page.data;
    sl_pq_vdec d;
    if (c->ptype == SL_PQ_BYTE_ARRAY && n > len / 4)
        return sl_err_set(err, SL_EFORMAT, "dictionary page claims %zu values but holds %zu bytes", n, len);
    if (c->ptype == SL_PQ_BOOLEAN ? n > len * 8 : (c->pwidth > 0 && n > len / (size_t)c->pwidth))
        return sl_err_set(err, SL_EFORMAT, "dictionary page claims %zu values but holds %zu bytes", n, len);
    if (sl_pq_vdec_init(&d, SL_PQ_ENC_PLAIN, c->ptype, c->flba_len, p, len, err) < 0) return -1;
    int rc;
    if (c->bytes_shape) {
        c->dict_bv = sl_realloc(c->dict_bv, (n ? n : 1) * sizeof *c->dict_bv);
        rc = sl_pq_vdec_bytes(&d, c->dict_bv, n, NULL, err);
    } else {
        c->dict_fixed = sl_realloc(c->dict_fixed, (n ? n : 1) * (size_t)c->pwidth);
        rc = sl_pq_vdec_fixed(&d, c->dict_fixed, n, err);
    }
    sl_pq_vdec_free(&d);
    if (rc < 0) return -1;
    c->dict_n = (uint32_t)n;
    c->has_dict = true;
    return 0;
}

static int sl_col_next_page(sl_pq_reader *r, sl_pq_col *c, sl_err *err)
{
    for (;;) {
        if (c->values_seen >= c->chunk_values)
            return sl_err_set(err, SL_EFORMAT, "the column chunk's %lld values are read but the row group needs more",
                              (long long)c->chunk_values);
        if (c->pos >= c->chunk_end)
            return sl_err_set(err, SL_EFORMAT, "the column chunk ends after %lld of its %lld values",
                              (long long)c->values_seen, (long long)c->chunk_values);
        c->page_no++;
        sl_pq_page_header h;
        size_t used;
        if (sl_pq_page_header_parse(c->pos, (size_t)(c->chunk_end - c->pos), &h, &used, err) < 0) return -1;
        const uint8_t *payload = c->pos + used;
        if ((size_t)h.compressed_size > (size_t)(c->chunk_end - payload))
            return sl_err_set(err, SL_EFORMAT, "page of %d bytes runs past the end of the file's data", h.compressed_size);
        c->pos = payload + h.compressed_size;
        if (h.has_crc) {
            uint32_t crc = sl_crc32(0, payload, (size_t)h.compressed_size);
            if (crc != h.crc)
                return sl_err_set(err, SL_EFORMAT, "page checksum mismatch (CRC-32 %08x, the header says %08x): the file is corrupt",
                                  crc, h.crc);
        }
        if (h.type == SL_PQ_DICTIONARY_PAGE) {
            if (sl_col_read_dict(c, &h, payload, err) < 0) return -1;
            continue;
        }
        if (h.type == SL_PQ_INDEX_PAGE) continue;
        if (h.type != SL_PQ_DATA_PAGE && h.type != SL_PQ_DATA_PAGE_V2)
            return sl_err_set(err, SL_EFORMAT, "unknown page type %d", h.type);
        bool v2 = h.type == SL_PQ_DATA_PAGE_V2;
        if (v2 ? !h.has_v2_header : !h.has_data_header)
            return sl_err_set(err, SL_EFORMAT, "data page without its header");
        if (h.num_values < 0) return sl_err_set(err, SL_EFORMAT, "data page with a negative value count %d", h.num_values);
        if (h.num_values > c->chunk_values - c->values_seen)
            return sl_err_set(err, SL_EFORMAT, "data pages hold more values than the column chunk's %lld",
                              (long long)c->chunk_values);
        if (c->vdec_live) {
            sl_pq_vdec_free(&c->vdec);
            c->vdec_live = false;
        }
        const uint8_t *vals;
        size_t vals_len;
        c->lvl_kind = 0;
        if (!v2) {
            if (sl_decompress_buf(c->codec, payload, (size_t)h.compressed_size, &c->page, (size_t)h.uncompressed_size, err) < 0)
                return -1;
            vals = c->page.data;
            vals_len = c->page.len;
            if (c->max_rep > 0) {
                if (h.rep_encoding != SL_PQ_ENC_RLE)
                    return sl_err_set(err, SL_EFORMAT, "repetition levels in unsupported encoding %d", h.rep_encoding);
                if (vals_len < 4) return sl_err_set(err, SL_EFORMAT, "repetition levels lack their length");
                uint32_t ll = (uint32_t)vals[0] | (uint32_t)vals[1] << 8 | (uint32_t)vals[2] << 16 | (uint32_t)vals[3] << 24;
                if (ll > vals_len - 4)
                    return sl_err_set(err, SL_EFORMAT, "repetition levels of %u bytes, the page holds %zu", ll, vals_len - 4);
                sl_pq_hyb_init(&c->rlvl, vals + 4, ll, 1);
                vals += 4 + ll;
                vals_len -= 4 + ll;
            }
            if (c->max_def > 0) {
                int bw = 32 - __builtin_clz((unsigned)c->max_def);
                if (h.def_encoding == SL_PQ_ENC_RLE) {
                    if (vals_len < 4) return sl_err_set(err, SL_EFORMAT, "definition levels lack their length");
                    uint32_t ll = (uint32_t)vals[0] | (uint32_t)vals[1] << 8 | (uint32_t)vals[2] << 16 | (uint32_t)vals[3] << 24;
                    if (ll > vals_len - 4)
                        return sl_err_set(err, SL_EFORMAT, "definition levels of %u bytes, the page holds %zu", ll, vals_len - 4);
                    sl_pq_hyb_init(&c->lvl, vals + 4, ll, bw);
                    c->lvl_kind = 1;
                    vals += 4 + ll;
                    vals_len -= 4 + ll;
                } else if (h.def_encoding == SL_PQ_ENC_BIT_PACKED) {
                    uint64_t nb = ((uint64_t)h.num_values * (uint64_t)bw + 7) / 8;
                    if (nb > vals_len) return sl_err_set(err, SL_EFORMAT, "BIT_PACKED definition levels run past the page");
                    c->lvl_kind = 2;
                    c->lvl_p = vals;
                    c->lvl_bytes = (size_t)nb;
                    c->lvl_next = 0;
                    vals += nb;
                    vals_len -= (size_t)nb;
                } else {
                    return sl_err_set(err, SL_EFORMAT, "definition levels in unsupported encoding %d", h.def_encoding);
                }
            }
        } else {
            if (h.def_len < 0 || h.rep_len < 0 || (int64_t)h.def_len + h.rep_len > h.compressed_size ||
                (int64_t)h.def_len + h.rep_len > h.uncompressed_size)
                return sl_err_set(err, SL_EFORMAT, "page V2 level lengths (%d, %d) do not fit the page", h.rep_len, h.def_len);
            const uint8_t *lv = payload + h.rep_len;
            if (c->max_rep > 0) sl_pq_hyb_init(&c->rlvl, payload, (size_t)h.rep_len, 1);
            if (c->max_def > 0) {
                int bw = 32 - __builtin_clz((unsigned)c->max_def);
                sl_pq_hyb_init(&c->lvl, lv, (size_t)h.def_len, bw);
                c->lvl_kind = 1;
            }
            const uint8_t *cv = payload + h.rep_len + h.def_len;
            size_t clen = (size_t)h.compressed_size - (size_t)h.rep_len - (size_t)h.def_len;
            size_t ulen = (size_t)h.uncompressed_size - (size_t)h.rep_len - (size_t)h.def_len;
            if (ulen == 0) {
                vals = cv;
                vals_len = 0;
            } else if (h.is_compressed && c->codec != SL_PQ_UNCOMPRESSED) {
                if (sl_decompress_buf(c->codec, cv, clen, &c->page, ulen, err) < 0) return -1;
                vals = c->page.data;
                vals_len = ulen;
            } else {
                if (clen != ulen)
                    return sl_err_set(err, SL_EFORMAT, "uncompressed page V2 of %zu value bytes, the header says %zu", clen, ulen);
                vals = cv;
                vals_len = clen;
            }
        }
        if (h.encoding == SL_PQ_ENC_PLAIN_DICTIONARY || h.encoding == SL_PQ_ENC_RLE_DICTIONARY) {
            if (!c->has_dict) return sl_err_set(err, SL_EFORMAT, "dictionary-encoded data page but the chunk has no dictionary page");
        }
        if (h.num_values > 0) {
            if (sl_pq_vdec_init(&c->vdec, h.encoding, c->ptype, c->flba_len, vals, vals_len, err) < 0) return -1;
            c->vdec_live = true;
        }
        c->values_seen += h.num_values;
        c->page_left = h.num_values;
        if (c->list && h.num_values > 0) {   /* the page's levels, all at once */
            size_t nv = (size_t)h.num_values;
            if (nv > c->pl_cap) {
                c->pl_rep = sl_realloc(c->pl_rep, nv * sizeof *c->pl_rep);
                c->pl_def = sl_realloc(c->pl_def, nv * sizeof *c->pl_def);
                c->pl_cap = nv;
            }
            if (sl_pq_hyb_get(&c->rlvl, c->pl_rep, nv, err) < 0) return sl_err_prefix(err, "repetition levels"), -1;
            int rc = c->max_def == 0 ? (memset(c->pl_def, 0, nv * sizeof *c->pl_def), 0)
                   : c->lvl_kind == 1 ? sl_pq_hyb_get(&c->lvl, c->pl_def, nv, err)
                   : sl_pq_bitpacked_msb(c->lvl_p, c->lvl_bytes, 32 - __builtin_clz((unsigned)c->max_def), 0,
                                         c->pl_def, nv, err);
            if (rc < 0) return sl_err_prefix(err, "definition levels"), -1;
            for (size_t i = 0; i < nv; i++) {
                if (c->pl_def[i] > (uint32_t)c->max_def)
                    return sl_err_set(err, SL_EFORMAT, "definition level %u is above the maximum %d", c->pl_def[i], c->max_def);
                if (c->pl_rep[i] > 1) return sl_err_set(err, SL_EFORMAT, "repetition level %u is above the maximum 1", c->pl_rep[i]);
            }
            if (c->values_seen == h.num_values && c->pl_rep[0] != 0)
                return sl_err_set(err, SL_EFORMAT, "the column chunk's first repetition level is %u, not 0", c->pl_rep[0]);
            c->pl_n = nv;
            c->pl_pos = 0;
        }
        if (c->page_left > 0) return 0;
        (void)r;
    }
}

/* nn values of the current page into c->fixed / c->bv. */
static int sl_col_values(sl_pq_col *c, size_t nn, sl_err *err)
{
    sl_buf_clear(&c->heap);
    int rc;
    if (sl_pq_vdec_is_dict(&c->vdec)) {
        rc = sl_pq_vdec_indices(&c->vdec, c->idx, nn, c->dict_n, err);
        if (rc == 0 && c->bytes_shape) {
            for (size_t i = 0; i < nn; i++) c->bv[i] = c->dict_bv[c->idx[i]];
        } else if (rc == 0) {
            size_t w = (size_t)c->pwidth;
            for (size_t i = 0; i < nn; i++) memcpy(c->fixed + i * w, c->dict_fixed + (size_t)c->idx[i] * w, w);
        }
    } else if (c->bytes_shape) {
        rc = sl_pq_vdec_bytes(&c->vdec, c->bv, nn, &c->heap, err);
    } else {
        rc = sl_pq_vdec_fixed(&c->vdec, c->fixed, nn, err);
    }
    return rc;
}

/* Reads n rows of LIST column c into v at rows [row0, row0 + n): rows start
 * at repetition level 0 (a row may continue on the next page); an entry with
 * def < d_list is a NULL list, < d_rep an empty list, < max_def a NULL
 * element, else a value. The elements go to v->child. */
static int sl_col_read_list(sl_pq_reader *r, sl_pq_col *c, sl_vector *v, size_t row0, size_t n, sl_err *err)
{
    size_t done = 0;        /* rows started */
    sl_vector *e = v->child;
    for (;;) {
        if (c->page_left == 0) {
            if (c->values_seen >= c->chunk_values) break;     /* the chunk's last row ends here */
            if (sl_col_next_page(r, c, err) < 0) return -1;
            continue;
        }
        /* entries [a, b) of this page: up to the start of row n + 1 */
        size_t a = c->pl_pos, b = a, nel = 0, nn = 0, rows = 0;
        for (; b < c->pl_n; b++) {
            uint32_t d = c->pl_def[b];
            if (c->pl_rep[b] == 0) {
                if (done + rows == n) break;
                rows++;
            } else if (done + rows == 0) {
                return sl_err_set(err, SL_EFORMAT, "a row continues (repetition level 1) where a new row should start");
            }
            if (d >= (uint32_t)c->d_rep) {
                nel++;
                nn += d == (uint32_t)c->max_def;
            }
        }
        size_t at = sl_vec_list_begin(v, row0 + done, nel);   /* the child's end so far */
        sl_col_scratch(c, nel ? nel : 1);
        size_t k = 0;
        for (size_t i = a; i < b; i++) {
            uint32_t d = c->pl_def[i];
            if (c->pl_rep[i] == 0) {
                size_t row = row0 + done++;
                v->offsets[row + 1] = v->offsets[row];
                v->valid[row] = d >= (uint32_t)c->d_list;
            }
            if (d >= (uint32_t)c->d_rep) {
                c->valid[k++] = d == (uint32_t)c->max_def;
                v->offsets[row0 + done]++;
            }
        }
        if (nn > 0 && sl_col_values(c, nn, err) < 0) return -1;
        if (nel > 0 && sl_pqr_col_convert(c, nel, nn, e, at, err) < 0) return -1;
        c->page_left -= (int64_t)(b - a);
        c->pl_pos = b;
        if (b < c->pl_n) break;                               /* row n + 1 starts here */
    }
    if (done != n)
        return sl_err_set(err, SL_EFORMAT, "the column chunk holds %zu of the row group's rows", done);
    return 0;
}

/* Reads n rows of column c into v at rows [row0, row0 + n). */
static int sl_col_read(sl_pq_reader *r, sl_pq_col *c, sl_vector *v, size_t row0, size_t n, sl_err *err)
{
    if (c->list) return sl_col_read_list(r, c, v, row0, n, err);
    size_t done = 0;
    while (done < n) {
        if (c->page_left == 0) {
            if (sl_col_next_page(r, c, err) < 0) return -1;
            continue;
        }
        size_t k = n - done;
        if ((int64_t)k > c->page_left) k = (size_t)c->page_left;
        sl_col_scratch(c, k);
        size_t nn = k;
        if (c->max_def > 0) {
            int rc = c->lvl_kind == 1 ? sl_pq_hyb_get(&c->lvl, c->lv, k, err)
                                      : sl_pq_bitpacked_msb(c->lvl_p, c->lvl_bytes, 32 - __builtin_clz((unsigned)c->max_def),
                                                            c->lvl_next, c->lv, k, err);
            if (rc < 0) return sl_err_prefix(err, "definition levels"), -1;
            c->lvl_next += k;
            nn = 0;
            for (size_t i = 0; i < k; i++) {
                if (c->lv[i] > (uint32_t)c->max_def)
                    return sl_err_set(err, SL_EFORMAT, "definition level %u is above the maximum %d", c->lv[i], c->max_def);
                c->valid[i] = c->lv[i] == (uint32_t)c->max_def;
                nn += c->valid[i];
            }
        } else {
            memset(c->valid, 1, k);
        }
        if (nn > 0 && sl_col_values(c, nn, err) < 0) return -1;
        if (sl_pqr_col_convert(c, k, nn, v, row0 + done, err) < 0) return -1;
        c->page_left -= (int64_t)k;
        done += k;
    }
    return 0;
}

/* ---- row groups ---- */

int sl_pq_reader_row_groups(sl_pq_reader *r, int first, int count, sl_err *err)
{
    if (first < 0 || count < 0 || first > r->meta.nrow_groups || count > r->meta.nrow_groups - first)
        return sl_err_set(err, SL_EUSAGE, "%s: row groups %d..%d requested, the file has %d", r->name, first,
                          first + count - 1, r->meta.nrow_groups);
    r->rg_first = first;
    r->rg_end = first + count;
    r->rg = first - 1;
    r->rg_rows_left = 0;
    r->done = false;
    return 0;
}

static void sl_col_reset(sl_pq_col *c)
{
    if (c->vdec_live) sl_pq_vdec_free(&c->vdec);
    c->vdec_live = false;
    c->has_dict = false;
    c->dict_n = 0;
    c->page_left = 0;
    c->values_seen = 0;
    c->page_no = 0;
}

static int sl_rg_start(sl_pq_reader *r, int g, sl_err *err)
{
    const sl_pq_row_group *rg = &r->meta.row_groups[g];
    for (int i = 0; i < r->ncols; i++) {
        sl_pq_col *c = &r->cols[i];
        const sl_pq_column_chunk *cc = &rg->columns[c->leaf];
        const sl_pq_column_meta *m = &cc->meta;
        sl_col_reset(c);
        if (cc->file_path)
            return sl_err_set(err, SL_ETYPE, "row group %d: column %s: its data is in another file (%s): not supported",
                              g, c->name, cc->file_path);
        if (c->list ? m->num_values < rg->num_rows : m->num_values != rg->num_rows)
            return sl_err_set(err, SL_EFORMAT, "row group %d: column %s has %lld values but the row group has %lld rows",
                              g, c->name, (long long)m->num_values, (long long)rg->num_rows);
        int64_t start = m->data_page_offset;
        if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
            start = m->dictionary_page_offset;
        if (start < 4 || (uint64_t)start >= r->footer_start || m->total_compressed_size > (int64_t)r->footer_start - start)
            return sl_err_set(err, SL_EFORMAT, "row group %d: column %s: chunk at offset %lld of %lld bytes lies outside the data of the file",
                              g, c->name, (long long)start, (long long)m->total_compressed_size);
        if (r->ranged) {
            /* One ranged read per column chunk: its recorded size, and no
             * further (the mapped path's tolerance of too-small sizes would
             * cost a read to the footer). */
            sl_buf_clear(&c->chunk);
            if (r->in.read_at(r->in.ctx, (uint64_t)start, (size_t)m->total_compressed_size, &c->chunk, err) < 0)
                return -1;
            if (c->chunk.len != (size_t)m->total_compressed_size)
                return sl_err_set(err, SL_EIO, "row group %d: column %s: read %zu of its %lld bytes", g, c->name,
                                  c->chunk.len, (long long)m->total_compressed_size);
            c->pos = c->chunk.data;
            c->chunk_end = c->chunk.data + c->chunk.len;
        } else {
        c->pos = r->data + start;
        /* Pages are bounded by the file's data, not by total_compressed_size:
         * old parquet-mr wrote sizes too small (nation.dict-malformed); the
         * value count decides where the chunk ends. */
        c->chunk_end = r->data + r->footer_start;
        }
        c->chunk_values = m->num_values;
        c->codec = m->codec;
    }
    r->rg_rows_left = rg->num_rows;
    return 0;
}

int64_t sl_pq_reader_next(sl_pq_reader *r, sl_batch *b, sl_err *err)
{
    sl_batch_reset(b);
    if (!r->schema && sl_pq_reader_select(r, NULL, 0, err) < 0) return -1;
    if (b->ncols != r->ncols) return sl_err_set(err, SL_EINTERNAL, "%s: batch has %d columns, the selection %d", r->name, b->ncols, r->ncols);
    while (r->rg_rows_left == 0) {
        if (r->done) return 0;
        if (r->rg + 1 >= r->rg_end) {
            r->done = true;
            return 0;
        }
        r->rg++;
        if (r->meta.row_groups[r->rg].num_rows == 0) continue;
        if (r->has_filter && sl_pqr_rg_excluded(r, &r->meta.row_groups[r->rg])) {
            r->skipped++;
            continue;
        }
        if (sl_rg_start(r, r->rg, err) < 0) {
            sl_err_prefix(err, "%s", r->name);
            r->done = true;
            return -1;
        }
    }
    size_t n = b->capacity;
    if ((int64_t)n > r->rg_rows_left) n = (size_t)r->rg_rows_left;
    for (int i = 0; i < r->ncols; i++) {
        sl_pq_col *c = &r->cols[i];
        if (sl_col_read(r, c, &b->cols[i], 0, n, err) < 0) {
            sl_err_prefix(err, "%s: row group %d: column %s: page %d", r->name, r->rg, c->name, c->page_no);
            r->done = true;
            r->rg_rows_left = 0;
            return -1;
        }
    }
    r->rg_rows_left -= (int64_t)n;
    b->nrows = n;
    return (int64_t)n;
}
